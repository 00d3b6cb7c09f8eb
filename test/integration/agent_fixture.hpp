// The whole product on the real stack for one test: a personalised emulated UICC (slot 1, pcscd,
// vpcd), the lab network (m2m-netsim on loopback ports of its own), and the agent as a person
// runs it (`m2m agent run --config FILE`), observed through its status.json.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "lab_network.hpp"
#include "sed_fixture.hpp"

namespace testsupport {

// A status.json as a test polls it: an empty object while it is missing or half written.
inline nlohmann::json readJsonObject(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) {
        return nlohmann::json::object();
    }
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
        return nlohmann::json::object();
    }
}

struct AgentSettings {
    int reportIntervalMs = 400;
    int kmcRenewMarginS = 1;
    int retryInitialMs = 200;
    int retryCapMs = 1500;
    int maxAttempts = 0;
    std::string connectionUrl;      // empty: the lab network's connection endpoint
    std::string extraResolve;       // one more "host:port:address"
    std::optional<LabPorts> ports;  // where the agent reaches the network; empty: netsim's own
    int connectTimeoutMs = 2000;
    int timeoutMs = 5000;
    std::string container = "readings";
    // [agent] bootstrap / connection methods and fallbacks, written when not empty.
    std::string bootstrap, connection, bootstrapFallback;
    std::string gbaExtra;  // more [gba] lines
    std::string extra;     // more sections, e.g. [integrity]
};

class AgentLab {
public:
    // With `gba`: the card gets a USIM ([usim] generated, exported with the record) and the lab
    // network a BSF with osmo-hlr as the AuC (the import adds the subscriber).
    explicit AgentLab(bool gba = false, const ProfileExtension& extension = {})
        : card_(/*lock=*/true, gba, extension),
          nodeHex_(lowerHex(*card_.result().status.nodeId)),
          network_(labDir()) {
        if (gba) {
            network_.setGbaAuc("osmo-hlr");
        }
    }

    PersonalisedCard& card() { return card_; }
    LabNetwork& network() { return network_; }
    // The M2M-Node-ID as lowercase hex (how m2m-netsim and the PSK identities spell it).
    const std::string& nodeId() const { return nodeHex_; }

    // The lab network imports what `m2m provision --export-keys` wrote for this card.
    // The export holds no SCL-ID: the lab network is told the one the test profile gives.
    void importCard(std::vector<std::string> extra = {}) {
        extra.insert(extra.end(), {"--scl-id", *card_.result().status.sclId});
        network_.import(keysFile(), extra);
    }
    std::filesystem::path keysFile() const { return card_.kmsaFile().parent_path() / "keys.json"; }

