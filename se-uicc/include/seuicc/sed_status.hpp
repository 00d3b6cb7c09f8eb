// The M2M-SED's public data: what GET DATA 80 CA 00 FF returns (M2M-SED.md §2), parsed.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "seuicc/types.hpp"

namespace seuicc {

enum class SedLifecycle : std::uint8_t {
    Installed = 0x01,     // blank
    Personalised = 0x03,  // committed, personalisation still open
    Locked = 0x07,        // operational, personalisation closed
};
std::string_view toString(SedLifecycle lifecycle);

using KeyCheckValue = std::array<std::uint8_t, 3>;
using NodeId = std::array<std::uint8_t, 16>;

struct SedKeyCheckValues {
    std::optional<KeyCheckValue> kmr;   // E1
    std::optional<KeyCheckValue> kmc;   // E2
    std::optional<KeyCheckValue> kbs;   // E3
    std::optional<KeyCheckValue> kmsa;  // E4
    std::optional<KeyCheckValue> kiv;   // E5
};

struct SedStatus {
    SedLifecycle lifecycle = SedLifecycle::Installed;                // C0 (mandatory)
    std::optional<unsigned> adminTriesLeft;                          // CF
    std::optional<NodeId> nodeId;                                    // C1
    std::optional<std::uint32_t> kmrIndex;                           // C2
    std::optional<std::chrono::system_clock::time_point> kmrExpiry;  // C3
    std::optional<std::string> sclId;                                // C4
    std::vector<std::string> nsclList;          // C5, split at single spaces; empty if absent
    std::optional<std::string> masFqdn;         // C6
    std::optional<std::uint32_t> kmcIndex;      // C7
    std::optional<std::uint64_t> connectionId;  // C8
    std::optional<std::chrono::system_clock::time_point> kmcExpiry;  // C9
    SedKeyCheckValues kcv;                                           // E1..E5

    // Parses the GET DATA response data. Unknown tags are skipped (a later applet may add
    // some). Throws SedMalformedResponse on a missing C0, an unknown lifecycle value, a known
    // tag of the wrong length, an empty NSCL entry, or an expiry beyond the clock's range.
    static SedStatus parse(ByteView getDataResponse);
};
}  // namespace seuicc
