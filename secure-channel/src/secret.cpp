#include "securechannel/secret.hpp"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <system_error>

#include <openssl/crypto.h>

#include "securechannel/errors.hpp"
#include "seuicc/log.hpp"

namespace securechannel {

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
            seuicc::log::category("secret")->warn(
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
            seuicc::log::category("secret")->warn(
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

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : data_(other.data_),
      size_(other.size_),
      mappedBytes_(other.mappedBytes_),
      locked_(other.locked_),
      dontDump_(other.dontDump_) {
    other.data_ = nullptr;
    other.size_ = 0;
    other.mappedBytes_ = 0;
    other.locked_ = false;
    other.dontDump_ = false;
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
    if (this != &other) {
        release();
        data_ = other.data_;
        size_ = other.size_;
        mappedBytes_ = other.mappedBytes_;
        locked_ = other.locked_;
        dontDump_ = other.dontDump_;
        other.data_ = nullptr;
        other.size_ = 0;
        other.mappedBytes_ = 0;
        other.locked_ = false;
        other.dontDump_ = false;
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
    OPENSSL_cleanse(data_, size_);
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
    if (other.size() != size_) {
        return false;
    }
    return size_ == 0 || CRYPTO_memcmp(data_, other.data(), size_) == 0;
}

SecretMemoryStatus secretMemoryStatus() noexcept {
    SecretMemoryStatus status;
    status.lockFailures = gLockFailures.load(std::memory_order_relaxed);
    status.dontDumpFailures = gDontDumpFailures.load(std::memory_order_relaxed);
    return status;
}

void hardenProcess() {
    const rlimit noCore{0, 0};
    if (::setrlimit(RLIMIT_CORE, &noCore) != 0) {
        const int error = errno;
        throw HardeningError("cannot set RLIMIT_CORE to 0: " + errnoText(error));
    }
    if (::prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L) != 0) {
        const int error = errno;
        throw HardeningError("cannot clear the dumpable flag (prctl PR_SET_DUMPABLE): " +
                             errnoText(error));
    }
}

namespace testing {
void setWipeObserver(WipeObserver observer) noexcept {
    gWipeObserver.store(observer);
}
}  // namespace testing

}  // namespace securechannel
