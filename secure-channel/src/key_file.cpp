#include "securechannel/key_file.hpp"

#include "base/bytes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace securechannel {

namespace {

/// Owns a file descriptor.
class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd& operator=(Fd&&) = delete;
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    [[nodiscard]] int get() const noexcept { return fd_; }
    /// Closes now and reports the result (close can report a delayed write error).
    int close() noexcept {
        const int result = ::close(fd_);
        fd_ = -1;
        return result;
    }

private:
    int fd_;
};

std::string errnoText(int error) {
    return std::system_category().message(error);
}

std::string quoted(const std::filesystem::path& path) {
    return "'" + path.string() + "'";
}

std::string octalMode(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
    throw KeyFileError("key file " + quoted(path) + " " + problem);
}

/// Opens for reading without following a final symlink, and checks that it is a regular file.
Fd openRegular(const std::filesystem::path& path, struct stat& info) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0) {
        const int error = errno;
        if (error == ELOOP) {
            fail(path,
                 "is a symbolic link; key files must be regular files: point the "
                 "configuration at the link's target instead");
        }
        if (error == ENOENT) {
            fail(path,
                 "does not exist: create it with the provisioning tool, or fix the path "
                 "in the configuration");
        }
        if (error == EACCES) {
            fail(path,
                 "cannot be read (permission denied): it must belong to the user the agent "
                 "runs as (chown that user " +
                     quoted(path) + "; chmod 600 " + quoted(path) + ")");
        }
        fail(path, "cannot be opened: " + errnoText(error));
    }
    if (::fstat(fd.get(), &info) != 0) {
        const int error = errno;
        fail(path, "cannot be examined: " + errnoText(error));
    }
    if (!S_ISREG(info.st_mode)) {
        fail(path, "is not a regular file; store the key in a plain file with mode 0600");
    }
    return fd;
}

/// The owner and mode rules of a key file, on what fstat said of the open descriptor.
void requirePrivate(const std::filesystem::path& path, uid_t owner, mode_t mode) {
    const uid_t self = ::geteuid();
    if (owner != self) {
        fail(path, "is owned by uid " + std::to_string(owner) + ", but the agent runs as uid " +
                       std::to_string(self) + ": chown " + std::to_string(self) + " " +
                       quoted(path) + " (or run the agent as the file's owner)");
    }
    if ((mode & 07777) != 0600 && (mode & 07777) != 0400) {
        fail(path, "has mode " + octalMode(mode) +
                       "; a key file must be readable by its owner only: chmod 600 " +
                       quoted(path));
    }
}

/// Reads at most `capacity` bytes (the whole file if smaller) into locked memory.
SecretBuffer readAll(const std::filesystem::path& path, int fd, std::size_t capacity,
                     std::size_t& count) {
    SecretBuffer buffer(capacity);
    count = 0;
    while (count < capacity) {
        const ssize_t got = ::read(fd, buffer.data() + count, capacity - count);
        if (got < 0) {
            const int error = errno;
            if (error == EINTR) {
                continue;
            }
            fail(path, "cannot be read: " + errnoText(error));
        }
        if (got == 0) {
            break;
        }
        count += static_cast<std::size_t>(got);
    }
    return buffer;
}

/// Removes a key file whose writing failed and throws (errno describes the failure).
[[noreturn]] void abandonWrite(Fd& fd, const std::filesystem::path& path,
                               const std::string& problem) {
    const int error = errno;
    fd.close();
    ::unlink(path.c_str());
    fail(path, problem + ": " + errnoText(error));
}

/// The whole content of the open file, at most `maxBytes`, in locked memory.
SecretBuffer readWhole(const std::filesystem::path& path, const Fd& fd, const struct stat& info,
                       std::size_t maxBytes) {
    if (info.st_size < 0 || static_cast<std::uintmax_t>(info.st_size) > maxBytes) {
        fail(path, "is too large (" + std::to_string(info.st_size) + " bytes; at most " +
                       std::to_string(maxBytes) + " expected)");
    }
    std::size_t count = 0;
    const SecretBuffer content = readAll(path, fd.get(), maxBytes + 1, count);
    if (count > maxBytes) {
        fail(path, "grew while being read; write key files atomically");
    }
    return SecretBuffer::copyOf(content.view().first(count));
}

}  // namespace

