// Runs the built `m2m` command ($M2M_BIN) as a person or a script would, capturing stdout.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace testsupport {

struct CliRun {
    int exitCode;
    std::string out;
};

// Runs a shell command line and captures its stdout.
inline CliRun runCommand(const std::string& command) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        throw std::runtime_error("popen failed");
    }
    std::string out;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) {
        out.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline CliRun runM2m(const std::string& args, const std::string& envPrefix = "") {
    const char* bin = std::getenv("M2M_BIN");
    if (bin == nullptr) {
        throw std::runtime_error("M2M_BIN is not set");
    }
    return runCommand(envPrefix + " '" + std::string(bin) + "' " + args + " 2>/dev/null");
}

}  // namespace testsupport
