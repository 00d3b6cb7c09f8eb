// The mId resources the agent creates at the NSCL (security-profile.md §6), as XML in the
// namespace http://uri.etsi.org/m2m: the SCL registration, applications, containers and
// contentInstances. Paths are this project's profile (README, "Standards status"):
//   POST /m2m/scls                                   m2m:scl          -> 201, Location
//   /m2m/scls/{n} PUT  {scl}                                       m2m:scl          -> 200
//   (refresh) POST {scl}/applications                          m2m:application  -> 201, Location
//   POST {application}/containers                    m2m:container    -> 201, Location
//   POST {container}/contentInstances                m2m:contentInstance -> 201, Location
//   GET  {container}/contentInstances                m2m:contentInstances (list)
// and integrity validation (integrity/FORMATS.md §5):
//   POST /m2m/integrity/challenge                    -> 201 m2m:integrityChallenge
//   the registration and refresh above carry m2m:scl/integrityValResults; the answer carries
//   m2m:integrityDecision in its m2m:scl (201/200), or alone in the 403 of a deny
//   GET  /m2m/integrity/objects/{id}                 remediation object (bytes)
// and secure time (agent/GATEWAY.md §4):
//   GET  /m2m/time                                   -> 200 m2m:time
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

// m2m:scl/integrityValResults as integrity/FORMATS.md §5 profiles it: the XSD's fields summarise
// the signed report that m2m:eat carries; the NSCL checks that they agree with it.
struct IntegrityValResults {
    std::uint64_t ivalResults = 0;       // xs:long: bit i set = manifest object i did not pass
    std::uint64_t signedIvalResult = 0;  // xs:long: the report counter
    std::optional<std::chrono::system_clock::time_point> secureTimeStamp;  // the report's iat
    std::string eat;  // base64url (no padding) of the report's COSE_Sign1
};

struct SclRegistration {
    std::string sclId;
    std::string link;                                        // where the NSCL reaches the SCL (URI)
    std::chrono::system_clock::time_point expirationTime{};  // set by the NSCL in its answer
    std::optional<IntegrityValResults> integrityValResults;  // the node's report
    // The NSCL's answer to the report: base64url of its signed decision (FORMATS.md §4).
    std::optional<std::string> integrityDecision;
};

struct IntegrityChallenge {
    base::Bytes nonce;  // 8..64 bytes (FORMATS.md §3 eat_nonce); the NSCL sends 32
    std::chrono::system_clock::time_point expirationTime{};
};

// The NSCL's clock as it answers GET /m2m/time (one-second resolution: xs:dateTime without
// fractions, as provisioning::toDateTime writes it).
struct TimeResource {
    std::chrono::system_clock::time_point currentTime{};
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
[[nodiscard]] SclRegistration parseSclRegistration(std::string_view xml);
[[nodiscard]] Application parseApplication(std::string_view xml);
[[nodiscard]] Container parseContainer(std::string_view xml);
[[nodiscard]] ContentInstance parseContentInstance(std::string_view xml);
[[nodiscard]] std::vector<ContentInstance> parseContentInstances(std::string_view xml);

// <m2m:time><m2m:currentTime>xs:dateTime</m2m:currentTime></m2m:time>
[[nodiscard]] std::string toXml(const TimeResource& time);
// ParamSetError unless currentTime is present and an xs:dateTime.
[[nodiscard]] TimeResource parseTimeResource(std::string_view xml);

[[nodiscard]] std::string toXml(const IntegrityChallenge& challenge);
// ParamSetError unless the nonce is canonical base64 of 8..64 bytes and the time an xs:dateTime.
[[nodiscard]] IntegrityChallenge parseIntegrityChallenge(std::string_view xml);
// <m2m:integrityDecision>base64url</m2m:integrityDecision>, the body of a deny's 403.
[[nodiscard]] std::string integrityDecisionXml(const std::string& base64url);
// Its text, checked for the base64url alphabet only (the COSE reader checks the rest).
[[nodiscard]] std::string parseIntegrityDecision(std::string_view xml);

}  // namespace agent
