// TLS-PSK identities of the card-held keys [PROFILE, security-profile.md §3]: lowercase hex of the
// M2M-Node-ID, a dot, then the decimal key index (no sign, no leading zero), or "bootstrap" for
// Kbs. ASCII. Written by the device, read by the network: both sides use these functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "seuicc/sed_status.hpp"

namespace provisioning {

[[nodiscard]] std::string kmrIdentity(const seuicc::NodeId& nodeId, std::uint32_t kmrIndex);
[[nodiscard]] std::string kmcIdentity(const seuicc::NodeId& nodeId, std::uint32_t kmcIndex);
[[nodiscard]] std::string kbsIdentity(const seuicc::NodeId& nodeId);
// GBA's Ua (TS 33.222 5.4.0.1, the separator this project's NAFs expect first):
// "3GPP-bootstrapping;<B-TID>".
[[nodiscard]] std::string uaIdentity(std::string_view btid);
// The B-TID of a Ua identity a peer sent: "3GPP-bootstrapping" <separator> B-TID. The separator
// is not settled (TS 24.109 vs TS 36.508 renderings): ";", "." and none are accepted; the B-TID
// must be "<base64(RAND)>@<BSF name>" with neither part empty. nullopt if the identity is not of
// that form. btidOfUaIdentity(uaIdentity(b)) == b for every B-TID it returns.
[[nodiscard]] std::optional<std::string> btidOfUaIdentity(std::string_view identity);

// An identity taken apart.
struct PskIdentity {
    seuicc::NodeId nodeId{};
    std::optional<std::uint32_t> index;  // empty: the bootstrap identity
};

// Parses an identity a peer sent, strictly: 32 lowercase hex digits, '.', then "bootstrap" or a
// decimal index that fits 32 bits without a leading zero. Anything else: nullopt.
[[nodiscard]] std::optional<PskIdentity> parsePskIdentity(std::string_view identity);

}  // namespace provisioning
