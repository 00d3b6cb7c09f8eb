// The agent end to end on the real stack: emulated UICC behind pcscd, m2m-netsim on loopback,
// `m2m agent run` as a person or systemd starts it. Every failure case ends in a typed error
// (last_error_type) and a defined state, and the agent recovers where recovery is possible.
#include <sys/socket.h>
#include <sys/un.h>

#include "agent_fixture.hpp"
#include "m2m_cli.hpp"
#include "provisioning/psk_identity.hpp"
#include "securechannel/crypto.hpp"

using namespace testsupport;
using namespace std::chrono_literals;

namespace {

// The node as m2m-netsim reports it in `show --json`.
nlohmann::json labNode(LabNetwork& lab, const std::string& nodeId) {
    const auto shown = lab.show();
    for (const auto& n : shown.at("nodes")) {
        if (n.value("node_id", "") == nodeId) {
            return n;
        }
    }
    return nlohmann::json::object();
}

std::size_t storedInstances(LabNetwork& lab) {
    const auto shown = lab.show();
    return shown.contains("content_instances") ? shown["content_instances"].size() : 0;
}

// KCVs compared as hex text, whatever the case each side prints.
std::string kcv(const nlohmann::json& value) {
    std::string hex = value.is_string() ? value.get<std::string>() : std::string("(none)");
    for (auto& c : hex) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return hex;
}

nlohmann::json counters(const nlohmann::json& s) {
    return s.value("counters", nlohmann::json::object());
}

bool registeredWith(const nlohmann::json& s, std::uint64_t instances) {
    return s.value("state", "") == "registered" &&
           s.value("content_instances", std::uint64_t{0}) >= instances;
}

}  // namespace

TEST_CASE("cold start: connection, registration and data, with Kmr and Kmc kept in the card",
          "[agent]") {
    AgentLab lab;
    lab.importCard();
    lab.network().start();
    auto& agent = lab.startAgent();
    REQUIRE_STATUS(lab, 30s, [](const auto& s) { return registeredWith(s, 2); });

    // `m2m agent status --json`: the state, the Kmc in use, and the counters.
    const auto run =
        runM2m("agent status --json --state-dir '" + lab.statusFile().parent_path().string() + "'");
    REQUIRE(run.exitCode == 0);
    const auto status = nlohmann::json::parse(run.out);
    CHECK(status["state"] == "registered");
    CHECK(status["running"] == true);
    CHECK(status["kmc_index"].get<int>() >= 1);
    CHECK(status["kmc_kcv"].get<std::string>().size() == 6);
    CHECK(status["psk_identities"]["kmc"] ==
          lab.nodeId() + "." + std::to_string(status["kmc_index"].get<int>()));
    CHECK(status["psk_identities"]["kmr"] == lab.nodeId() + ".7");
    CHECK(status["counters"]["card"]["apdus"].get<int>() > 0);
    CHECK(status["counters"]["tls_handshakes"].get<int>() >= 2);
    CHECK(status["counters"]["http_requests"].get<int>() >= 5);
    CHECK(status["counters"]["procedures"]["connection"]["runs"] == 1);
    CHECK(status["counters"]["bootstraps"] == 0);

    // The network computed the same Kmc from its side of the handshake.
    const auto node = labNode(lab.network(), lab.nodeId());
    CHECK(node.value("kmc_index", 0) == status["kmc_index"].get<int>());
    CHECK(kcv(node.value("kmc_kcv", nlohmann::json())) == kcv(status["kmc_kcv"]));
    CHECK(storedInstances(lab.network()) >= 2);

    // SIGTERM stops it cleanly: exit 0, state "stopped".
    CHECK(agent.stop() == 0);
    CHECK(lab.status()["state"] == "stopped");

    // Neither Kmr nor Kmc is in anything the agent or the lab network logged.
    const auto keys = nlohmann::json::parse(std::ifstream(lab.keysFile()));
    const std::string kmr = keys["kmr"].get<std::string>();
    std::string logs = agent.output() + lab.network().serverLog();
    for (auto& c : logs) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    CHECK(logs.find(base::toHex(base::fromHex(kmr))) == std::string::npos);
}

