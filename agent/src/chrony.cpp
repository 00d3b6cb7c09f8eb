#include "agent/chrony.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "base/scope_exit.hpp"

extern char** environ;

namespace agent {

namespace {

// chronyc's output is small; more is not chronyc.
constexpr std::size_t kMaxOutput = 64 * 1024;
constexpr std::size_t kMaxSources = 256;

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t from = 0;
    while (true) {
        const auto at = text.find(separator, from);
        parts.push_back(text.substr(from, at == std::string_view::npos ? at : at - from));
        if (at == std::string_view::npos) {
            return parts;
        }
        from = at + 1;
    }
}

std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    for (std::string_view line : split(text, '\n')) {
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (!line.empty()) {
            out.push_back(line);
        }
    }
    return out;
}

[[noreturn]] void bad(std::string_view what, std::string_view why) {
    throw ChronyOutputError("chronyc " + std::string(what) + ": " + std::string(why));
}

double real(std::string_view what, std::string_view field, std::string_view name) {
    double value = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || ec != std::errc{} || end != field.data() + field.size() ||
        !std::isfinite(value)) {
        bad(what, std::string(name) + " is not a number");
    }
    return value;
}

std::uint32_t whole(std::string_view what, std::string_view field, std::string_view name) {
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || ec != std::errc{} || end != field.data() + field.size()) {
        bad(what, std::string(name) + " is not an unsigned number");
    }
    return value;
}

bool printable(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c > ' ' && c < 0x7F && c != ','; });
}

}  // namespace

bool ChronyTracking::synchronised() const {
    return leap != "Not synchronised" && stratum >= 1 && stratum < 16 && refTimeUnix > 0;
}

ChronyTracking parseChronyTracking(std::string_view csv) {
    constexpr std::string_view what = "tracking";
    const auto rows = lines(csv);
    if (rows.size() != 1) {
        bad(what, "expected one line");
    }
    const auto f = split(rows.front(), ',');
    if (f.size() != 14) {
        bad(what, "expected 14 fields");
    }
    ChronyTracking t;
    if (f[0].size() != 8 || !std::all_of(f[0].begin(), f[0].end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) != 0;
        })) {
        bad(what, "the reference ID is not 8 hex digits");
    }
    t.refId = f[0];
    // Empty for a local reference (`local` directive) and while unsynchronised.
    if (!f[1].empty() && !printable(f[1])) {
        bad(what, "the reference address is not printable");
    }
    t.address = f[1];
    t.stratum = whole(what, f[2], "stratum");
    t.refTimeUnix = real(what, f[3], "ref time");
    t.systemTime = real(what, f[4], "system time");
    t.lastOffset = real(what, f[5], "last offset");
    t.rmsOffset = real(what, f[6], "RMS offset");
    static_cast<void>(real(what, f[7], "frequency"));
    static_cast<void>(real(what, f[8], "residual frequency"));
    static_cast<void>(real(what, f[9], "skew"));
    t.rootDelay = real(what, f[10], "root delay");
    t.rootDispersion = real(what, f[11], "root dispersion");
    static_cast<void>(real(what, f[12], "update interval"));
    static constexpr std::array kLeaps{"Normal", "Insert second", "Delete second",
                                       "Not synchronised"};
    if (std::find(kLeaps.begin(), kLeaps.end(), f[13]) == kLeaps.end()) {
        bad(what, "unknown leap status");
    }
    t.leap = f[13];
    return t;
}

std::vector<ChronyAuthSource> parseChronyAuthdata(std::string_view csv) {
    constexpr std::string_view what = "authdata";
    std::vector<ChronyAuthSource> sources;
    for (const std::string_view row : lines(csv)) {
        if (sources.size() == kMaxSources) {
            bad(what, "too many sources");
        }
        const auto f = split(row, ',');
        if (f.size() != 10) {
            bad(what, "expected 10 fields");
        }
        ChronyAuthSource s;
        if (!printable(f[0])) {
            bad(what, "the source address is empty or not printable");
        }
        s.address = f[0];
        if (f[1] != "NTS" && f[1] != "SK" && f[1] != "-" && f[1] != "?") {
            bad(what, "unknown authentication mode");
        }
        s.mode = f[1];
        s.keyId = whole(what, f[2], "key ID");
        static_cast<void>(whole(what, f[3], "key type"));
        s.keyLength = whole(what, f[4], "key length");
        s.lastKeyEstablishment = whole(what, f[5], "last key establishment");
        s.keAttempts = whole(what, f[6], "key establishment attempts");
        s.naks = whole(what, f[7], "NAKs");
        s.cookies = whole(what, f[8], "cookies");
        static_cast<void>(whole(what, f[9], "cookie length"));
        sources.push_back(std::move(s));
    }
    return sources;
}

