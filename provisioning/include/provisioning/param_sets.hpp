// The parameter sets the bootstrap and connection procedures receive, as XML in the namespace
// http://uri.etsi.org/m2m (security-profile.md §6; ETSI M2M XSD bootstrapParamSet and
// connectionParamSet). The device side never receives securityM2MKey: a document that carries one
// is refused.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "securechannel/errors.hpp"
#include "seuicc/m2m_sed_client.hpp"

namespace provisioning {

inline constexpr const char* kM2mNamespace = "http://uri.etsi.org/m2m";

// Malformed XML, a wrong root element or namespace, a missing or ill-formed field, or a key
// where none may be. The message says which field; it never quotes the document.
class ParamSetError : public securechannel::Error {
public:
    using securechannel::Error::Error;
};

struct BootstrapParamSet {
    seuicc::NodeId nodeId{};                          // securityM2MNodeId (hex)
    std::uint32_t kmrIndex = 0;                       // securityKmrIndex
    std::chrono::system_clock::time_point kmrExpiry;  // securityLifetime (xs:dateTime, UTC)
    std::string masFqdn;                              // securityMasFqdn
    std::string sclId;                                // sclId
    std::vector<std::string> nsclList;                // sclIdList/sclId... (NSCL URIs)
};

struct ConnectionParamSet {
    std::uint64_t connectionId = 0;                   // securityConnectionId
    std::uint32_t kmcIndex = 0;                       // securityKmcIndex
    std::chrono::system_clock::time_point kmcExpiry;  // securityLifetime (xs:dateTime, UTC)
    std::string sclId;                                // sclId
    std::string midFlags;                             // securitymIdFlags (e.g. "tls")
};

[[nodiscard]] std::string toXml(const BootstrapParamSet& params);
[[nodiscard]] std::string toXml(const ConnectionParamSet& params);
[[nodiscard]] BootstrapParamSet parseBootstrapParamSet(std::string_view xml);
[[nodiscard]] ConnectionParamSet parseConnectionParamSet(std::string_view xml);

// xs:dateTime in UTC ("2026-12-01T18:41:12Z") and back; ParamSetError on a malformed one.
[[nodiscard]] std::string toDateTime(std::chrono::system_clock::time_point at);
[[nodiscard]] std::chrono::system_clock::time_point parseDateTime(std::string_view text);

}  // namespace provisioning
