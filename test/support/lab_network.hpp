// The lab network for a test: the real m2m-netsim ($M2M_NETSIM) on loopback ports the OS picks,
// with its own SQLite file, plus its command-line controls (import, fault, revoke, expire, show).
// With a BSF, `serve` itself starts and stops osmo-hlr (nothing else to run or clean up here).
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace testsupport {

struct LabPorts {
    int msbf = 0;
    int connection = 0;
    int mid = 0;
    int bsf = 0;  // with setGbaAuc()
};

class LabNetwork {
public:
    struct Options {
        std::vector<std::string> serveArgs;  // e.g. {"--kmc-lifetime", "4"}
        LabPorts ports;                      // 0: the OS picks
    };

    // A new database in `dir`; nothing runs yet.
    explicit LabNetwork(std::filesystem::path dir);
    ~LabNetwork();

    // m2m-netsim import; extra arguments such as "--without-kmr".
    void import(const std::filesystem::path& keysJson, const std::vector<std::string>& extra = {});
    // Starts `serve` and waits for its ready file. Ports stay the same across stop()/start()
    // once known, so an agent's configuration keeps working.
    void start(Options options = {});
    // From the next start() on: the BSF (Ub over HTTP, port in ports().bsf) with this AuC:
    // "osmo-hlr" (serve starts it, its database beside the store, so its SQNs survive a restart)
    // or "builtin". Empty: no BSF.
    void setGbaAuc(std::string auc) { gbaAuc_ = std::move(auc); }
    void stop();
    [[nodiscard]] bool running() const { return server_ != nullptr; }

    // m2m-netsim <command> --db DB <args...>; throws on a non-zero exit. Returns stdout.
    std::string control(const std::string& command, const std::vector<std::string>& args = {});
    nlohmann::json show();

    [[nodiscard]] const LabPorts& ports() const { return ports_; }
    [[nodiscard]] const std::filesystem::path& db() const { return db_; }
    [[nodiscard]] std::string serverLog() const;

private:
    std::filesystem::path dir_;
    std::filesystem::path db_;
    LabPorts ports_;
    std::unique_ptr<ChildProcess> server_;
    int generation_ = 0;
    std::string gbaAuc_;
};

// The netsim binary ($M2M_NETSIM).
std::string netsimBinary();

}  // namespace testsupport
