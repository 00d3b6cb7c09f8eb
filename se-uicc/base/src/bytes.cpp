#include "base/bytes.hpp"

#include <fmt/format.h>

namespace base {

namespace {

constexpr char kUpperDigits[] = "0123456789ABCDEF";
constexpr char kLowerDigits[] = "0123456789abcdef";

bool isSeparator(char c) noexcept {
    return c == ' ' || c == ':' || c == '\t' || c == '\n' || c == '\r';
}

std::string encode(ByteView bytes, const char* digits, bool spaced) {
    std::string out;
    out.reserve(bytes.size() * (spaced ? 3 : 2));
    for (const std::uint8_t b : bytes) {
        if (spaced && !out.empty()) {
            out += ' ';
        }
        out += digits[b >> 4];
        out += digits[b & 0x0F];
    }
    return out;
}

// The position of the first character that is neither a hex digit nor a separator.
[[noreturn]] void throwNotHex(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!hexDigitValue(text[i]) && !isSeparator(text[i])) {
            // The position, not the character: the text may be a key.
            throw HexError(fmt::format("not a hex digit at position {}", i));
        }
    }
    throw HexError("not hex text");
}

}  // namespace

std::string toHex(ByteView bytes, bool spaced) {
    return encode(bytes, kUpperDigits, spaced);
}

std::string toLowerHex(ByteView bytes) {
    return encode(bytes, kLowerDigits, false);
}

void encodeLowerHex(ByteView bytes, std::span<std::uint8_t> out) {
    if (out.size() != 2 * bytes.size()) {
        throw HexError(fmt::format("{} bytes need {} hex digits, not {}", bytes.size(),
                                   2 * bytes.size(), out.size()));
    }
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = static_cast<std::uint8_t>(kLowerDigits[bytes[i] >> 4]);
        out[2 * i + 1] = static_cast<std::uint8_t>(kLowerDigits[bytes[i] & 0x0F]);
    }
}

std::optional<std::uint8_t> hexDigitValue(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return static_cast<std::uint8_t>(c - '0');
    }
    if (c >= 'a' && c <= 'f') {
        return static_cast<std::uint8_t>(c - 'a' + 10);
    }
    if (c >= 'A' && c <= 'F') {
        return static_cast<std::uint8_t>(c - 'A' + 10);
    }
    return std::nullopt;
}

std::optional<std::size_t> countHexDigits(std::string_view text) noexcept {
    std::size_t digits = 0;
    for (const char c : text) {
        if (hexDigitValue(c)) {
            ++digits;
        } else if (!isSeparator(c)) {
            return std::nullopt;
        }
    }
    return digits;
}

void decodeHex(std::string_view text, std::span<std::uint8_t> out) {
    std::size_t nibble = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (isSeparator(c)) {
            continue;
        }
        const auto value = hexDigitValue(c);
        if (!value) {
            throwNotHex(text);
        }
        if (nibble / 2 >= out.size()) {
            throw HexError(fmt::format("more than {} bytes of hex", out.size()));
        }
        std::uint8_t& target = out[nibble / 2];
        target = static_cast<std::uint8_t>(nibble % 2 == 0 ? *value << 4 : target | *value);
        ++nibble;
    }
    if (nibble % 2 != 0) {
        throw HexError(fmt::format("odd number of hex digits ({})", nibble));
    }
    if (nibble / 2 != out.size()) {
        throw HexError(fmt::format("{} bytes of hex, {} expected", nibble / 2, out.size()));
    }
}

Bytes fromHex(std::string_view text) {
    const auto digits = countHexDigits(text);
    if (!digits) {
        throwNotHex(text);
    }
    if (*digits % 2 != 0) {
        throw HexError(fmt::format("odd number of hex digits ({})", *digits));
    }
    Bytes out(*digits / 2);
    decodeHex(text, out);
    return out;
}

}  // namespace base
