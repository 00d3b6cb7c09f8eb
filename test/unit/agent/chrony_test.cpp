// The chronyc reader (agent/chrony.hpp) against captured `chronyc -c -n tracking` and `authdata`
// outputs (testdata/agent/chrony/): trusted only while synchronised to an NTS source; malformed
// output is a ChronyOutputError; a chronyc that hangs is killed at its deadline.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../secure-channel/test_support.hpp"
#include "agent/chrony.hpp"

namespace {

std::string sample(const std::string& name) {
    const char* root = std::getenv("M2M_TESTDATA");
    const std::filesystem::path path =
        std::filesystem::path(root != nullptr ? root : "testdata") / "agent" / "chrony" / name;
    std::ifstream in(path);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

agent::ChronyState judge(const std::string& tracking, const std::string& authdata) {
    return agent::judgeChrony(agent::parseChronyTracking(sample(tracking)),
                              agent::parseChronyAuthdata(sample(authdata)));
}

}  // namespace

TEST_CASE("chrony: tracking parses every field chronyc -c writes", "[time][chrony]") {
    const agent::ChronyTracking t = agent::parseChronyTracking(sample("tracking-nts.csv"));
    CHECK(t.address == "127.0.0.1");
    CHECK(t.stratum == 2);
    CHECK(t.leap == "Normal");
    CHECK(t.synchronised());
    CHECK(t.rootDelay >= 0);
    const auto sources = agent::parseChronyAuthdata(sample("authdata-nts.csv"));
    REQUIRE_FALSE(sources.empty());
    CHECK(sources.front().mode == "NTS");
}

TEST_CASE("chrony: trusted only while synchronised to an NTS-authenticated source",
          "[time][chrony]") {
    const auto nts = judge("tracking-nts.csv", "authdata-nts.csv");
    CHECK(nts.trusted);
    CHECK(nts.uncertainty > std::chrono::nanoseconds{});

    const auto unsynchronised = judge("tracking-unsynchronised.csv", "authdata-nts.csv");
    CHECK_FALSE(unsynchronised.trusted);
    CHECK(unsynchronised.reason.find("not synchronised") != std::string::npos);

    const auto none = judge("tracking-unsynchronised.csv", "authdata-unsynchronised.csv");
    CHECK_FALSE(none.trusted);

    // A server on its own local clock: synchronised, but to no authenticated source.
    const auto local = judge("tracking-local.csv", "authdata-local.csv");
    CHECK(agent::parseChronyTracking(sample("tracking-local.csv")).synchronised());
    CHECK_FALSE(local.trusted);
    CHECK(local.reason.find("local clock") != std::string::npos);

    const auto plain = judge("tracking-plain.csv", "authdata-plain.csv");
    CHECK_FALSE(plain.trusted);
    CHECK(plain.reason.find("not authenticated with NTS") != std::string::npos);

    // Synchronised to a source authdata does not list (a reference clock, say).
    const auto unlisted = judge("tracking-nts.csv", "authdata-plain.csv");
    CHECK_FALSE(unlisted.trusted);
}

TEST_CASE("chrony: malformed output is a ChronyOutputError", "[time][chrony][neg]") {
    using agent::ChronyOutputError;
    CHECK_THROWS_AS(agent::parseChronyTracking(""), ChronyOutputError);
    CHECK_THROWS_AS(agent::parseChronyTracking("506 Cannot talk to daemon\n"), ChronyOutputError);
    // The human-readable form (no -c).
    CHECK_THROWS_AS(agent::parseChronyTracking("Reference ID    : 7F000001 (127.0.0.1)\n"),
                    ChronyOutputError);
    std::string t = sample("tracking-nts.csv");
    CHECK_THROWS_AS(agent::parseChronyTracking(t + t), ChronyOutputError);  // two lines
    const auto badField = [&](std::size_t index, const std::string& value) {
        std::vector<std::string> fields;
        std::stringstream in(t.substr(0, t.find('\n')));
        for (std::string f; std::getline(in, f, ',');) {
            fields.push_back(f);
        }
        fields.at(index) = value;
        std::string out;
        for (const auto& f : fields) {
            out += (out.empty() ? "" : ",") + f;
        }
        return out;
    };
    CHECK_THROWS_AS(agent::parseChronyTracking(badField(0, "XYZ")), ChronyOutputError);
    CHECK_THROWS_AS(agent::parseChronyTracking(badField(2, "-1")), ChronyOutputError);
    CHECK_THROWS_AS(agent::parseChronyTracking(badField(4, "nan")), ChronyOutputError);
    CHECK_THROWS_AS(agent::parseChronyTracking(badField(10, "")), ChronyOutputError);
    CHECK_THROWS_AS(agent::parseChronyTracking(badField(13, "Fine")), ChronyOutputError);
    CHECK_THROWS_AS(agent::parseChronyAuthdata("127.0.0.1,NTS,1\n"), ChronyOutputError);
    CHECK_THROWS_AS(agent::parseChronyAuthdata("127.0.0.1,XX,1,15,256,3,1,0,8,100\n"),
                    ChronyOutputError);
    CHECK(agent::parseChronyAuthdata("").empty());  // no NTP sources at all
}

TEST_CASE("chrony: chronyc is run with a deadline, and a missing one is unavailable",
          "[time][chrony][neg]") {
    sctest::TempDir dir;
    CHECK_THROWS_AS(agent::runChronyc(dir.path() / "missing", "tracking", std::chrono::seconds(1)),
                    agent::ChronyUnavailable);
    // A chronyc that never answers: killed at the deadline.
    const auto hang = dir.path() / "chronyc-hang";
    std::ofstream(hang) << "#!/bin/sh\nexec sleep 30\n";
    std::filesystem::permissions(hang, std::filesystem::perms::owner_all);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(agent::runChronyc(hang, "tracking", std::chrono::milliseconds(200)),
                    agent::ChronyUnavailable);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    // chronyd not running: chronyc exits 1.
    const auto down = dir.path() / "chronyc-down";
    std::ofstream(down) << "#!/bin/sh\necho '506 Cannot talk to daemon' >&2\nexit 1\n";
    std::filesystem::permissions(down, std::filesystem::perms::owner_all);
    CHECK_THROWS_AS(agent::runChronyc(down, "tracking", std::chrono::seconds(2)),
                    agent::ChronyUnavailable);
    // A stand-in printing the captured outputs: read and judged.
    const auto fake = dir.path() / "chronyc-fake";
    std::ofstream(fake)
        << "#!/bin/sh\n[ \"$1 $2\" = \"-c -n\" ] || exit 2\ncase \"$3\" in\n"
        << "tracking) printf '%s\\n' '"
        << sample("tracking-nts.csv").substr(0, sample("tracking-nts.csv").find('\n'))
        << "' ;;\nauthdata) printf '%s\\n' '"
        << sample("authdata-nts.csv").substr(0, sample("authdata-nts.csv").find('\n'))
        << "' ;;\n*) exit 2 ;;\nesac\n";
    std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
    CHECK(agent::readChrony(fake, std::chrono::seconds(2)).trusted);
}

namespace {

// A chronyd of the loopback test, stopped (by its own pid) when the test ends.
class Chronyd {
public:
    Chronyd(const std::filesystem::path& dir, const std::string& name, const std::string& config)
        : pidFile_(dir / (name + ".pid")) {
        const auto conf = dir / (name + ".conf");
        std::ofstream(conf) << config << "bindcmdaddress "
                            << (dir / "sock" / (name + ".sock")).string() << "\ncmdport 0\npidfile "
                            << pidFile_.string() << "\n";
        const auto r =
            sctest::runCommand({sctest::findExecutable("chronyd")->string(), "-x", "-u", "root",
                                "-f", conf.string(), "-l", (dir / (name + ".log")).string()});
        REQUIRE(r.exitCode == 0);
    }
    Chronyd(const Chronyd&) = delete;
    Chronyd& operator=(const Chronyd&) = delete;
    ~Chronyd() {
        std::ifstream in(pidFile_);
        pid_t pid = 0;
        if (in >> pid && pid > 1) {
            ::kill(pid, SIGTERM);
        }
    }

private:
    std::filesystem::path pidFile_;
};

// chronyc on one test daemon's socket, as the agent runs it (`chronyc -c -n <command>`).
std::filesystem::path chronycFor(const std::filesystem::path& dir, const std::string& name) {
    const auto script = dir / ("chronyc-" + name);
    std::ofstream(script) << "#!/bin/sh\nexec " << sctest::findExecutable("chronyc")->string()
                          << " -h " << (dir / "sock" / (name + ".sock")).string() << " \"$@\"\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    return script;
}

// Polls until chronyd `name` reports a synchronised reference (or `deadline` passes).
bool waitSynchronised(const std::filesystem::path& chronyc, std::chrono::seconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        try {
            if (agent::parseChronyTracking(
                    agent::runChronyc(chronyc, "tracking", std::chrono::seconds(2)))
                    .synchronised()) {
                return true;
            }
        } catch (const base::Error&) {
            // not up yet
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
}

}  // namespace

// Two chronyd on loopback, -x (the system clock is left alone): a server on its local clock with
// an NTS-KE certificate, one client over NTS and one over plain NTP. Needs the chrony package and
// root (chronyd -u root); skipped otherwise (GATEWAY.md §4). About two seconds.
TEST_CASE("chrony: an NTS loopback client is trusted, a plain NTP one is not",
          "[time][chrony][chrony-nts]") {
    const auto chronyd = sctest::findExecutable("chronyd");
    const auto chronyc = sctest::findExecutable("chronyc");
    const auto openssl = sctest::findExecutable("openssl");
    if (!chronyd || !chronyc || !openssl || ::geteuid() != 0) {
        WARN(
            "chronyd/chronyc (apt-get install chrony), openssl or root missing: NTS loopback "
            "test skipped");
        return;
    }
    sctest::TempDir dir;
    std::filesystem::create_directories(dir.path() / "sock");
    // chronyd refuses a command socket in a directory others can reach.
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
    std::filesystem::permissions(dir.path() / "sock", std::filesystem::perms::owner_all);
    const auto key = dir.path() / "key.pem";
    const auto cert = dir.path() / "cert.pem";
    REQUIRE(sctest::runCommand({openssl->string(), "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.string(),
                                "-out", cert.string(), "-days", "1", "-subj", "/CN=localhost",
                                "-addext", "subjectAltName=DNS:localhost"})
                .exitCode == 0);
    // Ports of this process's own: parallel runs do not meet.
    const int base = 20000 + static_cast<int>(::getpid() % 20000);
    const std::string ntp = std::to_string(base);
    const std::string ke = std::to_string(base + 1);
    for (const char* d : {"sdump", "cdump"}) {
        std::filesystem::create_directories(dir.path() / d);
    }
    const Chronyd server(dir.path(), "server",
                         "local stratum 1\nallow 127.0.0.1\nport " + ntp + "\nntsport " + ke +
                             "\nntsserverkey " + key.string() + "\nntsservercert " + cert.string() +
                             "\nntsdumpdir " + (dir.path() / "sdump").string() + "\n");
    const Chronyd nts(dir.path(), "nts",
                      "server localhost port " + ntp + " nts ntsport " + ke +
                          " iburst minpoll -4 maxpoll -4\nntstrustedcerts " + cert.string() +
                          "\nntsdumpdir " + (dir.path() / "cdump").string() + "\nport 0\n");
    const Chronyd plain(dir.path(), "plain",
                        "server 127.0.0.1 port " + ntp + " iburst minpoll -4 maxpoll -4\nport 0\n");
    const auto ntsChronyc = chronycFor(dir.path(), "nts");
    const auto plainChronyc = chronycFor(dir.path(), "plain");
    REQUIRE(waitSynchronised(ntsChronyc, std::chrono::seconds(15)));
    REQUIRE(waitSynchronised(plainChronyc, std::chrono::seconds(15)));

    const agent::ChronyState trusted = agent::readChrony(ntsChronyc, std::chrono::seconds(2));
    CHECK(trusted.trusted);
    CHECK(trusted.reason.find("NTS") != std::string::npos);
    const agent::ChronyState untrusted = agent::readChrony(plainChronyc, std::chrono::seconds(2));
    CHECK_FALSE(untrusted.trusted);
    CHECK(untrusted.reason.find("not authenticated with NTS") != std::string::npos);
}
