// The Answer To Reset (ISO/IEC 7816-3 §8.2) with the UICC reading of ETSI TS 102 221 §6.3:
// protocols, TA1, the global interface bytes after T=15, historical bytes and TCK.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "seuicc/types.hpp"

namespace seuicc {

struct Atr {
    Bytes raw;
    // Every T announced in a TDi, in order, without repeats; {0} when there is no TD1 (an
    // ATR without TD1 means T=0). T=15 appears when the ATR carries global bytes after it.
    std::vector<int> protocols;
    std::optional<std::uint8_t> ta1;  // Fi/Di: clock rate conversion and baud rate adjustment
    Bytes historical;
    std::optional<std::uint8_t> tck;  // absent when only T=0 is announced
    bool tckValid = true;             // XOR of T0..TCK is 0 (true when there is no TCK)
    // The first TAi (i>2) after T=15: clock stop and supply voltage classes (TS 102 221 §6.3.3).
    std::optional<std::uint8_t> uiccClassIndicator;
    // The first TBi (i>2) after T=15: the UICC's global interface byte (TS 102 221 Table 6.7).
    std::optional<std::uint8_t> uiccGlobalByte;

    // b8 and b4 of the global byte (0x88): secure channel per ETSI TS 102 484 supported.
    bool secureChannelSupported() const;
    // b8, b4 and b3 (0x8C): platform-to-platform secured APDUs required (TS 102 484).
    bool platformSecuredApduRequired() const;

    // Human-readable lines, one per fact, for `m2m card info` and logs.
    std::vector<std::string> describe() const;

    // Throws AtrError when TS is not 3B/3F, interface or historical bytes are missing, or bytes
    // follow the end of the ATR.
    static Atr parse(ByteView bytes);
};

}  // namespace seuicc
