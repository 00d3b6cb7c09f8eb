#include "cbor.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>

#include "integrity/errors.hpp"

namespace integrity::cbor {

namespace {

Item checked(cbor_item_t* item) {
    if (item == nullptr) {
        throw std::bad_alloc();
    }
    return Item(item);
}

[[noreturn]] void malformed(std::string_view what, std::string_view why) {
    throw MalformedInput(std::string(what) + ": " + std::string(why));
}

constexpr std::size_t kMaxDepth = 16;

// The strict reader's first pass: walks the heads of the encoding and refuses everything core
// deterministic encoding rules out, before libcbor allocates anything. Every length is checked
// against the bytes left, so a forged length cannot make libcbor allocate more than the input
// can fill.
class DeterminismCheck {
public:
    DeterminismCheck(base::ByteView in, std::string_view what) : in_(in), what_(what) {}

    void run() {
        item(0);
        if (pos_ != in_.size()) {
            malformed(what_, "trailing bytes after the CBOR item");
        }
    }

private:
    struct Head {
        std::uint8_t major;
        std::uint8_t info;
        std::uint64_t value;
    };

    std::uint8_t next() {
        if (pos_ >= in_.size()) {
            malformed(what_, "truncated CBOR");
        }
        return in_[pos_++];
    }

    Head head() {
        const std::uint8_t initial = next();
        Head h{static_cast<std::uint8_t>(initial >> 5), static_cast<std::uint8_t>(initial & 0x1f),
               0};
        if (h.info < 24) {
            h.value = h.info;
            return h;
        }
        if (h.info == 31) {
            malformed(what_, "indefinite-length CBOR is not accepted");
        }
        if (h.info > 27) {
            malformed(what_, "reserved CBOR head");
        }
        if (h.major == 7) {
            malformed(what_, "floats and simple values other than true/false are not accepted");
        }
        const std::size_t size = std::size_t{1} << (h.info - 24);
        for (std::size_t i = 0; i < size; ++i) {
            h.value = (h.value << 8) | next();
        }
        // RFC 8949 §4.2.1: the argument in the shortest form that holds it.
        const std::uint64_t smallest = size == 1 ? 24 : (std::uint64_t{1} << (4 * size));
        if (h.value < smallest) {
            malformed(what_, "CBOR integer or length not in its shortest form");
        }
        return h;
    }

    void needAtLeast(std::uint64_t count) const {
        if (count > in_.size() - pos_) {
            malformed(what_, "truncated CBOR (a length exceeds the input)");
        }
    }

    void item(std::size_t depth) {
        if (depth > kMaxDepth) {
            malformed(what_, "CBOR nested too deeply");
        }
        const Head h = head();
        switch (h.major) {
            case 0:
            case 1:
                return;
            case 2:
            case 3:
                needAtLeast(h.value);
                pos_ += static_cast<std::size_t>(h.value);
                return;
            case 4:
                needAtLeast(h.value);
                for (std::uint64_t i = 0; i < h.value; ++i) {
                    item(depth + 1);
                }
                return;
            case 5: {
                needAtLeast(h.value);  // each entry takes at least two bytes; checked as we go
                base::ByteView previous;
                for (std::uint64_t i = 0; i < h.value; ++i) {
                    const std::size_t start = pos_;
                    item(depth + 1);
                    const base::ByteView key = in_.subspan(start, pos_ - start);
                    if (i > 0 && !std::lexicographical_compare(previous.begin(), previous.end(),
                                                               key.begin(), key.end())) {
                        malformed(what_, "CBOR map keys duplicated or not in deterministic order");
                    }
                    previous = key;
                    item(depth + 1);
                }
                return;
            }
            case 6:
                // No format here nests a tag, and libcbor 0.8's cbor_load cannot load tagged
                // items at all; COSE's outer tag 18 is taken off before decoding.
                malformed(what_, "CBOR tags are not accepted here");
            default:  // 7: only false (20) and true (21) get past head()
                if (h.info != 20 && h.info != 21) {
                    malformed(what_, "simple values other than true/false are not accepted");
                }
                return;
        }
    }

