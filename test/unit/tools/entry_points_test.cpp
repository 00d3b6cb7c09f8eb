// The entry points of `m2m`: every command that holds a key hardens its process first (observed
// from inside a forked child that runs the command's real entry point), and `m2m agent status`
// and `--config` fail cleanly on a damaged status file or a path that is not a configuration
// (observed on the built binary, $M2M_BIN).
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "test_support.hpp"

using sctest::runCommand;
using sctest::TempDir;
using sctest::writeFile;

namespace {

// What a child process saw of itself around one `m2m` command line.
struct Observed {
    int dumpableBefore = -1;
    int dumpableAfter = -1;
    long coreLimitAfter = -1;  // soft and hard both 0 -> 0; otherwise 1
    int exitCode = -1;
};

// Runs `args` (without the leading "m2m") through the same command tree as main() in a forked
// child, its output sent to /dev/null, and reports what the child saw. The parent is untouched.
Observed runInChild(const std::vector<std::string>& args) {
    int channel[2];
    REQUIRE(::pipe(channel) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(channel[0]);
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
        ::dup2(null, 2);
        Observed seen;
        seen.dumpableBefore = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        CLI::App app;
        app.require_subcommand(1);
        int exitCode = 0;
        m2m::cli::addCardCommands(app, exitCode);
        m2m::cli::addProvisionCommand(app, exitCode);
        m2m::cli::addAgentCommands(app, exitCode);
        m2m::cli::addTlsCheckCommand(app, exitCode);
        m2m::cli::addIntegrityCommands(app, exitCode);
        std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them so
        try {
            app.parse(reversed);
        } catch (const CLI::ParseError&) {
            exitCode = 2;
        }
        seen.exitCode = exitCode;
        seen.dumpableAfter = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        rlimit core{};
        ::getrlimit(RLIMIT_CORE, &core);
        seen.coreLimitAfter = core.rlim_cur == 0 && core.rlim_max == 0 ? 0 : 1;
        (void)!::write(channel[1], &seen, sizeof seen);
        ::_exit(0);
    }
    ::close(channel[1]);
    Observed seen;
    const ssize_t got = ::read(channel[0], &seen, sizeof seen);
    ::close(channel[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(got == static_cast<ssize_t>(sizeof seen));
    REQUIRE(seen.dumpableBefore == 1);  // the observation means something
    return seen;
}

std::string m2mBinary() {
    const char* bin = std::getenv("M2M_BIN");
    REQUIRE(bin != nullptr);
    return bin;
}

}  // namespace

TEST_CASE("every m2m command that holds a key makes its process non-dumpable first",
          "[cli][hardening]") {
    const TempDir dir;
    writeFile(dir / "kmsa.key", "404142434445464748494a4b4c4d4e4f\n", 0600);
    writeFile(dir / "broken.toml", "[identity\n", 0644);
    const std::string kmsa = (dir / "kmsa.key").string();
    const std::string noReader = "no reader of this name";

    SECTION("provision: hardened before the profile is read (it is refused here)") {
        const auto seen =
            runInChild({"provision", "--profile", (dir / "broken.toml").string(), "--kmsa-file",
                        (dir / "new-kmsa.key").string(), "--reader", noReader});
        CHECK(seen.exitCode == 1);
        CHECK(seen.dumpableAfter == 0);
        CHECK(seen.coreLimitAfter == 0);
        CHECK_FALSE(std::filesystem::exists(dir / "new-kmsa.key"));
    }
    SECTION("card status --kmsa-file: hardened before the card is reached") {
        const auto seen = runInChild({"card", "status", "--kmsa-file", kmsa, "--reader", noReader});
        CHECK(seen.exitCode != 0);
        CHECK(seen.dumpableAfter == 0);
        CHECK(seen.coreLimitAfter == 0);
    }
    SECTION("tls-check: hardened before the card is reached") {
        const auto seen = runInChild({"tls-check", "https://127.0.0.1:1/", "--key", "kmr",
                                      "--kmsa-file", kmsa, "--reader", noReader});
        CHECK(seen.exitCode != 0);
        CHECK(seen.dumpableAfter == 0);
        CHECK(seen.coreLimitAfter == 0);
    }
    SECTION("agent run: hardened before the configuration is read (a directory here)") {
        const auto seen = runInChild({"agent", "run", "--config", dir.path().string()});
        CHECK(seen.exitCode == 1);
        CHECK(seen.dumpableAfter == 0);
        CHECK(seen.coreLimitAfter == 0);
    }
    SECTION("integrity sign-manifest and keygen: hardened before a private key is read or made") {
        const auto sign =
            runInChild({"integrity", "sign-manifest", "--key", kmsa, "--version", "1", "--object",
                        "@agent=" + kmsa, "--out", (dir / "m.cose").string()});
        CHECK(sign.exitCode == 8);  // Kmsa is no PEM key
        CHECK(sign.dumpableAfter == 0);
        CHECK(sign.coreLimitAfter == 0);
        const auto keygen =
            runInChild({"integrity", "keygen", "--out", (dir / "new.key").string()});
        CHECK(keygen.exitCode == 0);
        CHECK(keygen.dumpableAfter == 0);
    }
    SECTION("commands without a key leave the process as it was") {
        const auto info = runInChild({"card", "info", "--reader", noReader});
        CHECK(info.exitCode != 0);
        CHECK(info.dumpableAfter == 1);
        const auto status = runInChild({"card", "status", "--reader", noReader});
        CHECK(status.dumpableAfter == 1);
    }
}

TEST_CASE("m2m agent status on a damaged status.json: one clean error naming the file, exit 1",
          "[cli][agent-status][neg]") {
    const TempDir dir;
    const auto file = dir / "status.json";
    const std::vector<std::pair<std::string, std::string>> damaged = {
        {"{\"state\": \"registered\", \"node_id\": \"00", "not valid JSON"},
        {"", "not valid JSON"},
        {"[1, 2]", "not a JSON object"},
        {"{\"state\": 5}", "no \"state\""},
        {"{\"node_id\": \"00\"}", "no \"state\""},
        {"{\"state\": \"registered\", \"pid\": \"1234\"}", "\"pid\" is not a number"},
    };
    for (const auto& [content, why] : damaged) {
        INFO(content);
        writeFile(file, content, 0644);
        const auto r = runCommand({m2mBinary(), "agent", "status", "--state-dir", dir.path()});
        CHECK(r.exitCode == 1);
        CHECK(r.out.empty());
        CHECK(r.err == "m2m: the agent status " + file.string() + " is damaged (" + why + ")\n");
        const auto j =
            runCommand({m2mBinary(), "agent", "status", "--state-dir", dir.path(), "--json"});
        CHECK(j.exitCode == 1);
        CHECK(nlohmann::json::parse(j.out)["error"]["message"] ==
              "the agent status " + file.string() + " is damaged (" + why + ")");
    }
    std::filesystem::remove(file);
    const auto missing = runCommand({m2mBinary(), "agent", "status", "--state-dir", dir.path()});
    CHECK(missing.exitCode == 1);
    CHECK(missing.out.empty());
    CHECK_THAT(missing.err, Catch::StartsWith("m2m: no agent status at " + file.string()));

    writeFile(file, "{\"state\": \"registered\", \"pid\": 0, \"node_id\": \"0011\"}", 0644);
    const auto ok = runCommand({m2mBinary(), "agent", "status", "--state-dir", dir.path()});
    CHECK(ok.exitCode == 0);
    CHECK_THAT(ok.out, Catch::StartsWith("state:            registered (agent not running)\n"));
}

TEST_CASE("m2m agent --config with a directory or an unreadable path says so", "[cli][neg]") {
    const TempDir dir;
    for (const char* command : {"run", "status"}) {
        INFO(command);
        const auto r = runCommand({m2mBinary(), "agent", command, "--config", dir.path()});
        CHECK(r.exitCode == 1);
        CHECK(r.out.empty());
        CHECK_THAT(r.err, Catch::Contains(dir.path().string()) &&
                              Catch::Contains("is a directory") && !Catch::Contains("kmsa_file"));
        const auto missing =
            runCommand({m2mBinary(), "agent", command, "--config", (dir / "none.toml").string()});
        CHECK(missing.exitCode == 1);
        CHECK_THAT(missing.err, Catch::Contains("cannot be read: No such file or directory"));
    }
}

TEST_CASE("m2m-bench hardens its process before it parses its command line", "[bench][hardening]") {
    const char* bench = std::getenv("M2M_BENCH");
    REQUIRE(bench != nullptr);
    // The debug line of base::hardenProcess(), written only once prctl and setrlimit succeeded;
    // the reader does not exist, so nothing touches a card.
    ::setenv("M2M_LOG", "secret=debug", 1);
    const auto r = runCommand({bench, "card-info", "--reader", "no reader of this name"});
    ::unsetenv("M2M_LOG");
    CHECK(r.exitCode == 1);
    CHECK_THAT(r.err, Catch::Contains("process hardened: not dumpable, no core dumps"));
}
