// The gateway's dIa side (agent/GATEWAY.md §1-§3, §7): the two TLS-PSK listeners its devices
// reach (the connection endpoint under each device's Kmr, the mId endpoint under the Kmc it
// issued), the appraisal of their reports by the gateway's policy, and the relay of what their
// verdicts allow over the GatewayUplink (the agent's own mId link to the NSCL).
//
// Threads: the listeners' workers run the handlers; every call into the uplink is made from one
// of them, outside the gateway's lock, and may block up to relay_timeout_ms. status() may be
// called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "agent/gateway_uplink.hpp"
#include "integrity/cose.hpp"
#include "provisioning/device_records.hpp"

namespace agent {

// One device as `m2m agent status --json` shows it under gateway.devices.
struct GatewayDeviceStatus {
    std::string nodeId;  // lowercase hex
    std::string sclId;
    bool software = false;  // card: "software" (no secured environment), else "uicc"
    bool attested = true;   // the record has an attestation key
    std::string verdict;    // "full", "partial", "deny"; empty before its first registration
    std::vector<std::string> allowed;
    std::optional<std::uint64_t> lastReportCounter;
    std::optional<std::chrono::system_clock::time_point> lastReportTime;
    bool registered = false;  // registered at the NSCL through the gateway, verdict not deny
    std::uint64_t relayedRequests = 0;
    std::uint64_t bytesUp = 0;    // request bodies relayed to the NSCL
    std::uint64_t bytesDown = 0;  // answer bodies relayed back
    std::uint64_t refused = 0;    // requests the verdict refused
    std::string lastError;
    // The key check value of the Kmc the gateway issued (security-profile: AES-256-ECB of zeros,
    // first 3 bytes, uppercase hex), empty before the first service connection.
    std::string kmcKcv;
};

struct GatewayRelayStatus {
    std::size_t queueLength = 0;  // relayed requests waiting for, or in, the uplink
    double medianWaitMs = 0;      // over the last 128 relayed requests, answer included
    double p90WaitMs = 0;
};

struct GatewayStatus {
    std::uint16_t connectionPort = 0;
    std::uint16_t midPort = 0;
    std::vector<GatewayDeviceStatus> devices;
    GatewayRelayStatus relay;
};

// status.gateway (without `time`, which the secure time adds).
[[nodiscard]] nlohmann::ordered_json toJson(const GatewayStatus& status);

// The secure time (GATEWAY.md §4): Kmc and registration expiries, challenge validity and the
// reports' iat are judged by it.
using SecureClock = std::function<std::chrono::system_clock::time_point()>;

class Gateway {
public:
    // `timeTolerance`: how far a report's iat may be from secure time ([time] tolerance_s).
    Gateway(GatewayConfig config, std::vector<provisioning::DeviceRecord> devices,
            integrity::PrivateKey policyKey, GatewayUplink& uplink, SecureClock now,
            std::chrono::seconds timeTolerance = std::chrono::seconds(60));
    // Reads config.devicesFile and config.policyKeyFile (both must be 0600: KeyExportError /
    // securechannel errors, integrity::KeyError otherwise).
    static std::unique_ptr<Gateway> load(
        const GatewayConfig& config, GatewayUplink& uplink, SecureClock now,
        std::chrono::seconds timeTolerance = std::chrono::seconds(60));
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;
    ~Gateway();  // stops

    // Binds and serves both listeners (securechannel::tls::server::PskServerError).
    void start();
    // Ends every dIa connection and joins the listeners. Idempotent.
    void stop();

    // 0 before start().
    [[nodiscard]] std::uint16_t connectionPort() const;
    [[nodiscard]] std::uint16_t midPort() const;

    [[nodiscard]] GatewayStatus status() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace agent
