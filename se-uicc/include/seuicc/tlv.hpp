// BER-TLV as ISO/IEC 7816-4 §6.3 uses it: tags of up to 4 bytes, definite lengths of up to
// 4 bytes (81/82/83/84 forms), constructed objects nesting further TLVs.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "seuicc/types.hpp"

namespace seuicc {

struct Tlv {
    // The tag bytes as a big-endian number: 0x62, 0x9F70, 0xBF2D, 0x7F4E...
    std::uint32_t tag = 0;
    Bytes value;

    // b6 of the first tag byte: the value is itself a sequence of TLVs.
    bool constructed() const;
};

// Parses a sequence of TLVs. '00' and 'FF' bytes before, between and after objects are padding
// (ISO/IEC 7816-4 §6.3) and are skipped, which is what EF records padded with FF need. Throws
// TlvError when a tag or length is truncated, a length is indefinite or longer than 4 bytes,
// or a value runs past the end.
std::vector<Tlv> parseTlvs(ByteView data);

// The first object with `tag` at the top level of `data`.
std::optional<Tlv> findTlv(ByteView data, std::uint32_t tag);

// The first object with `tag` at any depth, searching constructed objects depth first in
// document order.
std::optional<Tlv> findTlvRecursive(ByteView data, std::uint32_t tag);

// Tag, minimal-length length field, value. Throws TlvError for tag 0.
Bytes encodeTlv(std::uint32_t tag, ByteView value);

}  // namespace seuicc
