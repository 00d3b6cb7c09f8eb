// Sees whether a secret reaches the heap allocator unwiped: while a FreedMemoryWatch is alive,
// every block freed through operator delete (std::vector, std::string and every other standard
// container) is searched for the watched bytes before it goes back to malloc, and the blocks that
// still hold them are counted.
//
// A binary that links freed_memory_watch.cpp has its global operator new and delete replaced
// (malloc/free underneath, which the sanitizers still see). Blocks freed with free() by C
// libraries (OpenSSL, pcsc-lite) are not seen, and neither is memory still alive when the watch
// ends: a test watches the span in which the copies it cares about are made and dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace testsupport {

class FreedMemoryWatch {
public:
    // Watches for `secret` (at least 8 bytes, at most 256, so that a hit is not a coincidence).
    // One watch at a time.
    explicit FreedMemoryWatch(std::span<const std::uint8_t> secret);
    ~FreedMemoryWatch();
    FreedMemoryWatch(const FreedMemoryWatch&) = delete;
    FreedMemoryWatch& operator=(const FreedMemoryWatch&) = delete;

    // Blocks freed since the watch began that held the secret whole.
    [[nodiscard]] std::size_t unwipedFrees() const;
    // All blocks freed since the watch began (to show that the watch saw the frees at all).
    [[nodiscard]] std::size_t frees() const;
};

}  // namespace testsupport
