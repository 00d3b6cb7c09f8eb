#include "seuicc/atr.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>

#include "seuicc/errors.hpp"

namespace seuicc {

namespace {

constexpr std::uint8_t kDirectConvention = 0x3B;
constexpr std::uint8_t kInverseConvention = 0x3F;
constexpr std::size_t kMaxAtrSize = 33;  // ISO/IEC 7816-3 §8.2.1
constexpr int kGlobalBytesT = 15;

// TS 102 221 Table 6.7 bits of the global interface byte.
constexpr std::uint8_t kGlobalByteValid = 0x80;      // b8: the byte is coded per Table 6.7
constexpr std::uint8_t kSecureChannel = 0x08;        // b4
constexpr std::uint8_t kSecuredApduRequired = 0x04;  // b3, meaningful together with b4

// ISO/IEC 7816-3 Table 7 (Fi) and Table 8 (Di); 0 = RFU.
constexpr std::array<int, 16> kFi{372, 372, 558, 744,  1116, 1488, 1860, 0,
                                  0,   512, 768, 1024, 1536, 2048, 0,    0};
constexpr std::array<int, 16> kDi{0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0};

[[noreturn]] void invalid(ByteView bytes, std::string_view why) {
    throw AtrError(fmt::format("invalid ATR {}: {}", toHex(bytes), why));
}

std::string describeTa1(std::uint8_t ta1) {
    const int fi = kFi[ta1 >> 4];
    const int di = kDi[ta1 & 0x0F];
    if (fi == 0 || di == 0) {
        return fmt::format("TA1 = {:02X}: Fi/Di reserved for future use", ta1);
    }
    return fmt::format(
        "TA1 = {:02X}: Fi = {}, Di = {} (one bit = {:g} clock cycles; 372 before PPS)", ta1, fi, di,
        static_cast<double>(fi) / di);
}

std::string describeClassIndicator(std::uint8_t ta) {
    static constexpr std::array<std::string_view, 4> kClockStop{
        "clock stop not supported", "clock stop only in state L", "clock stop only in state H",
        "clock stop supported, no preference"};
    std::string classes;
    const std::array<std::pair<std::uint8_t, std::string_view>, 3> kClasses{
        {{0x01, "A (5 V)"}, {0x02, "B (3 V)"}, {0x04, "C (1.8 V)"}}};
    for (const auto& [bit, name] : kClasses) {
        if ((ta & bit) != 0) {
            classes += classes.empty() ? "" : ", ";
            classes += name;
        }
    }
    return fmt::format("UICC class indicator (TA after T=15) = {:02X}: {}; classes {}", ta,
                       kClockStop[ta >> 6], classes.empty() ? "none" : classes);
}

std::string describeGlobalByte(std::uint8_t tb) {
    if (tb == 0) {
        return "UICC global byte (TB after T=15) = 00: no additional global interface "
               "parameters";
    }
    if ((tb & kGlobalByteValid) == 0) {
        return fmt::format("UICC global byte (TB after T=15) = {:02X}: reserved", tb);
    }
    std::vector<std::string_view> facts;
    if ((tb & 0x40) != 0) {
        facts.push_back("Inter-Chip USB interface (TS 102 600)");
    }
    if ((tb & 0x20) != 0) {
        facts.push_back("UICC-CLF interface (TS 102 613)");
    }
    if ((tb & 0x10) != 0) {
        facts.push_back("low impedance drivers on I/O");
    }
    if ((tb & (kSecureChannel | kSecuredApduRequired)) == (kSecureChannel | kSecuredApduRequired)) {
        facts.push_back("secured APDU platform to platform REQUIRED (TS 102 484)");
    } else if ((tb & kSecureChannel) != 0) {
        facts.push_back("secure channel supported (TS 102 484)");
    }
    if ((tb & 0x02) != 0) {
        facts.push_back("eUICC-related functions");
    }
    return fmt::format("UICC global byte (TB after T=15) = {:02X}: {}", tb,
                       facts.empty() ? "reserved" : fmt::format("{}", fmt::join(facts, "; ")));
}

}  // namespace

bool Atr::secureChannelSupported() const {
    const std::uint8_t bits = kGlobalByteValid | kSecureChannel;
    return uiccGlobalByte && (*uiccGlobalByte & bits) == bits;
}

bool Atr::platformSecuredApduRequired() const {
    const std::uint8_t bits = kGlobalByteValid | kSecureChannel | kSecuredApduRequired;
    return uiccGlobalByte && (*uiccGlobalByte & bits) == bits;
}

Atr Atr::parse(ByteView bytes) {
    if (bytes.size() < 2) {
        invalid(bytes, "fewer than 2 bytes");
    }
    if (bytes.size() > kMaxAtrSize) {
        invalid(bytes, "longer than 33 bytes");
    }
    if (bytes[0] != kDirectConvention && bytes[0] != kInverseConvention) {
        invalid(bytes, "TS is neither 3B (direct) nor 3F (inverse convention)");
    }
    Atr atr;
    atr.raw.assign(bytes.begin(), bytes.end());

    std::size_t pos = 1;
    auto next = [&](std::string_view what) -> std::uint8_t {
        if (pos >= bytes.size()) {
            invalid(bytes, fmt::format("missing {}", what));
        }
        return bytes[pos++];
    };

    // T0, then groups of TAi TBi TCi TDi; each TD's high nibble says which of the next group's
    // bytes are present, its low nibble names a protocol T.
    const std::uint8_t t0 = next("T0");
    const std::size_t historicalCount = t0 & 0x0F;
    std::uint8_t presence = t0 >> 4;
    int previousT = -1;  // the T of TD(i-1): decides what TAi/TBi mean
    bool tckRequired = false;
    for (int i = 1; presence != 0; ++i) {
        const bool afterT15 = i > 2 && previousT == kGlobalBytesT;
        if ((presence & 0x1) != 0) {
            const std::uint8_t ta = next(fmt::format("TA{}", i));
            if (i == 1) {
                atr.ta1 = ta;
            } else if (afterT15 && !atr.uiccClassIndicator) {
                atr.uiccClassIndicator = ta;
            }
        }
        if ((presence & 0x2) != 0) {
            const std::uint8_t tb = next(fmt::format("TB{}", i));
            if (afterT15 && !atr.uiccGlobalByte) {
                atr.uiccGlobalByte = tb;
            }
        }
        if ((presence & 0x4) != 0) {
            next(fmt::format("TC{}", i));
        }
        if ((presence & 0x8) == 0) {
            break;
        }
        const std::uint8_t td = next(fmt::format("TD{}", i));
        previousT = td & 0x0F;
        presence = td >> 4;
        if (std::find(atr.protocols.begin(), atr.protocols.end(), previousT) ==
            atr.protocols.end()) {
            atr.protocols.push_back(previousT);
        }
        // ISO/IEC 7816-3 §8.2.5: TCK is present unless T=0 is the only protocol indicated.
        tckRequired = tckRequired || previousT != 0;
    }
    if (atr.protocols.empty()) {
        atr.protocols.push_back(0);
    }

    if (bytes.size() - pos < historicalCount) {
        invalid(bytes, fmt::format("T0 announces {} historical bytes, {} remain", historicalCount,
                                   bytes.size() - pos));
    }
    const auto historicalBegin = bytes.begin() + static_cast<std::ptrdiff_t>(pos);
    atr.historical.assign(historicalBegin,
                          historicalBegin + static_cast<std::ptrdiff_t>(historicalCount));
    pos += historicalCount;

    if (tckRequired) {
        atr.tck = next("TCK");
        std::uint8_t check = 0;
        for (std::size_t k = 1; k < pos; ++k) {
            check ^= bytes[k];
        }
        atr.tckValid = check == 0;
    }
    if (pos != bytes.size()) {
        invalid(bytes, fmt::format("{} byte(s) after the end", bytes.size() - pos));
    }
    return atr;
}

std::vector<std::string> Atr::describe() const {
    std::vector<std::string> lines;
    lines.push_back(raw.empty() || raw[0] == kDirectConvention ? "TS = 3B: direct convention"
                                                               : "TS = 3F: inverse convention");
    std::vector<std::string> names;
    for (const int t : protocols) {
        names.push_back(t == kGlobalBytesT ? "T=15 (global interface bytes)"
                                           : fmt::format("T={}", t));
    }
    lines.push_back(fmt::format("Protocols: {}", fmt::join(names, ", ")));
    if (ta1) {
        lines.push_back(describeTa1(*ta1));
    }
    if (uiccClassIndicator) {
        lines.push_back(describeClassIndicator(*uiccClassIndicator));
    }
    if (uiccGlobalByte) {
        lines.push_back(describeGlobalByte(*uiccGlobalByte));
    } else {
        lines.push_back("No UICC global byte: secure channel (TS 102 484) not advertised");
    }
    lines.push_back(fmt::format("Historical bytes ({}): {}", historical.size(),
                                historical.empty() ? "none" : toHex(historical, true)));
    if (tck) {
        lines.push_back(
            fmt::format("TCK = {:02X} ({})", *tck, tckValid ? "valid" : "INVALID checksum"));
    } else {
        lines.push_back("No TCK (only T=0 announced)");
    }
    return lines;
}

}  // namespace seuicc
