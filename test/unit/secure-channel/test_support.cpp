#include "test_support.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace sctest {

std::string readText(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string toHex(ByteView bytes) {
    std::string hex = base::toHex(bytes);
    for (char& c : hex) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return hex;
}

std::string hexDigitsOf(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
            out.push_back(c);
        } else if (c >= 'A' && c <= 'F') {
            out.push_back(static_cast<char>(c - 'A' + 'a'));
        }
    }
    return out;
}

nlohmann::json loadVectors(std::string_view name) {
    const char* root = std::getenv("M2M_TESTDATA");
    const std::filesystem::path base = root != nullptr && *root != '\0'
                                           ? std::filesystem::path(root)
                                           : std::filesystem::current_path();
    const std::filesystem::path file = base / "vectors" / name;
    std::ifstream in(file);
    if (!in) {
        throw std::runtime_error("cannot open vector file " + file.string() +
                                 " (set M2M_TESTDATA to the testdata directory)");
    }
    return nlohmann::json::parse(in);
}

nlohmann::json loadSection(std::string_view name, const std::string& pointer) {
    return loadVectors(name).at(nlohmann::json::json_pointer(pointer));
}

TempDir::TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        (std::filesystem::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") / "sc-unit-XXXXXX")
            .string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void writeFile(const std::filesystem::path& path, ByteView content, unsigned mode) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(content.data()),
                  static_cast<std::streamsize>(content.size()));
        if (!out) {
            throw std::runtime_error("cannot write " + path.string());
        }
    }
    if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
        throw std::runtime_error("cannot chmod " + path.string());
    }
}

void writeFile(const std::filesystem::path& path, std::string_view content, unsigned mode) {
    writeFile(path, base::asBytes(content), mode);
}

std::optional<std::filesystem::path> findExecutable(std::string_view name) {
    const char* pathVar = std::getenv("PATH");
    std::stringstream dirs(pathVar != nullptr ? pathVar : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const std::filesystem::path candidate =
            std::filesystem::path(dir.empty() ? "." : dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate)) {
            return candidate;
        }
    }
    return std::nullopt;
}

CommandResult runCommand(const std::vector<std::string>& argv, std::string_view input) {
    std::string program = argv.at(0);
    if (program.find('/') == std::string::npos) {
        const auto found = findExecutable(program);
        if (!found) {
            return CommandResult{127, "", program + " not found on PATH"};
        }
        program = found->string();
    }
    const TempDir scratch;
    const std::filesystem::path inPath = scratch / "stdin";
    const std::filesystem::path outPath = scratch / "stdout";
    const std::filesystem::path errPath = scratch / "stderr";
    writeFile(inPath, input);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, inPath.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args[0] = program.data();
    args.push_back(nullptr);

    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    CommandResult result;
    if (spawned != 0) {
        result.err = "posix_spawn failed";
        return result;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            result.err = "waitpid failed";
            return result;
        }
    }
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = readText(outPath);
    result.err = readText(errPath);
    return result;
}

}  // namespace sctest
