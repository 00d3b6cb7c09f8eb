#include "base/base64.hpp"

#include <array>
#include <cstdint>

namespace base {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> kValues = [] {
    std::array<std::int8_t, 256> values{};
    values.fill(-1);
    for (int i = 0; i < 64; ++i) {
        values[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    }
    return values;
}();

}  // namespace

std::string base64Encode(ByteView data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < data.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, data.size() - i);
        std::uint32_t block = 0;
        for (std::size_t k = 0; k < 3; ++k) {
            block = (block << 8) | (k < n ? data[i + k] : 0U);
        }
        for (std::size_t k = 0; k < 4; ++k) {
            out += k <= n ? kAlphabet[(block >> (18 - 6 * k)) & 0x3F] : '=';
        }
    }
    return out;
}

std::optional<Bytes> base64Decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    Bytes out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        std::size_t pad = 0;
        if (i + 4 == text.size()) {
            pad = text[i + 3] == '=' ? (text[i + 2] == '=' ? 2 : 1) : 0;
        }
        std::uint32_t block = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            int v = 0;
            if (k < 4 - pad) {
                v = kValues[static_cast<unsigned char>(text[i + k])];
                if (v < 0) {
                    return std::nullopt;  // also '=' anywhere but the final pad
                }
            }
            block = (block << 6) | static_cast<std::uint32_t>(v);
        }
        if ((pad == 1 && (block & 0xFF) != 0) || (pad == 2 && (block & 0xFFFF) != 0)) {
            return std::nullopt;
        }
        for (std::size_t k = 0; k < 3 - pad; ++k) {
            out.push_back(static_cast<std::uint8_t>((block >> (16 - 8 * k)) & 0xFF));
        }
    }
    return out;
}

}  // namespace base
