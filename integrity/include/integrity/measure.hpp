// Streamed SHA-256 of a file (the agent's measurement of a manifest object).
#pragma once

#include <filesystem>
#include <optional>

#include "base/bytes.hpp"

namespace integrity {

// The SHA-256 of the file's content, read in 64 KiB pieces; nullopt when it does not exist or
// cannot be read (the object is then reported absent).
std::optional<base::Bytes> sha256OfFile(const std::filesystem::path& path);

}  // namespace integrity
