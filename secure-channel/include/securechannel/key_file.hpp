// Key files: how the terminal secured environment receives its long-term keys (Kmsa, §2 of
// security-profile.md) from the provisioning step, and how the provisioning tool writes them.
#pragma once

#include <cstddef>
#include <filesystem>

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

}  // namespace securechannel
