// The CBOR layer under every integrity format: libcbor items built and read in RFC 8949 §4.2.1
// core deterministic encoding only. Internal to the library (not under include/).
#pragma once

#include <cbor.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.hpp"

namespace integrity::cbor {

struct ItemRelease {
    void operator()(cbor_item_t* item) const noexcept { cbor_decref(&item); }
};
using Item = std::unique_ptr<cbor_item_t, ItemRelease>;

// --- Building (each in its shortest form, so the encoding is the deterministic one) ---
Item uint(std::uint64_t value);
Item integer(std::int64_t value);
Item bytes(base::ByteView value);
Item text(std::string_view value);
Item boolean(bool value);
Item array(std::vector<Item> items);
// Entries are sorted by their keys' encoded bytes; a duplicate key is a programming error
// (std::logic_error).
Item map(std::vector<std::pair<Item, Item>> entries);
Item tag(std::uint64_t number, Item content);
base::Bytes encode(const cbor_item_t& item);

// --- Reading ---
// Decodes one complete data item of at most `maxBytes`. Refuses (MalformedInput, naming `what`)
// anything but core deterministic encoding: indefinite lengths, non-shortest heads, unsorted or
// duplicate map keys, floats and simple values other than true/false, tags, nesting deeper than 16,
// lengths beyond the input, and trailing bytes.
Item decode(base::ByteView encoded, std::size_t maxBytes, std::string_view what);

// Typed access; each throws MalformedInput "<what>: ..." on a wrong type or range.
std::uint64_t asUint(const cbor_item_t& item, std::string_view what,
                     std::uint64_t max = UINT64_MAX);
std::int64_t asInt(const cbor_item_t& item, std::string_view what);
base::Bytes asBytes(const cbor_item_t& item, std::string_view what, std::size_t minSize,
                    std::size_t maxSize);
std::string asText(const cbor_item_t& item, std::string_view what, std::size_t minSize,
                   std::size_t maxSize);  // valid UTF-8
bool asBool(const cbor_item_t& item, std::string_view what);
std::span<cbor_item_t*> asArray(const cbor_item_t& item, std::string_view what, std::size_t minSize,
                                std::size_t maxSize);

// The entries of a map whose keys are integers, each key one of `allowed`; lookups by key.
class IntMap {
public:
    IntMap(const cbor_item_t& item, std::string_view what, std::span<const std::int64_t> allowed);
    // nullptr when absent.
    [[nodiscard]] const cbor_item_t* find(std::int64_t key) const;
    // MalformedInput when absent.
    [[nodiscard]] const cbor_item_t& at(std::int64_t key) const;

private:
    std::string what_;
    std::vector<std::pair<std::int64_t, const cbor_item_t*>> entries_;
};

}  // namespace integrity::cbor
