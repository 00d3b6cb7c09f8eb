// Length coding of ISO/IEC 7816-4 §5.1: short form (Lc, Le one byte each) and extended form
// (a 00 marker, then two-byte Lc and/or Le). Le 00 means 256 and extended Le 0000 means 65536.
#include "seuicc/apdu.hpp"

#include <fmt/format.h>
#include "base/big_endian.hpp"

#include "seuicc/errors.hpp"

namespace seuicc {

namespace {

constexpr std::size_t kHeaderSize = 4;
constexpr std::size_t kMaxShortNc = 255;
constexpr std::size_t kMaxExtendedNc = 65535;

void appendShortLe(Bytes& out, std::uint32_t ne) {
    out.push_back(static_cast<std::uint8_t>(ne == CommandApdu::kMaxShortNe ? 0 : ne));
}

void appendTwoBytes(Bytes& out, std::uint32_t value) {
    // 65536 wraps to 0000, which is exactly how extended Le encodes it.
    base::appendBigEndian<2>(out, value);
}

std::uint32_t readTwoBytes(ByteView bytes, std::size_t at) {
    return static_cast<std::uint32_t>(base::readBigEndian(bytes.subspan(at, 2)));
}

std::uint32_t shortNe(std::uint8_t le) {
    return le == 0 ? CommandApdu::kMaxShortNe : le;
}

std::uint32_t extendedNe(std::uint32_t le) {
    return le == 0 ? CommandApdu::kMaxExtendedNe : le;
}

[[noreturn]] void inconsistent(ByteView bytes, std::string_view why) {
    throw ApduFormatError(fmt::format("malformed command APDU {}: {}", toHex(bytes), why));
}

}  // namespace

ApduCase CommandApdu::apduCase() const {
    if (data.empty()) {
        return le ? ApduCase::Case2 : ApduCase::Case1;
    }
    return le ? ApduCase::Case4 : ApduCase::Case3;
}

bool CommandApdu::isExtended() const {
    return data.size() > kMaxShortNc || (le && *le > kMaxShortNe);
}

std::size_t CommandApdu::dataOffset() const {
    if (data.empty()) {
        return kHeaderSize;
    }
    return kHeaderSize + (isExtended() ? 3 : 1);
}

Bytes CommandApdu::encode() const {
    if (data.size() > kMaxExtendedNc) {
        throw ApduFormatError(fmt::format("command data of {} bytes exceeds 65535", data.size()));
    }
    if (le && (*le == 0 || *le > kMaxExtendedNe)) {
        throw ApduFormatError(fmt::format("Ne = {} is outside 1..65536", *le));
    }
    Bytes out{cla, ins, p1, p2};
    out.reserve(kHeaderSize + 3 + data.size() + 2);
    const bool extended = isExtended();
    if (!data.empty()) {
        if (extended) {
            out.push_back(0x00);
            appendTwoBytes(out, static_cast<std::uint32_t>(data.size()));
        } else {
            out.push_back(static_cast<std::uint8_t>(data.size()));
        }
        out.insert(out.end(), data.begin(), data.end());
    }
    if (le) {
        if (!extended) {
            appendShortLe(out, *le);
        } else {
            // The 00 marker comes only once: before Lc if there is data, else before Le.
            if (data.empty()) {
                out.push_back(0x00);
            }
            appendTwoBytes(out, *le);
        }
    }
    return out;
}

CommandApdu CommandApdu::parse(ByteView bytes) {
    if (bytes.size() < kHeaderSize) {
        inconsistent(bytes, "shorter than the 4-byte header");
    }
    CommandApdu apdu{bytes[0], bytes[1], bytes[2], bytes[3], {}, std::nullopt};
    const std::size_t bodySize = bytes.size() - kHeaderSize;
    if (bodySize == 0) {
        return apdu;  // case 1
    }
    const std::uint8_t first = bytes[kHeaderSize];
    if (bodySize == 1) {
        apdu.le = shortNe(first);  // case 2 short
        return apdu;
    }
    if (first != 0) {
        // Short Lc = first: case 3 (data only) or case 4 (data and one Le byte).
        const std::size_t nc = first;
        if (bodySize == 1 + nc) {
            apdu.data.assign(bytes.begin() + 5, bytes.end());
        } else if (bodySize == 2 + nc) {
            apdu.data.assign(bytes.begin() + 5, bytes.end() - 1);
            apdu.le = shortNe(bytes.back());
        } else {
            inconsistent(bytes, fmt::format("Lc = {} but {} data bytes follow", nc, bodySize - 1));
        }
        return apdu;
    }
    // Extended: 00 marker, then a two-byte Le (case 2) or Lc (cases 3 and 4).
    if (bodySize == 3) {
        apdu.le = extendedNe(readTwoBytes(bytes, 5));  // case 2 extended
        return apdu;
    }
    if (bodySize < 3) {
        inconsistent(bytes, "extended length marker without a complete length field");
    }
    const std::size_t nc = readTwoBytes(bytes, 5);
    if (nc == 0) {
        inconsistent(bytes, "extended Lc of zero");
    }
    const auto dataBegin = bytes.begin() + 7;
    if (bodySize == 3 + nc) {
        apdu.data.assign(dataBegin, bytes.end());
    } else if (bodySize == 5 + nc) {
        apdu.data.assign(dataBegin, bytes.end() - 2);
        apdu.le = extendedNe(readTwoBytes(bytes, bytes.size() - 2));
    } else {
        inconsistent(bytes,
                     fmt::format("extended Lc = {} does not match {} body bytes", nc, bodySize));
    }
    return apdu;
}

const ResponseApdu& ResponseApdu::requireOk(std::string_view operation) const {
    if (!ok()) {
        throw CardStatusError(sw, operation);
    }
    return *this;
}

ResponseApdu ResponseApdu::parse(ByteView bytes) {
    if (bytes.size() < 2) {
        throw ApduFormatError(fmt::format("response APDU of {} byte(s) has no status word: \"{}\"",
                                          bytes.size(), toHex(bytes)));
    }
    const std::size_t n = bytes.size() - 2;
    return ResponseApdu{Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)),
                        static_cast<std::uint16_t>(base::readBigEndian(bytes.last(2)))};
}

Bytes ResponseApdu::encode() const {
    Bytes out = data;
    out.push_back(sw1());
    out.push_back(sw2());
    return out;
}

}  // namespace seuicc
