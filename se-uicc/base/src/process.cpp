#include "base/process.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "base/log.hpp"

namespace base {

void hardenProcess() {
    const rlimit noCore{0, 0};
    if (::setrlimit(RLIMIT_CORE, &noCore) != 0) {
        const int error = errno;
        throw HardeningError("cannot set RLIMIT_CORE to 0: " +
                             std::system_category().message(error));
    }
    if (::prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L) != 0) {
        const int error = errno;
        throw HardeningError("cannot clear the dumpable flag (prctl PR_SET_DUMPABLE): " +
                             std::system_category().message(error));
    }
    log::kSecret->debug("process hardened: not dumpable, no core dumps");
}

}  // namespace base
