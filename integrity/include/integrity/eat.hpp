// The integrity report: an EAT (RFC 9711) CWT signed inside the IV-SED (FORMATS.md §3). The card
// writes it; this side reads and checks it (the agent shows it, the NSCL appraises it). encode()
// exists for tests and the fuzz seeds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "integrity/cose.hpp"

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
inline constexpr std::int64_t kMeasurements = 273;
inline constexpr std::int64_t kMeasres = 274;
inline constexpr std::int64_t kManifestVersion = -70001;  // private use (RFC 8392 §9.1)
inline constexpr std::int64_t kReportCounter = -70002;    // private use
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

struct EatClaims {
    std::optional<std::uint64_t> iat;
    base::Bytes nonce;  // 8..64
    base::Bytes ueid;   // 17: 01 ‖ Node-ID
    std::vector<Measurement> measurements;
    std::vector<ObjectResult> results;  // every manifest object, in order
    std::uint32_t manifestVersion = 0;
    std::uint32_t counter = 0;

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
