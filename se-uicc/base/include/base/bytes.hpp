// Byte buffers and their hex form: the vocabulary every layer shares.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace base {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Malformed hex text (an odd number of digits, a character that is neither a digit nor a
// separator, or a length other than the one asked for).
class HexError : public Error {
public:
    using Error::Error;
};

// The bytes of a string (a KDF label, an HTTP body), without a terminating NUL.
inline ByteView asBytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// `out` with `more` appended.
inline void append(Bytes& out, ByteView more) {
    out.insert(out.end(), more.begin(), more.end());
}

// The parts one after the other.
inline Bytes concat(std::initializer_list<ByteView> parts) {
    Bytes out;
    for (const ByteView part : parts) {
        append(out, part);
    }
    return out;
}

// Uppercase hex, e.g. "00A4040C"; with `spaced`, "00 A4 04 0C".
std::string toHex(ByteView bytes, bool spaced = false);
// Lowercase hex without separators, e.g. "00a4040c" (identities, key files).
std::string toLowerHex(ByteView bytes);
// The same, written into `out` (exactly 2 × bytes.size()), so that the hex form of a key can stay
// in locked memory. Throws HexError if `out` has another size.
void encodeLowerHex(ByteView bytes, std::span<std::uint8_t> out);

// The value of one hex digit (either case), or nullopt.
std::optional<std::uint8_t> hexDigitValue(char c) noexcept;

// Hex text is digits (either case) with optional separators between them: spaces, tabs, line
// breaks and colons, so "3B:9A 96" and "3b9a96" are the same bytes.
// The number of digits in `text` if it is hex text, nullopt if any other character occurs.
std::optional<std::size_t> countHexDigits(std::string_view text) noexcept;
// Decodes hex text into exactly `out.size()` bytes, without a copy in between, so that a key can
// go straight into a SecretBuffer. Throws HexError (the message never quotes the text).
void decodeHex(std::string_view text, std::span<std::uint8_t> out);
// Decodes hex text. Throws HexError on an odd number of digits or any other character.
Bytes fromHex(std::string_view text);

}  // namespace base