    base::ByteView in_;
    std::string_view what_;
    std::size_t pos_ = 0;
};

bool validUtf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= s.size()) {
            return false;
        }
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

}  // namespace

Item uint(std::uint64_t value) {
    if (value <= 0xff) {
        return checked(cbor_build_uint8(static_cast<std::uint8_t>(value)));
    }
    if (value <= 0xffff) {
        return checked(cbor_build_uint16(static_cast<std::uint16_t>(value)));
    }
    if (value <= 0xffffffff) {
        return checked(cbor_build_uint32(static_cast<std::uint32_t>(value)));
    }
    return checked(cbor_build_uint64(value));
}

Item integer(std::int64_t value) {
    if (value >= 0) {
        return uint(static_cast<std::uint64_t>(value));
    }
    // CBOR major type 1 carries -1 - value.
    const std::uint64_t n = static_cast<std::uint64_t>(-(value + 1));
    if (n <= 0xff) {
        return checked(cbor_build_negint8(static_cast<std::uint8_t>(n)));
    }
    if (n <= 0xffff) {
        return checked(cbor_build_negint16(static_cast<std::uint16_t>(n)));
    }
    if (n <= 0xffffffff) {
        return checked(cbor_build_negint32(static_cast<std::uint32_t>(n)));
    }
    return checked(cbor_build_negint64(n));
}

Item bytes(base::ByteView value) {
    return checked(cbor_build_bytestring(value.data(), value.size()));
}

Item text(std::string_view value) {
    return checked(cbor_build_stringn(value.data(), value.size()));
}

Item boolean(bool value) {
    return checked(cbor_build_bool(value));
}

Item array(std::vector<Item> items) {
    Item out = checked(cbor_new_definite_array(items.size()));
    for (const Item& item : items) {
        if (!cbor_array_push(out.get(), item.get())) {
            throw std::bad_alloc();
        }
    }
    return out;
}

Item map(std::vector<std::pair<Item, Item>> entries) {
    std::vector<std::pair<base::Bytes, std::size_t>> keys;
    keys.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        keys.emplace_back(encode(*entries[i].first), i);
    }
    std::sort(keys.begin(), keys.end());
    Item out = checked(cbor_new_definite_map(entries.size()));
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i > 0 && keys[i].first == keys[i - 1].first) {
            throw std::logic_error("duplicate CBOR map key");
        }
        auto& [key, value] = entries[keys[i].second];
        if (!cbor_map_add(out.get(), cbor_pair{key.get(), value.get()})) {
            throw std::bad_alloc();
        }
    }
    return out;
}

Item tag(std::uint64_t number, Item content) {
    return checked(cbor_build_tag(number, content.get()));
}

base::Bytes encode(const cbor_item_t& item) {
    unsigned char* buffer = nullptr;
    std::size_t capacity = 0;
    const std::size_t length =
        cbor_serialize_alloc(const_cast<cbor_item_t*>(&item), &buffer, &capacity);
    if (length == 0) {
        std::free(buffer);
        throw std::bad_alloc();
    }
    base::Bytes out(buffer, buffer + length);
    std::free(buffer);
    return out;
}

Item decode(base::ByteView encoded, std::size_t maxBytes, std::string_view what) {
    if (encoded.empty()) {
        malformed(what, "empty");
    }
    if (encoded.size() > maxBytes) {
        malformed(what, "larger than " + std::to_string(maxBytes) + " bytes");
    }
    DeterminismCheck(encoded, what).run();
    cbor_load_result result{};
    Item item(cbor_load(encoded.data(), encoded.size(), &result));
    if (!item || result.error.code != CBOR_ERR_NONE || result.read != encoded.size()) {
        malformed(what, "not well-formed CBOR");
    }
    return item;
}

std::uint64_t asUint(const cbor_item_t& item, std::string_view what, std::uint64_t max) {
    if (!cbor_isa_uint(&item)) {
        malformed(what, "not an unsigned integer");
    }
    const std::uint64_t value = cbor_get_int(&item);
    if (value > max) {
        malformed(what, "out of range");
    }
    return value;
}

