// Byte buffers and their hex form: the one vocabulary every layer of the project shares.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace seuicc {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Uppercase hex, e.g. "00A4040C"; with `spaced`, "00 A4 04 0C".
std::string toHex(ByteView bytes, bool spaced = false);

// Parses hex digits (either case). Spaces, tabs, newlines and colons between digits are ignored,
// so "3B:9A 96" and "3b9a96" give the same bytes. Throws HexError on an odd number of digits or
// on any other character.
Bytes fromHex(std::string_view hex);

}  // namespace seuicc
