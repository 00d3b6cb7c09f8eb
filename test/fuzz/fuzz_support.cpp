#include "fuzz_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "base/log.hpp"

namespace fuzz {

void quietLogs() {
    static const bool done = [] {
        base::log::configure("off");
        return true;
    }();
    static_cast<void>(done);
}

ScratchFile::ScratchFile(std::string_view name) {
    std::string pattern = (std::filesystem::temp_directory_path() / "m2m-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    folder_ = pattern;
    path_ = folder_ / std::string(name);
}

ScratchFile::~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
}

const std::filesystem::path& ScratchFile::write(base::ByteView content) {
    const int fd =
        ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::runtime_error("cannot write the scratch file");
    }
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("cannot write the scratch file");
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return path_;
}

}  // namespace fuzz