TEST_CASE("a network that does not know Kmr: bootstrap with Kbs, then connect", "[agent]") {
    AgentLab lab;
    lab.importCard({"--without-kmr"});
    lab.network().start();
    lab.startAgent();
    REQUIRE_STATUS(lab, 40s, [](const auto& s) { return registeredWith(s, 1); });
    const auto s = lab.status();
    CHECK(s["counters"]["bootstraps"] == 1);
    CHECK(s["kmr_index"] == 8);  // the MSBF's next index after the provisioned 7
    const auto node = labNode(lab.network(), lab.nodeId());
    CHECK(kcv(node.value("kmr_kcv", nlohmann::json())) == kcv(s["kmr_kcv"]));
    CHECK(s["counters"]["procedures"]["bootstrap"]["runs"] == 1);
}

TEST_CASE("Kmc expiry: the agent connects again and goes on with a new KmcIndex", "[agent]") {
    AgentLab lab;
    lab.importCard();
    lab.network().start({{"--kmc-lifetime", "4"}, {}});
    lab.startAgent();
    REQUIRE_STATUS(lab, 30s, [](const auto& s) { return registeredWith(s, 1); });
    const int first = lab.status()["kmc_index"].get<int>();
    REQUIRE_STATUS(lab, 30s, [&](const auto& s) {
        return s.value("state", "") == "registered" && s.value("kmc_index", 0) > first &&
               counters(s).value("connections", 0) >= 2;
    });
    const auto before = lab.status()["content_instances"].get<int>();
    REQUIRE_STATUS(lab, 20s, [&](const auto& s) { return registeredWith(s, before + 2); });
    CHECK(kcv(labNode(lab.network(), lab.nodeId()).value("kmc_kcv", nlohmann::json())) ==
          kcv(lab.status()["kmc_kcv"]));
}

TEST_CASE("Kmr refused by the network: the agent bootstraps again", "[agent]") {
    AgentLab lab;
    lab.importCard();
    lab.network().start();
    lab.startAgent();
    REQUIRE_STATUS(lab, 30s, [](const auto& s) { return registeredWith(s, 1); });
    // The network forgets this Kmr and the Kmc made from it.
    lab.network().control("revoke", {"--node", lab.nodeId(), "--key", "kmr"});
    lab.network().control("revoke", {"--node", lab.nodeId(), "--key", "kmc"});
    REQUIRE_STATUS(lab, 40s, [](const auto& s) {
        return s.value("state", "") == "registered" && counters(s).value("bootstraps", 0) == 1;
    });
    CHECK(lab.status()["kmr_index"] == 8);
}

TEST_CASE("lab network down: backoff with growing attempts, then recovery", "[agent]") {
    AgentLab lab;
    lab.importCard();
    lab.network().start();  // learn the ports, then take it down
    lab.network().stop();
    lab.startAgent();
    REQUIRE_STATUS(lab, 30s, [](const auto& s) {
        return s.value("state", "") == "backoff" && s.value("attempt", 0) >= 3;
    });
    const auto s = lab.status();
    CHECK(s["retrying"] == "connecting");
    CHECK(s["last_error_type"] == "ConnectFailed");
    CHECK(s["next_attempt"].is_string());
    lab.network().start();
    REQUIRE_STATUS(lab, 30s, [](const auto& st) { return registeredWith(st, 1); });
    CHECK(lab.status()["attempt"] == 0);
}

TEST_CASE("5xx, malformed XML and an oversized body: typed errors, then recovery", "[agent]") {
    AgentLab lab;
    lab.importCard();
    lab.network().start();
    const auto [endpoint, kind, type] = GENERATE(table<std::string, std::string, std::string>({
        {"connection", "http-503", "ServerError"},
        {"connection", "malformed-xml", "ParamSetError"},
        {"mid", "oversized-body", "ResponseTooLarge"},
        {"mid", "http-500", "ServerError"},
    }));
    CAPTURE(endpoint, kind);
    lab.network().control("fault", {"--endpoint", endpoint, "--kind", kind, "--count", "2"});
    lab.startAgent();
    REQUIRE_STATUS(lab, 40s, [](const auto& s) { return registeredWith(s, 1); });
    const auto s = lab.status();
    CHECK(s["last_error_type"] == type);
    CHECK(s["counters"]["procedures"][endpoint == "mid" ? "registration" : "connection"]
           ["failures"] == 2);
    lab.agent().stop();
}

