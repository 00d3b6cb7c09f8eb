// TLS-PSK identities of the card-held keys [PROFILE, security-profile.md §3]: lowercase hex of the
// M2M-Node-ID, a dot, then the decimal key index, or "bootstrap" for Kbs. ASCII.
#pragma once

#include <cstdint>
#include <string>

#include "seuicc/m2m_sed_client.hpp"

namespace provisioning {

[[nodiscard]] std::string kmrIdentity(const seuicc::NodeId& nodeId, std::uint32_t kmrIndex);
[[nodiscard]] std::string kmcIdentity(const seuicc::NodeId& nodeId, std::uint32_t kmcIndex);
[[nodiscard]] std::string kbsIdentity(const seuicc::NodeId& nodeId);

}  // namespace provisioning
