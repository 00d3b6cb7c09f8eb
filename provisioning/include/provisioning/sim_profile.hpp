// The personalisation profile of a test SIM (TOML; testdata/profiles/test-sim.toml shows every
// field): identities, key material or "generate", lifetimes, and the card's administrative code.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "securechannel/errors.hpp"

namespace provisioning {

class ProfileError : public securechannel::Error {
public:
    using securechannel::Error::Error;
};

// A key the profile either gives (hex) or asks to be generated at provisioning time.
struct KeySpec {
    std::optional<base::SecretBuffer> value;  // empty: generate
    bool generate() const { return !value.has_value(); }
};

struct SimProfile {
    std::optional<base::Bytes> nodeId;  // empty: generate (16 random bytes)
    std::string sclId;
    std::vector<std::string> nscl;
    std::string masFqdn;
    KeySpec kmr;
    std::uint32_t kmrIndex = 1;
    std::chrono::days kmrLifetime{365};
    KeySpec kmsa;
    std::optional<KeySpec> kbs;
    std::optional<KeySpec> kiv;
    base::SecretBuffer adminCode;  // 8 bytes
};

// Parses and checks a profile. A profile holding any literal key must be a 0600 file like any
// key file; one that only says "generate" may be world-readable. A literal admin.code is for the
// well-known transport codes of test SIMs; real codes come from admin.code_file (0600).
SimProfile loadSimProfile(const std::filesystem::path& path);
// The checks of loadSimProfile on a document in memory, except the file's own mode (there is no
// file); a relative admin.code_file is relative to `baseDir` (loadSimProfile: the profile's
// folder).
SimProfile parseSimProfile(std::string_view toml, const std::filesystem::path& baseDir);

}  // namespace provisioning