TEST_CASE("bootstrap key refused: a permanent, visible failure, not a loop", "[agent]") {
    AgentLab lab;
    lab.importCard({"--without-kmr"});
    lab.network().control("revoke", {"--node", lab.nodeId(), "--key", "kbs"});
    lab.network().start();
    auto& agent = lab.startAgent({"--exit-on-failure"});
    const auto code = agent.wait(40s);
    REQUIRE(code.has_value());
    CHECK(*code == 1);
    const auto s = lab.status();
    CHECK(s["state"] == "failed");
    CHECK(s["last_error_type"] == "PskRejected");
    CHECK(s["counters"]["procedures"]["bootstrap"]["failures"] == 1);
}

TEST_CASE("a server that offers only certificate suites is refused", "[agent]") {
    AgentLab lab;
    lab.importCard();
    lab.network().start();
    const auto dir = lab.keysFile().parent_path();
    REQUIRE(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=nscl.lab.m2m "
                         "-days 1 -keyout '" +
                         (dir / "cert.key").string() + "' -out '" + (dir / "cert.pem").string() +
                         "' >/dev/null 2>&1")
                            .c_str()) == 0);
    const int port = freeLoopbackPort();
    ChildProcess server(
        {"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
         (dir / "cert.pem").string(), "-key", (dir / "cert.key").string(), "-tls1_2", "-www"},
        dir / "s_server.log");
    ::usleep(500 * 1000);
    AgentSettings settings;
    settings.connectionUrl = "https://nscl.lab.m2m:" + std::to_string(port);
    settings.extraResolve = "nscl.lab.m2m:" + std::to_string(port) + ":127.0.0.1";
    lab.writeConfig(settings);
    lab.startAgent();
    REQUIRE_STATUS(lab, 30s, [](const auto& s) {
        return s.value("state", "") == "backoff" && s.value("retrying", "") == "connecting";
    });
    CHECK(lab.status()["last_error_type"] == "NoSharedCipher");
}

TEST_CASE("systemd: READY=1 once the card is open, STOPPING=1 on SIGTERM", "[agent]") {
    AgentLab lab;
    lab.importCard();
    lab.network().start();
    const auto socketPath = lab.keysFile().parent_path() / "notify.sock";
    std::filesystem::remove(socketPath);
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socketPath.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    timeval timeout{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

    auto& agent = lab.startAgent({}, {{"NOTIFY_SOCKET", socketPath.string()}});
    std::string messages;
    REQUIRE(eventually(
        [&] {
            char buffer[512];
            const auto n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                messages.append(buffer, static_cast<std::size_t>(n)).push_back('\n');
            }
            return messages.find("READY=1") != std::string::npos;
        },
        30s));
    REQUIRE_STATUS(lab, 30s, [](const auto& s) { return registeredWith(s, 1); });
    CHECK(agent.stop() == 0);
    char buffer[512];
    ssize_t n = 0;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) {
        messages.append(buffer, static_cast<std::size_t>(n)).push_back('\n');
    }
    ::close(fd);
    CHECK(messages.find("STATUS=registered") != std::string::npos);
    CHECK(messages.find("STOPPING=1") != std::string::npos);
}

TEST_CASE("the card pulled while registered: a PC/SC error, backoff, recovery, no reading lost",
          "[agent]") {
    AgentLab lab;
    lab.importCard();
    lab.network().start();
    lab.startAgent();
    REQUIRE_STATUS(lab, 30s, [](const auto& s) { return registeredWith(s, 2); });
    lab.card().card().control("remove");
    REQUIRE_STATUS(lab, 20s, [](const auto& s) {
        return s.value("state", "") == "backoff" &&
               s.value("last_error_type", std::string()).rfind("Pcsc", 0) == 0;
    });
    const auto during = lab.status()["content_instances"].get<int>();
    lab.card().card().control("insert");
    lab.card().card().waitInserted();
    REQUIRE_STATUS(lab, 30s, [&](const auto& s) { return registeredWith(s, during + 2); });
    CHECK(counters(lab.status()).value("secure_channel_setups", 0) >= 2);

    // Every reading arrived once, in order: the one that failed was sent again, not skipped.
    lab.agent().stop();
    const auto shown = lab.network().show();
    int expected = 1;
    for (const auto& instance : shown.at("content_instances")) {
        const auto reading = nlohmann::json::parse(instance.at("content").get<std::string>());
        CHECK(reading["seq"] == expected);
        ++expected;
    }
    CHECK(expected - 1 >= during + 2);
}
