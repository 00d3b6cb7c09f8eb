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

// The [usim] section: the subscription the USIM applet gets (se-uicc/applet/USIM.md §4).
struct UsimSpec {
    std::optional<std::string> imsi;  // empty: generate (test network 001 01 + 10 random digits)
    KeySpec k;
    KeySpec opc;          // OPc, or OP when `fromOp` (OPc = OP xor E_K(OP) computed then)
    bool fromOp = false;  // the profile gave `op` instead of `opc`
    std::optional<base::Bytes> sqn;  // start SQN_MS, 6 bytes (lab cards and tests)
};

// The [iv_sed] section: the IV-SED's personalisation (se-uicc/applet/IV-SED.md §3, security
// profile §7.3.1). The keys it names are public keys; the files are read at parse time.
struct IvSedSpec {
    KeySpec kmsaIv;                 // Kmsa_iv, 16 bytes: the IV-SED's own TS 102 484 key
    base::Bytes referenceKeyPoint;  // 65: the SP's manifest-signing key (PEM key or certificate)
    base::Bytes policyKeyPoint;     // 65: the NSCL's decision-signing key (PEM key)
    base::Bytes manifest;           // the first manifest, a COSE_Sign1 signed by the reference key
    std::uint32_t manifestVersion = 0;
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
    base::SecretBuffer adminCode;  // 8 bytes (the test SIM's transport code: M2M-SED and USIM)
    std::optional<UsimSpec> usim;
    std::optional<IvSedSpec> ivSed;
};

// Parses and checks the text of a profile; a relative admin.code_file is relative to `baseDir`.
// Keys go straight from the text into SecretBuffers, and every string the TOML parser produced
// is wiped before it is freed (its own scratch buffers, which it frees itself, are beyond reach:
// see README, "Secrets"). A literal admin.code is for the well-known transport codes of test
// SIMs; real codes come from admin.code_file (0600). Throws ProfileError naming the field.
SimProfile parseSimProfile(std::string_view toml, const std::filesystem::path& baseDir);

// Reads `path` once (no symbolic link, a regular file, at most 64 KiB, into locked memory) and
// parses it. A profile holding any literal key must meet the key-file rules (owner, mode 0600 or
// 0400), checked on the descriptor it was read from; one that only says "generate" may be
// world-readable.
SimProfile loadSimProfile(const std::filesystem::path& path);
// The checks of loadSimProfile on a document in memory, except the file's own mode (there is no
// file); a relative admin.code_file is relative to `baseDir` (loadSimProfile: the profile's
// folder).
SimProfile parseSimProfile(std::string_view toml, const std::filesystem::path& baseDir);

}  // namespace provisioning
