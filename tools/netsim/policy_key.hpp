// The NSCL's policy-signing key (integrity/FORMATS.md §4): a P-256 key in a 0600 PEM file beside
// the store, made at its first use. Provisioning puts its public half into the card (the IV-SED
// verifies decisions with it); `m2m-netsim policy-key` prints that half.
#pragma once

#include <filesystem>

#include "integrity/cose.hpp"

namespace netsim {

// <db>.policy-key.pem
[[nodiscard]] std::filesystem::path policyKeyPath(const std::filesystem::path& db);
// The key in `path`, generated and written (0600) first if there is none.
[[nodiscard]] integrity::PrivateKey loadOrCreatePolicyKey(const std::filesystem::path& path);

}  // namespace netsim
