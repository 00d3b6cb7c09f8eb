// What the fuzz targets share: the input as bytes or text, quiet logs, and a private temporary
// file for the parsers that read a file (key files, the key export).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace fuzz {

inline base::ByteView bytes(const std::uint8_t* data, std::size_t size) {
    return {data, size};
}

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Logging off once per process: a fuzzer runs millions of inputs, and formatting log lines
// nobody reads would be most of its time.
void quietLogs();

// A file only this process uses (0600, in a fresh private folder under $TMPDIR), rewritten for
// each input; the folder goes when the process ends.
class ScratchFile {
public:
    explicit ScratchFile(std::string_view name);
    ScratchFile(const ScratchFile&) = delete;
    ScratchFile& operator=(const ScratchFile&) = delete;
    ~ScratchFile();

    // Replaces the file's content with `content`, mode 0600.
    const std::filesystem::path& write(base::ByteView content);
    const std::filesystem::path& path() const { return path_; }
    const std::filesystem::path& folder() const { return folder_; }

private:
    std::filesystem::path folder_;
    std::filesystem::path path_;
};

}  // namespace fuzz
