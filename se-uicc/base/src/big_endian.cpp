#include "base/big_endian.hpp"

#include <fmt/format.h>

namespace base {

std::uint64_t readBigEndian(ByteView bytes) {
    if (bytes.size() > 8) {
        throw Error(fmt::format("a {}-byte number does not fit 64 bits", bytes.size()));
    }
    std::uint64_t value = 0;
    for (const std::uint8_t b : bytes) {
        value = (value << 8) | b;
    }
    return value;
}

}  // namespace base