    std::filesystem::path writeConfig(const AgentSettings& s = {}) {
        const LabPorts& p = s.ports ? *s.ports : network_.ports();
        const auto dir = card_.kmsaFile().parent_path();
        config_ = dir / "agent.toml";
        std::ofstream out(config_);
        out << "[card]\nreader = \"" << card_.card().readerName() << "\"\nkmsa_file = \""
            << card_.kmsaFile().string() << "\"\n"
            << "[network]\nmsbf = \"https://msbf.lab.m2m:" << p.msbf << "\"\n"
            << "connection = \""
            << (s.connectionUrl.empty() ? "https://nscl.lab.m2m:" + std::to_string(p.connection)
                                        : s.connectionUrl)
            << "\"\nmid = \"https://nscl.lab.m2m:" << p.mid << "/m2m\"\n"
            << "resolve = [\"msbf.lab.m2m:" << p.msbf
            << ":127.0.0.1\", \"nscl.lab.m2m:" << p.connection
            << ":127.0.0.1\", \"nscl.lab.m2m:" << p.mid << ":127.0.0.1\""
            << (p.bsf == 0 ? "" : ", \"bsf.lab.m2m:" + std::to_string(p.bsf) + ":127.0.0.1\"")
            << (s.extraResolve.empty() ? "" : ", \"" + s.extraResolve + "\"") << "]\n"
            << "connect_timeout_ms = " << s.connectTimeoutMs << "\ntimeout_ms = " << s.timeoutMs
            << "\n[agent]\nstate_dir = \"" << (dir / "state").string() << "\"\n"
            << "container = \"" << s.container << "\"\n"
            << "report_interval_ms = " << s.reportIntervalMs << "\n"
            << "kmc_renew_margin_s = " << s.kmcRenewMarginS << "\n"
            << (s.bootstrap.empty() ? "" : "bootstrap = \"" + s.bootstrap + "\"\n")
            << (s.connection.empty() ? "" : "connection = \"" + s.connection + "\"\n")
            << (s.bootstrapFallback.empty() ? ""
                                            : "bootstrap_fallback = " + s.bootstrapFallback + "\n")
            << "[retry]\ninitial_ms = " << s.retryInitialMs << "\ncap_ms = " << s.retryCapMs
            << "\nmax_attempts = " << s.maxAttempts << "\n"
            << s.extra;
        if (!s.bootstrap.empty() || !s.connection.empty()) {
            out << "[gba]\nbsf = \"http://bsf.lab.m2m:" << p.bsf << "/\"\n"
                << "msbf_fqdn = \"msbf.lab.m2m\"\nnscl_fqdn = \"nscl.lab.m2m\"\n"
                << s.gbaExtra;
        }
        return config_;
    }

    // Starts `m2m agent run` (writes a default configuration first if none was written).
    ChildProcess& startAgent(const std::vector<std::string>& extra = {},
                             std::map<std::string, std::string> env = {}) {
        if (config_.empty()) {
            writeConfig();
        }
        std::filesystem::remove(statusFile());
        std::vector<std::string> argv{m2mBinary(), "agent", "run", "--config", config_.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        agent_ = std::make_unique<ChildProcess>(
            argv, card_.kmsaFile().parent_path() / ("agent-" + std::to_string(runs_++) + ".log"),
            std::move(env));
        return *agent_;
    }
    ChildProcess& agent() { return *agent_; }

    std::filesystem::path statusFile() const {
        return card_.kmsaFile().parent_path() / "state" / "status.json";
    }
    nlohmann::json status() const { return readJsonObject(statusFile()); }
    // Waits until `predicate(status)` holds; the message on failure shows the status and logs.
    template <typename F>
    bool waitStatus(F&& predicate, std::chrono::milliseconds timeout) {
        return eventually([&] { return predicate(status()); }, timeout);
    }
    bool waitState(const std::string& state, std::chrono::milliseconds timeout) {
        return waitStatus([&](const nlohmann::json& s) { return s.value("state", "") == state; },
                          timeout);
    }
    std::string diagnostics() const {
        return "status: " + status().dump(2) + "\nagent log:\n" +
               (agent_ ? agent_->output() : std::string()) + "\nnetsim log:\n" +
               network_.serverLog();
    }

    static std::string m2mBinary() {
        const char* bin = std::getenv("M2M_BIN");
        return bin != nullptr ? bin : "m2m";
    }

private:
    static std::string lowerHex(const seuicc::NodeId& id) {
        std::string hex = base::toHex(id);
        for (auto& c : hex) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        return hex;
    }
    std::filesystem::path labDir() const { return card_.kmsaFile().parent_path() / "lab"; }

protected:
    PersonalisedCard card_;
    std::string nodeHex_;
    LabNetwork network_;
    std::filesystem::path config_;
    std::unique_ptr<ChildProcess> agent_;
    int runs_ = 0;
};

}  // namespace testsupport

// Waits for the agent's status to satisfy `predicate`; fails with the status and both logs.
#define REQUIRE_STATUS(lab, timeout, ...)              \
    do {                                               \
        if (!(lab).waitStatus(__VA_ARGS__, timeout)) { \
            FAIL((lab).diagnostics());                 \
        }                                              \
    } while (false)
