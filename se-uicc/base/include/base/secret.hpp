// The one container for key material in the whole project (security-profile.md §1 rule 4:
// locked, non-dumpable memory, wiped after use, never logged), and the wipe for the odd
// temporary that cannot live in one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/bytes.hpp"

namespace base {

// Overwrites `bytes` with zeros in a way the compiler cannot drop (explicit_bzero).
void secureWipe(std::span<std::uint8_t> bytes) noexcept;

/// A fixed-size buffer for key material.
///
/// The storage is a private anonymous mapping of whole pages: locked in RAM with mlock (so it is
/// never swapped out) and excluded from core dumps with madvise(MADV_DONTDUMP). It is wiped before
/// it is released. Moving steals the storage and leaves the source empty (size 0, no storage), so
/// no copy of the secret stays behind. There is no copy constructor, no stream output and no
/// implicit conversion to Bytes: a copy has to be asked for with copyOf().
///
/// If mlock fails with EPERM or ENOMEM (RLIMIT_MEMLOCK, no CAP_IPC_LOCK), the buffer is still
/// usable: the failure is logged once per process, counted in secretMemoryStatus(), and isLocked()
/// returns false for that buffer.
class SecretBuffer {
public:
    /// An empty buffer (no storage).
    SecretBuffer() noexcept = default;
    /// A buffer of `size` zero bytes. Throws std::bad_alloc if the mapping fails.
    explicit SecretBuffer(std::size_t size);
    /// A buffer holding a copy of `data`.
    static SecretBuffer copyOf(ByteView data);
    /// A buffer holding a copy of `source`, which is then wiped and cleared: for the one place
    /// a secret arrives in a plain vector (a card response, say).
    static SecretBuffer takeFrom(Bytes& source);

    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;
    SecretBuffer(SecretBuffer&& other) noexcept;
    SecretBuffer& operator=(SecretBuffer&& other) noexcept;
    ~SecretBuffer();

    [[nodiscard]] std::uint8_t* data() noexcept { return data_; }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] ByteView view() const noexcept { return {data_, size_}; }
    [[nodiscard]] std::span<std::uint8_t> mutableView() noexcept { return {data_, size_}; }

    /// Constant-time comparison of the contents (the sizes are not secret and are compared first).
    [[nodiscard]] bool equals(ByteView other) const noexcept;
    [[nodiscard]] bool equals(const SecretBuffer& other) const noexcept {
        return equals(other.view());
    }

    /// True if mlock succeeded for this buffer's pages.
    [[nodiscard]] bool isLocked() const noexcept { return locked_; }
    /// True if madvise(MADV_DONTDUMP) succeeded for this buffer's pages.
    [[nodiscard]] bool isExcludedFromDumps() const noexcept { return dontDump_; }

private:
    void release() noexcept;

    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t mappedBytes_ = 0;
    bool locked_ = false;
    bool dontDump_ = false;
};

/// Constant-time equality of two byte strings of the same length (false for different lengths).
[[nodiscard]] bool constantTimeEqual(ByteView a, ByteView b) noexcept;

/// Process-wide counters of protections the kernel refused (none of them stops the program).
struct SecretMemoryStatus {
    std::uint64_t lockFailures = 0;      ///< buffers whose mlock failed (EPERM/ENOMEM)
    std::uint64_t dontDumpFailures = 0;  ///< buffers whose madvise(MADV_DONTDUMP) failed
    [[nodiscard]] bool degraded() const noexcept { return lockFailures + dontDumpFailures != 0; }
};
[[nodiscard]] SecretMemoryStatus secretMemoryStatus() noexcept;

namespace testing {
/// Test hook: called with the storage of every SecretBuffer right after it has been wiped and just
/// before it is unmapped, so a test can check the wipe without reading freed memory. Pass nullptr
/// to remove it. Not for production use.
using WipeObserver = void (*)(const std::uint8_t* storage, std::size_t size);
void setWipeObserver(WipeObserver observer) noexcept;
}  // namespace testing

}  // namespace base
