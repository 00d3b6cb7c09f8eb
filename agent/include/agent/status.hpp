// What the agent shows of itself (m2m agent status): its state, the card's identities, indexes,
// lifetimes and KCVs, the PSK identities in use, and its counters. Written as JSON to
// <state_dir>/status.json after every change (atomically: a reader never sees half a file).
// Holds no secret: KCVs and identities only.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/card_port.hpp"
#include "agent/outcome.hpp"
#include "agent/state.hpp"
#include "securechannel/errors.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/sed_status.hpp"

namespace agent {

// A status file that is missing, unreadable or damaged (not the JSON object the agent writes).
// The message names the file and says which; it never quotes the JSON library.
class StatusFileError : public securechannel::Error {
public:
    using securechannel::Error::Error;
};

// A failure as the status shows it: what, where, when, and whether the agent has got past it.
struct ErrorRecord {
    Cause cause;
    AgentState state = AgentState::Starting;  // the step that failed
    std::chrono::system_clock::time_point at;
    // Set once the step that failed (or the one that mends it) succeeded afterwards.
    std::optional<std::chrono::system_clock::time_point> recoveredAt;
};

struct ProcedureStats {
    std::uint64_t runs = 0;
    std::uint64_t failures = 0;
    double lastMs = 0;
    double totalMs = 0;
    seuicc::ApduCounters lastCard;   // card traffic of the last successful run
    seuicc::ApduCounters totalCard;  // of all runs, failed ones included
    std::uint64_t lastHandshakes = 0;
    std::uint64_t lastRequests = 0;
};

// GBA as the status shows it: the cached bootstrap (never a key) and Ub's counters.
struct GbaStatus {
    std::string btid;
    std::optional<std::chrono::system_clock::time_point> btidExpiry;
    std::string impi;
    std::uint64_t ubRuns = 0;
    std::uint64_t ubRequests = 0;
    std::uint64_t btidRefusals = 0;  // a NAF refused a cached B-TID (then Ub ran again)
};

// The gateway's uplink (GATEWAY.md §3, §7): calls from the dIa side run on the agent's thread.
struct UplinkStatus {
    std::uint64_t requests = 0;  // calls taken in (relays, reports, device registrations)
    std::uint64_t refused = 0;   // of them, answered UplinkUnavailable (closed, timeout, failure)
    std::size_t queueLength = 0;
    // Between being queued and starting to run, over the latest calls.
    double waitMedianMs = 0;
    double waitP90Ms = 0;
};

// Secure time as the status shows it (agent/GATEWAY.md §4): status.time.
struct TimeStatus {
    std::string source;  // network, chrony, local
    bool synchronised = false;
    double offsetSeconds = 0;  // secure time minus local time
    double uncertaintyMs = 0;
    bool localTrusted = false;
    std::optional<std::chrono::system_clock::time_point> lastSync;  // secure time of the sample
    std::string note;  // chrony: why it is not used (the fallback to the network), or its state
};

struct AgentStatus {
    AgentState state = AgentState::Starting;
    std::chrono::system_clock::time_point since;
    std::optional<AgentState> retrying;  // with Backoff: the procedure that failed
    unsigned attempt = 0;
    std::optional<std::chrono::system_clock::time_point> nextAttempt;
    std::optional<ErrorRecord> lastError;  // the latest failure, recovered or not

    CardKind cardKind = CardKind::Uicc;  // software: no secured environment (GATEWAY.md §5)
    std::string reader;
    std::string iccid;
    std::optional<seuicc::SedStatus> card;
    std::string kbsIdentity, kmrIdentity, kmcIdentity;  // PSK identities in use
    std::string midUrl;
    // The method of the latest successful bootstrap / connection in this run ("gba", "tls"),
    // empty before one; how often a method failed and the next one was tried.
    std::string bootstrapMethod, connectionMethod;
    std::uint64_t fallbacks = 0;
    std::optional<GbaStatus> gba;  // when GBA is configured

    std::string registrationLocation;
    std::optional<std::chrono::system_clock::time_point> registrationExpires;
    std::optional<std::chrono::system_clock::time_point> registrationRefreshAt;
    std::string containerLocation;
    std::uint64_t contentInstances = 0;
    std::string lastContentInstance;  // id the NSCL gave the latest one
    // Readings not sent because integrity validation holds mId data back (halt, partial).
    std::uint64_t readingsWithheld = 0;
    // With integrity: the maintenance container and the records posted there (tellMaintenance).
    std::string maintenanceLocation;
    std::uint64_t maintenanceRecords = 0;
    // Integrity validation (IntegrityValidator::statusJson): the last report, the verdict, the
    // recovery actions taken; null when it is not enabled or has not run.
    nlohmann::ordered_json integrity;
    // Once the gateway asked for the uplink (Agent::uplink()).
    std::optional<UplinkStatus> relay;
    std::optional<TimeStatus> time;

    seuicc::ApduCounters cardTraffic;
    std::uint64_t secureChannelSetups = 0;
    std::string masterSa;  // the latest setup's master SA: CardPathInfo::masterSa
    std::uint64_t tlsHandshakes = 0;
    std::uint64_t httpRequests = 0;
    std::uint64_t bootstraps = 0, connections = 0, registrations = 0, refreshes = 0;
    std::map<std::string, ProcedureStats> procedures;  // "bootstrap", "connection", ...
    double uptimeMs = 0;
};

[[nodiscard]] nlohmann::ordered_json toJson(const AgentStatus& status);

// Writes `document` to `path` through a temporary file and rename (mode 0644). Bytes from a
// card or a peer that are not UTF-8 are written as U+FFFD: such a string must not stop the agent.
void writeStatusFile(const std::filesystem::path& path, const nlohmann::ordered_json& document);

// Reads what writeStatusFile wrote: a JSON object with "state" (a string) and, if present, "pid"
// (an integer). Throws StatusFileError for a missing or unreadable file and for a damaged one.
[[nodiscard]] nlohmann::ordered_json readStatusFile(const std::filesystem::path& path);

// systemd's sd_notify protocol without libsystemd: one datagram to $NOTIFY_SOCKET (a path, or
// an abstract socket "@name"). Does nothing when the variable is unset (not under systemd).
void notifySystemd(const std::string& message) noexcept;

}  // namespace agent