ChronyState judgeChrony(const ChronyTracking& tracking,
                        const std::vector<ChronyAuthSource>& sources) {
    ChronyState state;
    const double seconds = std::fabs(tracking.systemTime) + tracking.rootDelay / 2 +
                           std::fabs(tracking.rootDispersion);
    state.uncertainty =
        std::chrono::nanoseconds(static_cast<std::int64_t>(std::min(seconds, 1e9) * 1e9));
    if (!tracking.synchronised()) {
        state.reason = "chronyd is not synchronised";
        return state;
    }
    if (tracking.address.empty()) {
        state.reason = "chronyd's reference is its local clock, not an NTP source";
        return state;
    }
    const auto source =
        std::find_if(sources.begin(), sources.end(),
                     [&](const ChronyAuthSource& s) { return s.address == tracking.address; });
    if (source == sources.end()) {
        state.reason = "chronyd's reference " + tracking.address + " is not an NTP source";
        return state;
    }
    if (source->mode != "NTS") {
        state.reason = "chronyd's reference " + tracking.address + " is not authenticated with NTS";
        return state;
    }
    state.trusted = true;
    state.reason = "chronyd is synchronised to " + tracking.address + " (NTS)";
    return state;
}

std::string runChronyc(const std::filesystem::path& chronyc, std::string_view command,
                       std::chrono::milliseconds deadline) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        throw ChronyUnavailable(std::string("chronyc: pipe: ") + std::strerror(errno));
    }
    const base::ScopeExit closeRead([&] { ::close(out[0]); });
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const base::ScopeExit destroy([&] { posix_spawn_file_actions_destroy(&actions); });
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const std::string program = chronyc.string();
    const std::string verb(command);
    std::array<char*, 5> argv{const_cast<char*>(program.c_str()), const_cast<char*>("-c"),
                              const_cast<char*>("-n"), const_cast<char*>(verb.c_str()), nullptr};
    pid_t pid = 0;
    // A bare name is looked up in PATH (Debian: /usr/bin/chronyc).
    const int spawned =
        program.find('/') == std::string::npos
            ? ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ)
            : ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    ::close(out[1]);
    if (spawned != 0) {
        throw ChronyUnavailable("chronyc cannot be run (" + program +
                                "): " + std::strerror(spawned));
    }
    std::string output;
    bool overrun = false;
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            overrun = true;
            break;
        }
        pollfd p{out[0], POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            overrun = ready == 0;
            break;
        }
        char buffer[4096];
        const ssize_t n = ::read(out[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        output.append(buffer, static_cast<std::size_t>(n));
        if (output.size() > kMaxOutput) {
            overrun = true;
            break;
        }
    }
    if (overrun) {
        ::kill(pid, SIGKILL);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (overrun) {
        throw ChronyUnavailable("chronyc " + verb + " did not answer within " +
                                std::to_string(deadline.count()) + " ms");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        // chronyc exits 1 when chronyd does not answer on its socket.
        throw ChronyUnavailable("chronyc " + verb + " failed (is chronyd running?)");
    }
    return output;
}

ChronyState readChrony(const std::filesystem::path& chronyc, std::chrono::milliseconds deadline) {
    const ChronyTracking tracking = parseChronyTracking(runChronyc(chronyc, "tracking", deadline));
    const auto sources = parseChronyAuthdata(runChronyc(chronyc, "authdata", deadline));
    return judgeChrony(tracking, sources);
}

}  // namespace agent
