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

#include "provisioning/param_sets.hpp"

namespace agent {

using provisioning::ParamSetError;  // malformed XML / missing field: the same typed error

struct IntegrityValResults {
    std::string ivalResults;       // hex bitmap
    std::string signedIvalResult;  // hex
    std::string secureTimeStamp;   // xs:dateTime
};

struct SclRegistration {
    std::string sclId;
    std::string link;                                        // where the NSCL reaches the SCL (URI)
    std::chrono::system_clock::time_point expirationTime{};  // set by the NSCL in its answer
    std::optional<IntegrityValResults> integrityValResults;
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

}  // namespace agent
