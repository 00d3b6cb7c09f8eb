// Key files: how the terminal secured environment receives its long-term keys (Kmsa, §2 of
// security-profile.md) from the provisioning step, and how the provisioning tool writes them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <utility>

#include "base/secret.hpp"
#include "securechannel/errors.hpp"
#include "securechannel/types.hpp"

namespace securechannel {

/// Loads a key of exactly `expectedBytes` bytes from `path`.
///
/// The file holds either the key as hex text (upper or lower case; spaces, tabs and line breaks
/// anywhere are ignored) or exactly `expectedBytes` raw bytes. A file that consists only of hex
/// digits and white space is always read as hex.
///
/// The file is opened with O_NOFOLLOW and checked on the open descriptor (fstat, no race between
/// check and read). It is refused with a KeyFileError that says what to do when it
///  - is a symbolic link, or not a regular file;
///  - is owned by a user other than the effective uid of this process;
///  - has a mode other than 0600 or 0400;
///  - is empty, holds malformed hex, or a key of another length.
/// Messages name the file, never its content.
[[nodiscard]] SecretBuffer loadKeyFile(const std::filesystem::path& path,
                                       std::size_t expectedBytes);

/// Writes `key` to a new file at `path` as lowercase hex and a newline, mode 0600, owned by the
/// effective uid. Never overwrites: fails with KeyFileError if `path` exists (O_EXCL, O_NOFOLLOW).
/// The data is flushed with fsync; on any failure the partly written file is removed.
void writeKeyFile(const std::filesystem::path& path, ByteView key);

// The same rules for any secret file (several keys in one document, e.g. the provisioning
// tool's key export): read whole under the owner/mode checks above, at most `maxBytes`; and
// written new (never overwritten), mode 0600, flushed, removed again if anything fails.
[[nodiscard]] SecretBuffer readSecretFile(const std::filesystem::path& path, std::size_t maxBytes);
void writeSecretFile(const std::filesystem::path& path, ByteView content);

/// A file that holds secrets or not depending on what it says (a personalisation profile that
/// only asks for generated keys may be world-readable, one with literal keys may not): read whole
/// into locked memory from one descriptor (O_NOFOLLOW, a regular file, at most `maxBytes`), whose
/// owner and mode are kept, so that the key-file rules are applied once the content is known,
/// to the very file that was read, without opening the path again.
class SecretCandidateFile {
public:
    /// Reads `path`. Throws KeyFileError for a symbolic link, a file that is not regular, one
    /// that cannot be read, or one larger than `maxBytes`.
    static SecretCandidateFile read(const std::filesystem::path& path, std::size_t maxBytes);

    [[nodiscard]] const SecretBuffer& content() const noexcept { return content_; }
    /// Throws KeyFileError, with the same advice as readSecretFile, unless the file read belongs
    /// to the effective uid and has mode 0600 or 0400.
    void requireKeyFileRules() const;

private:
    SecretCandidateFile(std::filesystem::path path, SecretBuffer content, unsigned owner,
                        unsigned mode)
        : path_(std::move(path)), content_(std::move(content)), owner_(owner), mode_(mode) {}

    std::filesystem::path path_;
    SecretBuffer content_;
    unsigned owner_;
    unsigned mode_;
};

}  // namespace securechannel