SecretBuffer readSecretFile(const std::filesystem::path& path, std::size_t maxBytes) {
    struct stat info {};
    const Fd fd = openRegular(path, info);
    requirePrivate(path, info.st_uid, info.st_mode);  // before a byte of it is read
    return readWhole(path, fd, info, maxBytes);
}

SecretCandidateFile SecretCandidateFile::read(const std::filesystem::path& path,
                                              std::size_t maxBytes) {
    struct stat info {};
    const Fd fd = openRegular(path, info);
    SecretBuffer content = readWhole(path, fd, info, maxBytes);
    return SecretCandidateFile(path, std::move(content), info.st_uid, info.st_mode);
}

void SecretCandidateFile::requireKeyFileRules() const {
    requirePrivate(path_, static_cast<uid_t>(owner_), static_cast<mode_t>(mode_));
}

SecretBuffer loadKeyFile(const std::filesystem::path& path, std::size_t expectedBytes) {
    if (expectedBytes == 0) {
        fail(path, "cannot be loaded: the expected key size is 0 (a caller bug)");
    }
    // Hex of N bytes with separators and line breaks stays well below 4·N + 64 bytes.
    const SecretBuffer content = readSecretFile(path, 4 * expectedBytes + 64);
    const std::size_t count = content.size();
    if (count == 0) {
        fail(path, "is empty; it must hold a key of " + std::to_string(expectedBytes) +
                       " bytes as hex text or raw bytes");
    }

    const ByteView bytes = content.view();
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const std::optional<std::size_t> digits = base::countHexDigits(text);
    if (!digits || *digits == 0) {
        if (count != expectedBytes) {
            fail(path, "is neither hex text nor exactly " + std::to_string(expectedBytes) +
                           " raw bytes (it has " + std::to_string(count) +
                           " bytes); write the key as hex, e.g. with the provisioning tool");
        }
        return SecretBuffer::copyOf(bytes);
    }
    if (*digits % 2 != 0) {
        fail(path, "holds an odd number of hex digits (" + std::to_string(*digits) +
                       "); the key is truncated or damaged: write it again");
    }
    if (*digits / 2 != expectedBytes) {
        fail(path, "holds a key of " + std::to_string(*digits / 2) + " bytes, expected " +
                       std::to_string(expectedBytes) + " bytes (" +
                       std::to_string(2 * expectedBytes) + " hex digits)");
    }
    SecretBuffer key(expectedBytes);
    base::decodeHex(text, key.mutableView());  // straight into locked memory
    return key;
}

void writeKeyFile(const std::filesystem::path& path, ByteView key) {
    if (key.empty()) {
        fail(path, "was not written: the key is empty");
    }
    SecretBuffer text(2 * key.size() + 1);
    base::encodeLowerHex(key, text.mutableView().first(2 * key.size()));  // no unwiped copy
    text.data()[2 * key.size()] = '\n';
    writeSecretFile(path, text.view());
}

void writeSecretFile(const std::filesystem::path& path, ByteView content) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                 0600));
    if (fd.get() < 0) {
        const int error = errno;
        if (error == EEXIST) {
            fail(path,
                 "already exists; key files are never overwritten: remove it first or "
                 "choose another path");
        }
        fail(path, "cannot be created: " + errnoText(error));
    }

    if (::fchmod(fd.get(), 0600) != 0) {  // the umask may have removed bits; make it exact
        abandonWrite(fd, path, "cannot be set to mode 0600");
    }
    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t put = ::write(fd.get(), content.data() + written, content.size() - written);
        if (put < 0) {
            if (errno == EINTR) {
                continue;
            }
            abandonWrite(fd, path, "cannot be written");
        }
        written += static_cast<std::size_t>(put);
    }
    if (::fsync(fd.get()) != 0) {
        abandonWrite(fd, path, "cannot be flushed to disk");
    }
    if (fd.close() != 0) {
        const int error = errno;
        ::unlink(path.c_str());
        fail(path, "cannot be closed: " + errnoText(error));
    }
}

}  // namespace securechannel
