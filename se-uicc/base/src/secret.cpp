#include "base/secret.hpp"

#include <string.h>  // explicit_bzero
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>
#include <system_error>
#include <utility>

#include "base/log.hpp"

namespace base {

namespace {

std::atomic<std::uint64_t> gLockFailures{0};
std::atomic<std::uint64_t> gDontDumpFailures{0};
std::atomic<bool> gLockFailureLogged{false};
std::atomic<bool> gDontDumpFailureLogged{false};
std::atomic<testing::WipeObserver> gWipeObserver{nullptr};

std::size_t pageSize() {
    static const std::size_t size = [] {
        const long value = ::sysconf(_SC_PAGESIZE);
        return value > 0 ? static_cast<std::size_t>(value) : std::size_t{4096};
    }();
    return size;
}

std::string errnoText(int error) {
    return std::system_category().message(error);
}

}  // namespace

void secureWipe(std::span<std::uint8_t> bytes) noexcept {
    if (!bytes.empty()) {
        ::explicit_bzero(bytes.data(), bytes.size());
    }
}

bool constantTimeEqual(ByteView a, ByteView b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    // Every byte is looked at, whatever the first difference; volatile keeps the loop whole.
    volatile std::uint8_t difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        difference = static_cast<std::uint8_t>(difference | (a[i] ^ b[i]));
    }
    return difference == 0;
}

SecretBuffer::SecretBuffer(std::size_t size) {
    if (size == 0) {
        return;
    }
    const std::size_t page = pageSize();
    if (size > SIZE_MAX - page) {
        throw std::bad_alloc();
    }
    const std::size_t mapped = (size + page - 1) / page * page;
    void* storage =
        ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (storage == MAP_FAILED) {
        throw std::bad_alloc();
    }
    data_ = static_cast<std::uint8_t*>(storage);
    size_ = size;
    mappedBytes_ = mapped;

    // Exclude from core dumps first: it cannot fail for lack of a resource.
    if (::madvise(storage, mapped, MADV_DONTDUMP) == 0) {
        dontDump_ = true;
    } else {
        const int error = errno;
        gDontDumpFailures.fetch_add(1, std::memory_order_relaxed);
        if (!gDontDumpFailureLogged.exchange(true)) {
            log::kSecret->warn(
                "secret memory: madvise(MADV_DONTDUMP) failed ({}); secrets may appear in core "
                "dumps (this warning is shown once)",
                errnoText(error));
        }
    }
    if (::mlock(storage, mapped) == 0) {
        locked_ = true;
    } else {
        // EPERM/ENOMEM/EAGAIN: no CAP_IPC_LOCK or RLIMIT_MEMLOCK reached. Go on unlocked.
        const int error = errno;
        gLockFailures.fetch_add(1, std::memory_order_relaxed);
        if (!gLockFailureLogged.exchange(true)) {
            log::kSecret->warn(
                "secret memory: mlock failed ({}); secrets may be swapped to disk. Raise "
                "RLIMIT_MEMLOCK (ulimit -l, LimitMEMLOCK= in the systemd unit) or grant "
                "CAP_IPC_LOCK (this warning is shown once)",
                errnoText(error));
        }
    }
}

SecretBuffer SecretBuffer::copyOf(ByteView data) {
    SecretBuffer buffer(data.size());
    if (!data.empty()) {
        std::memcpy(buffer.data_, data.data(), data.size());
    }
    return buffer;
}

SecretBuffer SecretBuffer::takeFrom(Bytes& source) {
    SecretBuffer taken = copyOf(source);
    secureWipe(source);
    source.clear();
    return taken;
}

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mappedBytes_(std::exchange(other.mappedBytes_, 0)),
      locked_(std::exchange(other.locked_, false)),
      dontDump_(std::exchange(other.dontDump_, false)) {}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        mappedBytes_ = std::exchange(other.mappedBytes_, 0);
        locked_ = std::exchange(other.locked_, false);
        dontDump_ = std::exchange(other.dontDump_, false);
    }
    return *this;
}

SecretBuffer::~SecretBuffer() {
    release();
}

void SecretBuffer::release() noexcept {
    if (data_ == nullptr) {
        return;
    }
    secureWipe({data_, size_});
    if (const auto observer = gWipeObserver.load()) {
        observer(data_, size_);
    }
    ::munmap(data_, mappedBytes_);  // also unlocks the pages
    data_ = nullptr;
    size_ = 0;
    mappedBytes_ = 0;
    locked_ = false;
    dontDump_ = false;
}

bool SecretBuffer::equals(ByteView other) const noexcept {
    return constantTimeEqual(view(), other);
}

SecretMemoryStatus secretMemoryStatus() noexcept {
    SecretMemoryStatus status;
    status.lockFailures = gLockFailures.load(std::memory_order_relaxed);
    status.dontDumpFailures = gDontDumpFailures.load(std::memory_order_relaxed);
    return status;
}

namespace testing {
void setWipeObserver(WipeObserver observer) noexcept {
    gWipeObserver.store(observer);
}
}  // namespace testing

}  // namespace base
