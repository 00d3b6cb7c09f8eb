// Owner-only store files (see private_file.hpp).
#include "private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store_error.hpp"

namespace netsim {

void createPrivateFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    if (errno != EEXIST) {
        throw StoreError("cannot create " + path.string() + ": " + std::strerror(errno));
    }
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
        throw StoreError(path.string() + " is not a regular file");
    }
    if ((info.st_mode & 077) != 0) {
        throw StoreError(path.string() + " holds keys but others may read it: chmod 600 it");
    }
}

}  // namespace netsim
