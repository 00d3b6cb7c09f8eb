// The mId resources the agent creates at the NSCL (security-profile.md §6), as XML in the
// namespace http://uri.etsi.org/m2m: the SCL registration, applications, containers and
// contentInstances. Paths are this project's profile (README, "Standards status"):
//   POST /m2m/scls                                   m2m:scl          -> 201, Location
//   /m2m/scls/{n} PUT  {scl}                                       m2m:scl          -> 200
//   (refresh) POST {scl}/applications                          m2m:application  -> 201, Location
//   POST {application}/containers                    m2m:container    -> 201, Location
//   POST {container}/contentInstances                m2m:contentInstance -> 201, Location
//   GET  {container}/contentInstances                m2m:contentInstances (list)
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "provisioning/param_sets.hpp"

namespace agent {

using provisioning::ParamSetError;  // malformed XML / missing field: the same typed error

// m2m:scl/integrityValResults (integrity/FORMATS.md §5): the XSD's fields and this profile's
// m2m:eat, the signed report. The XSD's 64-bit signedIvalResult cannot hold an ES256 signature,
// so it carries the report counter and the signature travels inside `eat`.
struct IntegrityValResults {
    std::uint64_t ivalResults = 0;       // xs:long: bit i set = manifest object i did not pass
    std::uint64_t signedIvalResult = 0;  // xs:long: the report counter
    std::optional<std::string> secureTimeStamp;  // xs:dateTime, when the report has iat
    std::string eat;  // base64url (no padding) of the report's COSE_Sign1
};

// The NSCL's challenge (FORMATS.md §5.1), the answer to POST {nscl}/integrity/challenge.
struct IntegrityChallenge {
    base::Bytes nonce;  // 8..64 bytes, carried base64
    std::chrono::system_clock::time_point expirationTime{};
};

struct SclRegistration {
    std::string sclId;
    std::string link;                                        // where the NSCL reaches the SCL (URI)
    std::chrono::system_clock::time_point expirationTime{};  // set by the NSCL in its answer
    std::optional<IntegrityValResults> integrityValResults;
    // In the NSCL's answer only: base64url of its signed decision (FORMATS.md §5.3).
    std::optional<std::string> integrityDecision;
};

struct Application {
    std::string appId;
};

struct Container {
    std::string id;
};

struct ContentInstance {
    std::string id;                                        // set by the NSCL
    std::string contentType;                               // e.g. "application/json"
    std::string content;                                   // carried base64-encoded in the XML
    std::chrono::system_clock::time_point creationTime{};  // set by the NSCL
};

[[nodiscard]] std::string toXml(const SclRegistration& scl);
[[nodiscard]] std::string toXml(const Application& application);
[[nodiscard]] std::string toXml(const Container& container);
[[nodiscard]] std::string toXml(const ContentInstance& instance);
[[nodiscard]] std::string toXml(const std::vector<ContentInstance>& instances);
[[nodiscard]] std::string toXml(const IntegrityChallenge& challenge);
// The body of a 403 that refuses a registration on a deny verdict: <m2m:integrityDecision>.
[[nodiscard]] std::string integrityDecisionXml(const std::string& decisionBase64Url);
[[nodiscard]] SclRegistration parseSclRegistration(std::string_view xml);
[[nodiscard]] Application parseApplication(std::string_view xml);
[[nodiscard]] Container parseContainer(std::string_view xml);
[[nodiscard]] ContentInstance parseContentInstance(std::string_view xml);
[[nodiscard]] std::vector<ContentInstance> parseContentInstances(std::string_view xml);
[[nodiscard]] IntegrityChallenge parseIntegrityChallenge(std::string_view xml);
// The decision of an answer: an m2m:scl's integrityDecision child, or a document whose root is
// m2m:integrityDecision (a 403); nullopt when the body has none.
[[nodiscard]] std::optional<std::string> parseIntegrityDecision(std::string_view xml);

}  // namespace agent
