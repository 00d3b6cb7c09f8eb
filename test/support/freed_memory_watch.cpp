// The replaced global operator new and delete behind FreedMemoryWatch (freed_memory_watch.hpp).
#include "freed_memory_watch.hpp"

#include <malloc.h>
#include <string.h>  // memmem

#include <atomic>
#include <cstdlib>
#include <new>
#include <stdexcept>

namespace testsupport {

namespace {

constexpr std::size_t kMinSecret = 8;
constexpr std::size_t kMaxSecret = 256;

std::atomic<bool> gWatching{false};
std::uint8_t gSecret[kMaxSecret];
std::size_t gSecretSize = 0;
std::atomic<std::size_t> gFrees{0};
std::atomic<std::size_t> gUnwiped{0};

// Looks at a block about to be freed. Allocates nothing (it runs inside operator delete).
void inspect(void* block) noexcept {
    if (block == nullptr || !gWatching.load(std::memory_order_acquire)) {
        return;
    }
    gFrees.fetch_add(1, std::memory_order_relaxed);
    const std::size_t size = ::malloc_usable_size(block);
    if (::memmem(block, size, gSecret, gSecretSize) != nullptr) {
        gUnwiped.fetch_add(1, std::memory_order_relaxed);
    }
}

void* allocate(std::size_t size) {
    if (void* block = std::malloc(size == 0 ? 1 : size)) {
        return block;
    }
    throw std::bad_alloc();
}

void release(void* block) noexcept {
    inspect(block);
    std::free(block);
}

}  // namespace

FreedMemoryWatch::FreedMemoryWatch(std::span<const std::uint8_t> secret) {
    if (secret.size() < kMinSecret || secret.size() > kMaxSecret) {
        throw std::invalid_argument("FreedMemoryWatch: the secret must have 8 to 256 bytes");
    }
    if (gWatching.load()) {
        throw std::logic_error("FreedMemoryWatch: one watch at a time");
    }
    ::memcpy(gSecret, secret.data(), secret.size());
    gSecretSize = secret.size();
    gFrees = 0;
    gUnwiped = 0;
    gWatching.store(true, std::memory_order_release);
}

FreedMemoryWatch::~FreedMemoryWatch() {
    gWatching.store(false, std::memory_order_release);
    ::explicit_bzero(gSecret, sizeof gSecret);
}

std::size_t FreedMemoryWatch::unwipedFrees() const {
    return gUnwiped.load();
}

std::size_t FreedMemoryWatch::frees() const {
    return gFrees.load();
}

}  // namespace testsupport

// The replaceable global allocation functions ([new.delete.single], [new.delete.array]); the
// aligned forms keep the library's own pair.
void* operator new(std::size_t size) {
    return testsupport::allocate(size);
}
void* operator new[](std::size_t size) {
    return testsupport::allocate(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* block) noexcept {
    testsupport::release(block);
}
void operator delete[](void* block) noexcept {
    testsupport::release(block);
}
void operator delete(void* block, std::size_t) noexcept {
    testsupport::release(block);
}
void operator delete[](void* block, std::size_t) noexcept {
    testsupport::release(block);
}
void operator delete(void* block, const std::nothrow_t&) noexcept {
    testsupport::release(block);
}
void operator delete[](void* block, const std::nothrow_t&) noexcept {
    testsupport::release(block);
}
