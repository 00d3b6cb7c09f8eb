// A software-only device (agent/GATEWAY.md §5) end to end, with no card and no pcscd: its key file
// made by `m2m soft-device create`, its record imported into the real lab network (m2m-netsim on
// loopback), and `m2m agent run` with `[card] kind = "software"` registering and storing
// readings through the real TLS-PSK service connection and mId, marked as software everywhere.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "child_process.hpp"
#include "lab_network.hpp"
#include "test_support.hpp"

using sctest::TempDir;

namespace {

constexpr const char* kNodeId = "5f0f7e1a2b3c4d5e6f708192a3b4c5d6";
constexpr const char* kSclId = "soft-device-1";

std::string m2mBinary() {
    const char* bin = std::getenv("M2M_BIN");
    REQUIRE(bin != nullptr);
    return bin;
}

sctest::CommandResult m2m(std::vector<std::string> args) {
    args.insert(args.begin(), m2mBinary());
    return sctest::runCommand(args);
}

std::filesystem::path writeConfig(const TempDir& dir, const testsupport::LabPorts& p,
                                  const std::filesystem::path& keyFile) {
    const auto path = dir / "agent.toml";
    std::ofstream out(path);
    out << "[card]\nkind = \"software\"\nkey_file = \"" << keyFile.string() << "\"\n"
        << "[network]\nmsbf = \"https://msbf.lab.m2m:" << p.msbf << "\"\n"
        << "connection = \"https://nscl.lab.m2m:" << p.connection << "\"\n"
        << "mid = \"https://nscl.lab.m2m:" << p.mid << "/m2m\"\n"
        << "resolve = [\"msbf.lab.m2m:" << p.msbf << ":127.0.0.1\", \"nscl.lab.m2m:" << p.connection
        << ":127.0.0.1\", \"nscl.lab.m2m:" << p.mid << ":127.0.0.1\"]\n"
        << "[agent]\nstate_dir = \"" << (dir / "state").string() << "\"\n"
        << "bootstrap = \"none\"\nreport_interval_ms = 200\nkmc_renew_margin_s = 1\n"
        << "[retry]\ninitial_ms = 200\ncap_ms = 1000\nmax_attempts = 3\n";
    return path;
}

}  // namespace

TEST_CASE("soft-device create writes a 0600 software record; never over a file", "[soft-device]") {
    const TempDir dir;
    const auto key = dir / "device.json";
    const auto r = m2m({"soft-device", "create", "--out", key.string(), "--scl-id", kSclId,
                        "--node-id", kNodeId, "--json"});
    REQUIRE(r.exitCode == 0);
    const auto shown = nlohmann::json::parse(r.out);
    CHECK(shown["card"] == "software");
    CHECK(shown["kmr_identity"] == std::string(kNodeId) + ".1");
    CHECK(r.out.find("\"kmr\"") == std::string::npos);  // the key goes to the file only
    struct stat st {};
    REQUIRE(::stat(key.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const auto record = nlohmann::json::parse(sctest::readText(key));
    CHECK(record["software"] == true);
    CHECK(record["scl_id"] == kSclId);
    CHECK(record["kmr"].get<std::string>().size() == 64);
    CHECK_FALSE(record.contains("kmsa"));
    CHECK_FALSE(record.contains("iccid"));

    CHECK(m2m({"soft-device", "create", "--out", key.string(), "--scl-id", kSclId}).exitCode != 0);
    CHECK(m2m({"soft-device", "create", "--out", (dir / "b.json").string(), "--scl-id", kSclId,
               "--node-id", "abc"})
              .exitCode != 0);
}

TEST_CASE("a software device registers with the lab network and stores readings, marked software",
          "[soft-device][netsim]") {
    const TempDir dir;
    const auto key = dir / "device.json";
    REQUIRE(m2m({"soft-device", "create", "--out", key.string(), "--scl-id", kSclId, "--node-id",
                 kNodeId})
                .exitCode == 0);
    testsupport::LabNetwork lab(dir / "lab");
    lab.import(key, {"--scl-id", kSclId});
    testsupport::LabNetwork::Options serve;
    serve.serveArgs = std::vector<std::string>{"--kmc-lifetime", "3"};
    lab.start(serve);
    const auto config = writeConfig(dir, lab.ports(), key);

    // Enough readings to outlive one Kmc: the software card's exporter and ACTIVATE KEY run twice.
    testsupport::ChildProcess agent({m2mBinary(), "agent", "run", "--config", config.string(),
                                     "--stop-after-instances", "15", "--exit-on-failure"},
                                    dir / "agent.log");
    const auto code = agent.wait(std::chrono::seconds(60));
    INFO(agent.output() << "\nnetsim log:\n" << lab.serverLog());
    REQUIRE(code == 0);
    CHECK(agent.output().find("card: software (no secured environment)") != std::string::npos);

    const auto status = nlohmann::json::parse(sctest::readText(dir / "state" / "status.json"));
    CHECK(status["card"]["kind"] == "software");
    CHECK(status["card"]["warning"] == "no secured environment: keys in process memory");
    CHECK(status["iccid"].is_null());
    CHECK(status["content_instances"].get<int>() >= 15);
    CHECK(status["counters"]["connections"].get<int>() >= 2);
    CHECK(status["psk_identities"]["kmr"] == std::string(kNodeId) + ".1");
    CHECK(status["counters"]["card"]["apdus"] == 0);

    const auto text = m2m({"agent", "status", "--state-dir", (dir / "state").string()});
    CHECK(text.out.find("software (no secured environment") != std::string::npos);

    const auto shown = lab.show();
    bool registered = false;
    for (const auto& r : shown["registrations"]) {
        registered = registered || (r["node_id"] == kNodeId && r["scl_id"] == kSclId);
    }
    CHECK(registered);
    CHECK(shown["content_instances"].size() >= 15);
    lab.stop();
}

TEST_CASE("a software device's agent refuses a key file other users can read", "[soft-device]") {
    const TempDir dir;
    const auto key = dir / "device.json";
    REQUIRE(m2m({"soft-device", "create", "--out", key.string(), "--scl-id", kSclId}).exitCode ==
            0);
    ::chmod(key.c_str(), 0644);
    const auto config = writeConfig(dir, {1, 2, 3, 0}, key);
    const auto r = m2m({"agent", "run", "--config", config.string(), "--exit-on-failure"});
    CHECK(r.exitCode != 0);
    CHECK(r.err.find("device.json") != std::string::npos);
    CHECK(r.err.find("\"kmr\"") == std::string::npos);
}
