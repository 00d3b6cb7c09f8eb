// Base64 (RFC 4648 §4, the standard alphabet with padding): mId content, B-TIDs, the Digest AKA
// nonce and AUTS. One implementation for every layer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace base {

// Padded, no line breaks.
[[nodiscard]] std::string base64Encode(ByteView data);

// Canonical base64 only: padded to a multiple of 4, no white space or line breaks, zero pad bits.
// Every byte string then has exactly one text, so a peer's text and ours compare byte for byte.
// nullopt for anything else (the caller knows what the text was and says so in its error).
[[nodiscard]] std::optional<Bytes> base64Decode(std::string_view text);

}  // namespace base
