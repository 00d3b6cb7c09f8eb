#include "pcscd.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "child_process.hpp"
#include "emulated_card.hpp"
#include "seuicc/pcsc.hpp"

namespace testsupport {

namespace {

const std::filesystem::path kPidFile = "/run/pcscd/pcscd.pid";
const std::filesystem::path kSocket = "/run/pcscd/pcscd.comm";

pid_t runningPcscd() {
    std::ifstream in(kPidFile);
    long pid = 0;
    if (!(in >> pid) || pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) != 0) {
        return 0;
    }
    return static_cast<pid_t>(pid);
}

bool answers() {
    try {
        seuicc::PcscContext context;
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

PcscdOutage::PcscdOutage() {
    const pid_t pid = runningPcscd();
    if (pid == 0) {
        throw std::runtime_error("no running pcscd to stop (" + kPidFile.string() + ")");
    }
    ::kill(pid, SIGTERM);
    if (!eventually([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(10))) {
        throw std::runtime_error("pcscd " + std::to_string(pid) + " did not stop");
    }
}

PcscdOutage::~PcscdOutage() {
    try {
        restore();
    } catch (...) {
    }
}

void PcscdOutage::restore() {
    if (restored_) {
        return;
    }
    restored_ = true;
    // Double fork: the new pcscd is nobody's child here, in a session of its own, so neither
    // this test's end nor its process group takes it down.
    const pid_t child = ::fork();
    if (child < 0) {
        throw std::runtime_error("fork failed");
    }
    if (child == 0) {
        ::setsid();
        if (::fork() != 0) {
            std::_Exit(0);
        }
        const int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        // Nothing else of the test's: the descriptor of the machine's card lock
        // (flock /tmp/m2m-card.lock ...) would otherwise stay open in this pcscd, which outlives
        // the run, and hold the lock for as long as it runs.
        ::close_range(3, ~0U, 0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execl("/usr/sbin/pcscd", "pcscd", "-f", static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!eventually([] { return runningPcscd() != 0 && answers(); }, std::chrono::seconds(10))) {
        throw std::runtime_error("pcscd did not start again");
    }
    std::ofstream(runDir() / "pcscd.restarted.pid") << runningPcscd() << '\n';
}

}  // namespace testsupport
