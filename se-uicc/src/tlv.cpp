#include "seuicc/tlv.hpp"

#include <fmt/format.h>

#include "seuicc/errors.hpp"

namespace seuicc {

namespace {

constexpr std::size_t kMaxTagBytes = 4;
constexpr std::size_t kMaxLengthBytes = 4;

bool isPadding(std::uint8_t b) {
    return b == 0x00 || b == 0xFF;
}

// The first (most significant non-zero) byte of a tag number.
std::uint8_t firstTagByte(std::uint32_t tag) {
    while (tag > 0xFF) {
        tag >>= 8;
    }
    return static_cast<std::uint8_t>(tag);
}

// One object of the input, its value not copied out.
struct TlvView {
    std::uint32_t tag = 0;
    ByteView value;

    Tlv copy() const { return Tlv{tag, Bytes(value.begin(), value.end())}; }
};

// Reads the bytes of one TLV at `pos` and advances `pos` past it.
class Reader {
public:
    explicit Reader(ByteView data) : data_(data) {}

    bool atEnd() {
        while (pos_ < data_.size() && isPadding(data_[pos_])) {
            ++pos_;
        }
        return pos_ >= data_.size();
    }

    // The next object, its value a view into the data (nothing is copied).
    TlvView next() {
        TlvView tlv;
        tlv.tag = readTag();
        const std::size_t length = readLength();
        if (length > data_.size() - pos_) {
            fail(fmt::format("tag {:X} announces {} value bytes, {} remain", tlv.tag, length,
                             data_.size() - pos_));
        }
        tlv.value = data_.subspan(pos_, length);
        pos_ += length;
        return tlv;
    }

private:
    std::uint8_t byte(std::string_view what) {
        if (pos_ >= data_.size()) {
            fail(fmt::format("truncated {}", what));
        }
        return data_[pos_++];
    }

    // Low five bits 11111 in the first byte: more tag bytes follow, each with b8 = 1 while
    // another one comes after it.
    std::uint32_t readTag() {
        std::uint8_t b = byte("tag");
        std::uint32_t tag = b;
        if ((b & 0x1F) != 0x1F) {
            return tag;
        }
        std::size_t count = 1;
        do {
            if (++count > kMaxTagBytes) {
                fail("tag longer than 4 bytes");
            }
            b = byte("tag");
            tag = (tag << 8) | b;
        } while ((b & 0x80) != 0);
        return tag;
    }

    // 00-7F: the length itself. 81-84: 1 to 4 length bytes follow. 80 (indefinite) and
    // 85-FF are not allowed here.
    std::size_t readLength() {
        const std::uint8_t b = byte("length");
        if (b < 0x80) {
            return b;
        }
        const std::size_t count = b & 0x7F;
        if (count == 0 || count > kMaxLengthBytes) {
            fail(fmt::format("unsupported length field {:02X}", b));
        }
        std::size_t length = 0;
        for (std::size_t i = 0; i < count; ++i) {
            length = (length << 8) | byte("length");
        }
        return length;
    }

    [[noreturn]] void fail(const std::string& why) const {
        throw TlvError(fmt::format("malformed BER-TLV at offset {}: {}", pos_, why));
    }

    ByteView data_;
    std::size_t pos_ = 0;
};

void appendLength(Bytes& out, std::size_t length) {
    if (length < 0x80) {
        out.push_back(static_cast<std::uint8_t>(length));
        return;
    }
    std::size_t count = 1;
    while (count < sizeof(std::uint32_t) && (length >> (8 * count)) != 0) {
        ++count;
    }
    out.push_back(static_cast<std::uint8_t>(0x80 | count));
    for (std::size_t i = count; i-- > 0;) {
        out.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
    }
}

// Every object of one level, checked whole before any of it is used (a malformed object anywhere
// in the level is a TlvError, even after the one looked for).
std::vector<TlvView> parseLevel(ByteView data) {
    std::vector<TlvView> out;
    Reader reader(data);
    while (!reader.atEnd()) {
        out.push_back(reader.next());
    }
    return out;
}

bool isConstructed(std::uint32_t tag) {
    return (firstTagByte(tag) & 0x20) != 0;
}

}  // namespace

bool Tlv::constructed() const {
    return isConstructed(tag);
}

std::vector<Tlv> parseTlvs(ByteView data) {
    const std::vector<TlvView> level = parseLevel(data);
    std::vector<Tlv> out;
    out.reserve(level.size());
    for (const TlvView& tlv : level) {
        out.push_back(tlv.copy());
    }
    return out;
}

std::optional<Tlv> findTlv(ByteView data, std::uint32_t tag) {
    for (const TlvView& tlv : parseLevel(data)) {
        if (tlv.tag == tag) {
            return tlv.copy();
        }
    }
    return std::nullopt;
}

// Depth first in document order over views, with a stack of levels instead of recursion: the
// nesting is the card's to choose, so neither the memory (copying each level's values again)
// nor the call depth may grow with it. Only the object found is copied.
std::optional<Tlv> findTlvRecursive(ByteView data, std::uint32_t tag) {
    struct Level {
        std::vector<TlvView> objects;
        std::size_t next = 0;
    };
    std::vector<Level> stack;
    stack.push_back(Level{parseLevel(data)});
    while (!stack.empty()) {
        Level& level = stack.back();
        if (level.next == level.objects.size()) {
            stack.pop_back();
            continue;
        }
        const TlvView tlv = level.objects[level.next++];
        if (tlv.tag == tag) {
            return tlv.copy();
        }
        if (isConstructed(tlv.tag)) {
            stack.push_back(Level{parseLevel(tlv.value)});  // `level` is not used after this
        }
    }
    return std::nullopt;
}

Bytes encodeTlv(std::uint32_t tag, ByteView value) {
    if (tag == 0) {
        throw TlvError("tag 0 cannot be encoded");
    }
    if (value.size() > 0xFFFFFFFFU) {
        throw TlvError("value longer than a 4-byte length field allows");
    }
    Bytes out;
    out.reserve(value.size() + 10);
    bool started = false;
    for (int shift = 24; shift >= 0; shift -= 8) {
        const auto b = static_cast<std::uint8_t>(tag >> shift);
        if (b != 0 || started) {
            out.push_back(b);
            started = true;
        }
    }
    appendLength(out, value.size());
    out.insert(out.end(), value.begin(), value.end());
    return out;
}

}  // namespace seuicc
