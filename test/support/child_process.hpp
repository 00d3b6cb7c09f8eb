// A program the test starts in the background (m2m-netsim, m2m agent run, openssl s_server):
// stdout and stderr go to a log file the test can read; the destructor stops it (SIGTERM, then
// SIGKILL after 5 s), so a failing test leaves nothing running.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace testsupport {

class ChildProcess {
public:
    // Starts `argv` (argv[0] is a path or a name looked up in PATH) with `env` added to the
    // environment.
    ChildProcess(std::vector<std::string> argv, std::filesystem::path log,
                 std::map<std::string, std::string> env = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    [[nodiscard]] int pid() const { return pid_; }
    // True while it has not exited (reaps it if it has).
    bool running();
    // SIGTERM, then waits up to `grace` for the exit; SIGKILL after that. Returns the exit code
    // (128 + signal for a signal), or nullopt if it had to be killed.
    std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
    // Waits for it to exit on its own; nullopt on timeout (it keeps running).
    std::optional<int> wait(std::chrono::milliseconds timeout);
    [[nodiscard]] std::string output() const;  // the log so far
    [[nodiscard]] const std::filesystem::path& log() const { return log_; }

private:
    int pid_ = -1;
    std::optional<int> exitCode_;
    std::filesystem::path log_;
};

// Polls `condition` every 100 ms until it holds or `timeout` passes.
template <typename F>
bool eventually(F&& condition, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= end) {
            return false;
        }
        ::usleep(100 * 1000);
    }
}

// A TCP port on 127.0.0.1 that nothing listens on at the moment of the call.
int freeLoopbackPort();

}  // namespace testsupport
