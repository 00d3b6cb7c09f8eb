// EF_ICCID (TS 102 221 §13.2): the ICCID in BCD, low nibble first, padded with F; and reading it.
#include <fmt/format.h>

#include "base/big_endian.hpp"

#include "seuicc/errors.hpp"
#include "seuicc/uicc.hpp"

namespace seuicc {

namespace {

constexpr std::size_t kMaxIccidDigits = 2 * kEfIccidSize;
constexpr std::uint8_t kFiller = 0x0F;

}  // namespace

std::string decodeIccid(ByteView ef) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string digits;
    for (const std::uint8_t b : ef) {
        for (const std::uint8_t nibble :
             {static_cast<std::uint8_t>(b & 0x0F), static_cast<std::uint8_t>(b >> 4)}) {
            if (nibble == kFiller) {
                return digits;
            }
            digits += kDigits[nibble];
        }
    }
    return digits;
}

Bytes encodeIccid(std::string_view digits) {
    if (digits.empty() || digits.size() > kMaxIccidDigits ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
        throw Error(fmt::format("ICCID \"{}\" is not 1 to 20 decimal digits", digits));
    }
    Bytes ef(kEfIccidSize, 0xFF);
    for (std::size_t i = 0; i < digits.size(); ++i) {
        const auto value = static_cast<std::uint8_t>(digits[i] - '0');
        std::uint8_t& byte = ef[i / 2];
        byte = i % 2 == 0 ? static_cast<std::uint8_t>((byte & 0xF0) | value)
                          : static_cast<std::uint8_t>((byte & 0x0F) | (value << 4));
    }
    return ef;
}

Bytes readEfIccid(const Transaction& transaction, CardChannel& channel) {
    // The size is fixed by TS 102 221, so the FCP (one more APDU under T=0) would tell nothing.
    selectByPath(transaction, channel, base::toBigEndian<2>(kFidEfIccid))
        .requireOk("SELECT EF_ICCID");
    return readBinary(transaction, channel, 0, kEfIccidSize);
}

}  // namespace seuicc
