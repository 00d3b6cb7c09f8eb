// Helpers shared by the secure-channel unit tests: hex, vector files, temporary directories and
// running external commands (the Debian `openssl` tool used as an independent peer).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.hpp"
#include "securechannel/types.hpp"

namespace sctest {

using base::Bytes;
using base::ByteView;

using base::fromHex;
/// Lowercase hex, the form the vector files use.
std::string toHex(ByteView bytes);
/// Lowercase hex digits of `text`, dropping everything else (separators, "(stdin)= ", newlines).
std::string hexDigitsOf(std::string_view text);

/// Parses testdata/vectors/<name> ($M2M_TESTDATA, else the working directory as testdata/).
nlohmann::json loadVectors(std::string_view name);
/// The part of a vector file at a JSON pointer such as "/vectors"; throws if it is missing.
/// Returned by value, so `for (auto& v : loadSection(...))` is safe.
nlohmann::json loadSection(std::string_view name, const std::string& pointer);

/// A fresh directory under $TMPDIR (or /tmp), removed with its content on destruction.
class TempDir {
public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::filesystem::path operator/(std::string_view name) const {
        return path_ / name;
    }

private:
    std::filesystem::path path_;
};

/// Writes `content` to `path` (created or truncated) and sets `mode`.
void writeFile(const std::filesystem::path& path, ByteView content, unsigned mode = 0600);
void writeFile(const std::filesystem::path& path, std::string_view content, unsigned mode = 0600);

/// The absolute path of `name` on $PATH, if it is there and executable.
std::optional<std::filesystem::path> findExecutable(std::string_view name);

struct CommandResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};
/// Runs argv[0] (a path, or a name looked up on $PATH: exit 127 if absent) with the arguments,
/// without a shell; `input` is its stdin; captures stdout and stderr.
CommandResult runCommand(const std::vector<std::string>& argv, std::string_view input = {});
/// The whole content of a file ("" if it cannot be read).
std::string readText(const std::filesystem::path& path);

}  // namespace sctest
