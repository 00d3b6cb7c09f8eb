#include "seuicc/bytes.hpp"

#include <fmt/format.h>

#include "seuicc/errors.hpp"

namespace seuicc {

namespace {

constexpr char kDigits[] = "0123456789ABCDEF";

// The value of one hex digit, or -1.
int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool isSeparator(char c) {
    return c == ' ' || c == ':' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

std::string toHex(ByteView bytes, bool spaced) {
    std::string out;
    out.reserve(bytes.size() * (spaced ? 3 : 2));
    for (const std::uint8_t b : bytes) {
        if (spaced && !out.empty()) {
            out += ' ';
        }
        out += kDigits[b >> 4];
        out += kDigits[b & 0x0F];
    }
    return out;
}

Bytes fromHex(std::string_view hex) {
    Bytes out;
    out.reserve(hex.size() / 2);
    int high = -1;  // the first digit of a byte whose second digit is still to come
    for (std::size_t i = 0; i < hex.size(); ++i) {
        const char c = hex[i];
        if (isSeparator(c)) {
            continue;
        }
        const int value = hexValue(c);
        if (value < 0) {
            throw HexError(fmt::format("not a hex digit: '{}' at position {}", c, i));
        }
        if (high < 0) {
            high = value;
        } else {
            out.push_back(static_cast<std::uint8_t>((high << 4) | value));
            high = -1;
        }
    }
    if (high >= 0) {
        throw HexError(fmt::format("odd number of hex digits in \"{}\"", hex));
    }
    return out;
}

}  // namespace seuicc
