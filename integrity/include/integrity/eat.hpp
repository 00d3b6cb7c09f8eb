// The integrity report: an EAT (RFC 9711) CWT signed inside the IV-SED (FORMATS.md §3). The card
// writes it; this side reads and checks it (the agent shows it, the NSCL appraises it). encode()
// exists for tests and the fuzz seeds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "integrity/cose.hpp"
#include "integrity/decision.hpp"

namespace integrity {

struct Manifest;

// RFC 9711 §4.2.17 result-type.
enum class MeasurementResult : std::uint8_t { Success = 1, Fail = 2, NotRun = 3, Absent = 4 };
std::string_view toString(MeasurementResult result);

// CWT claim keys (IANA "CBOR Web Token (CWT) Claims" registry, RFC 8392 and RFC 9711 §10.2).
namespace claim {
inline constexpr std::int64_t kIat = 6;
inline constexpr std::int64_t kNonce = 10;
inline constexpr std::int64_t kUeid = 256;
inline constexpr std::int64_t kEatProfile = 265;
inline constexpr std::int64_t kSubmods = 266;  // RFC 9711 §4.2.18
inline constexpr std::int64_t kMeasurements = 273;
inline constexpr std::int64_t kMeasres = 274;
inline constexpr std::int64_t kManifestVersion = -70001;  // private use (RFC 8392 §9.1)
inline constexpr std::int64_t kReportCounter = -70002;    // private use
// Inside a submodule's claims set only (agent/GATEWAY.md §3).
inline constexpr std::int64_t kGatewayVerdict = -70003;  // private use
inline constexpr std::int64_t kAllowedPaths = -70004;    // private use
inline constexpr std::int64_t kAttested = -70005;        // private use
}  // namespace claim
inline constexpr const char* kEatProfile = "tag:m2m-uicc.example,2026:iv-eat-1";
inline constexpr const char* kMeasurementSystem = "m2m-iv-sed";

struct Measurement {
    std::string name;
    base::Bytes sha256;
};

struct ObjectResult {
    std::string name;
    MeasurementResult result = MeasurementResult::NotRun;
};

// One device behind a gateway, as the gateway's report names it in `submods` (agent/GATEWAY.md §3,
// FORMATS.md §3).
struct Submodule {
    static constexpr std::size_t kMaxSubmodules = 8;  // the card's input buffer (IV-SED.md §4.3)
    static constexpr std::size_t kMaxNameBytes = 64;
    static constexpr std::size_t kMaxAllowed = 32;  // as a decision's allowed paths
    static constexpr std::size_t kMaxPathBytes = 256;

    std::string name;                      // the device's Node-ID, lowercase hex
    base::Bytes ueid;                      // 17: 01 ‖ Node-ID
    std::optional<std::uint64_t> counter;  // <= 2^32-1; attested devices only
    Verdict verdict = Verdict::Deny;
    std::vector<std::string> allowed;  // exactly when verdict is Partial
    bool attested = false;

    friend bool operator==(const Submodule&, const Submodule&) = default;
};

// The `submods` map alone (claim 266's value), deterministic (names in RFC 8949 §4.2.1 order): what
// the gateway hands its card for SIGN REPORT P1 = 01. MalformedInput when `submods` breaks a rule
// the reader enforces (empty, more than kMaxSubmodules, a duplicate name, a limit, allowed paths
// without a partial verdict, a counter on an unattested device), so the card never signs what the
// NSCL would refuse.
base::Bytes encodeSubmods(const std::vector<Submodule>& submods);
// The reverse, as strict as the report's reader; the submodules come back in name order.
std::vector<Submodule> decodeSubmods(base::ByteView encoded);  // MalformedInput

struct EatClaims {
    std::optional<std::uint64_t> iat;
    base::Bytes nonce;  // 8..64
    base::Bytes ueid;   // 17: 01 ‖ Node-ID
    std::vector<Measurement> measurements;
    std::vector<ObjectResult> results;  // every manifest object, in order
    std::uint32_t manifestVersion = 0;
    std::uint32_t counter = 0;
    std::vector<Submodule> submods;  // a gateway's devices, name order; empty: claim 266 absent

    [[nodiscard]] base::Bytes encode() const;
    static EatClaims decode(base::ByteView payload);  // MalformedInput
    // True when the report is for this manifest (its version, its objects in its order) and every
    // object it marks required has result Success.
    [[nodiscard]] bool passes(const Manifest& manifest) const;
};

struct Report {
    CoseSign1 envelope;
    EatClaims claims;

    static Report decode(base::ByteView encoded);  // MalformedInput
    // SignatureInvalid unless signed by `attestationKey` (a kid naming another key included).
    void verifyWith(const PublicKey& attestationKey) const;
};

}  // namespace integrity
