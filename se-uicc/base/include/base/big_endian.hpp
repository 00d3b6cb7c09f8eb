// Big-endian (network order) integers in byte strings: card fields, counters, lengths.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"

namespace base {

// The low `N` bytes of `value`, most significant first.
template <std::size_t N>
constexpr std::array<std::uint8_t, N> toBigEndian(std::uint64_t value) noexcept {
    static_assert(N >= 1 && N <= 8);
    std::array<std::uint8_t, N> out{};
    for (std::size_t i = 0; i < N; ++i) {
        out[N - 1 - i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
    return out;
}

// Appends the low `N` bytes of `value`, most significant first.
template <std::size_t N>
void appendBigEndian(Bytes& out, std::uint64_t value) {
    const auto bytes = toBigEndian<N>(value);
    out.insert(out.end(), bytes.begin(), bytes.end());
}

// The unsigned number `bytes` spell, most significant first. Throws base::Error for more than
// 8 bytes (the caller checks field sizes; this is the last line of defence).
std::uint64_t readBigEndian(ByteView bytes);

}  // namespace base