std::int64_t asInt(const cbor_item_t& item, std::string_view what) {
    // Type first: libcbor asserts on cbor_get_int of anything but an integer.
    if (!cbor_isa_uint(&item) && !cbor_isa_negint(&item)) {
        malformed(what, "not an integer");
    }
    const std::uint64_t magnitude = cbor_get_int(&item);
    if (magnitude > static_cast<std::uint64_t>(INT64_MAX)) {
        malformed(what, "integer out of range");
    }
    return cbor_isa_uint(&item) ? static_cast<std::int64_t>(magnitude)
                                : -1 - static_cast<std::int64_t>(magnitude);
}

base::Bytes asBytes(const cbor_item_t& item, std::string_view what, std::size_t minSize,
                    std::size_t maxSize) {
    if (!cbor_isa_bytestring(&item) || !cbor_bytestring_is_definite(&item)) {
        malformed(what, "not a byte string");
    }
    const std::size_t size = cbor_bytestring_length(&item);
    if (size < minSize || size > maxSize) {
        malformed(what, minSize == maxSize ? "must be " + std::to_string(minSize) + " bytes"
                                           : "must be " + std::to_string(minSize) + ".." +
                                                 std::to_string(maxSize) + " bytes");
    }
    const unsigned char* data = cbor_bytestring_handle(&item);
    return data == nullptr ? base::Bytes{} : base::Bytes(data, data + size);
}

std::string asText(const cbor_item_t& item, std::string_view what, std::size_t minSize,
                   std::size_t maxSize) {
    if (!cbor_isa_string(&item) || !cbor_string_is_definite(&item)) {
        malformed(what, "not a text string");
    }
    const std::size_t size = cbor_string_length(&item);
    if (size < minSize || size > maxSize) {
        malformed(what, "must be " + std::to_string(minSize) + ".." + std::to_string(maxSize) +
                            " bytes of text");
    }
    const unsigned char* data = cbor_string_handle(&item);
    std::string out =
        data == nullptr ? std::string{} : std::string(reinterpret_cast<const char*>(data), size);
    if (!validUtf8(out)) {
        malformed(what, "text is not valid UTF-8");
    }
    return out;
}

bool asBool(const cbor_item_t& item, std::string_view what) {
    if (!cbor_isa_float_ctrl(&item) || !cbor_is_bool(&item)) {
        malformed(what, "not a boolean");
    }
    return cbor_get_bool(&item);
}

std::span<cbor_item_t*> asArray(const cbor_item_t& item, std::string_view what, std::size_t minSize,
                                std::size_t maxSize) {
    if (!cbor_isa_array(&item) || !cbor_array_is_definite(&item)) {
        malformed(what, "not an array");
    }
    const std::size_t size = cbor_array_size(&item);
    if (size < minSize || size > maxSize) {
        malformed(what, "must have " + std::to_string(minSize) + ".." + std::to_string(maxSize) +
                            " elements");
    }
    return {cbor_array_handle(&item), size};
}

IntMap::IntMap(const cbor_item_t& item, std::string_view what,
               std::span<const std::int64_t> allowed)
    : what_(what) {
    if (!cbor_isa_map(&item) || !cbor_map_is_definite(&item)) {
        malformed(what, "not a map");
    }
    const std::size_t size = cbor_map_size(&item);
    const cbor_pair* pairs = cbor_map_handle(&item);
    for (std::size_t i = 0; i < size; ++i) {
        const std::int64_t key = asInt(*pairs[i].key, std::string(what) + " key");
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            malformed(what, "unknown key " + std::to_string(key));
        }
        entries_.emplace_back(key, pairs[i].value);
    }
}

const cbor_item_t* IntMap::find(std::int64_t key) const {
    for (const auto& [k, value] : entries_) {
        if (k == key) {
            return value;
        }
    }
    return nullptr;
}

const cbor_item_t& IntMap::at(std::int64_t key) const {
    const cbor_item_t* value = find(key);
    if (value == nullptr) {
        malformed(what_, "key " + std::to_string(key) + " missing");
    }
    return *value;
}

}  // namespace integrity::cbor
