// The body of the BSF's 200 on Ub (TS 24.109 Annex C, content type
// application/vnd.3gpp.bsf+xml):
//
//   <BootstrappingInfo xmlns="uri:3gpp-gba">
//     <btid>I1U8vpY3qJ0hiuZNrke/NQ==@bsf.home1.net</btid>
//     <lifetime>2030-01-01T00:00:00Z</lifetime>      (xs:dateTime: when Ks expires)
//   </BootstrappingInfo>
//
// Elements the schema adds later (Extension, ...) are ignored, as its xs:any lax allows.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "provisioning/digest_aka.hpp"

namespace provisioning::ub {

inline constexpr const char* kGbaNamespace = "uri:3gpp-gba";
inline constexpr const char* kBsfContentType = "application/vnd.3gpp.bsf+xml";
// A B-TID goes into PSK identities and Digest usernames: printable ASCII without spaces, at most
// this long.
inline constexpr std::size_t kMaxBtidLength = 255;

class BootstrappingInfoError : public UbError {
public:
    using UbError::UbError;
};

struct BootstrappingInfo {
    std::string btid;
    std::chrono::system_clock::time_point lifetime;
};

// Throws BootstrappingInfoError (malformed XML, wrong root or namespace, a missing, repeated or
// ill-formed btid or lifetime, a lifetime without a time zone).
[[nodiscard]] BootstrappingInfo parseBootstrappingInfo(std::string_view xml);
[[nodiscard]] std::string toXml(const BootstrappingInfo& info);

}  // namespace provisioning::ub
