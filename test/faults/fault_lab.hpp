// The stack the agent's cells run on: a personalised emulated UICC (slot 1), m2m-netsim, and an
// m2m-faultproxy in front of each of its endpoints (the agent reaches the network only through
// them); `m2m agent run` is started afresh for every cell. And what a cell observes and checks:
// the typed failures the agent logged, its readings as the network stored them, the keys on the
// card against the network's.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_fixture.hpp"
#include "fault_proxy.hpp"
#include "matrix.hpp"

namespace faults {

using namespace std::chrono_literals;

// One failure as the agent logged it: "<state> failed: ... (type T, cause C)", and what the
// agent did next ("retrying S in ..." or entering `failed`).
struct Failure {
    std::string state;
    std::string type;
    std::string cause;
    std::string next;  // the step retried after the backoff, "failed", or "" (not yet logged)
};
std::vector<Failure> failuresIn(const std::string& agentLog);

// The card APDUs of the agent's procedures in a run without faults, from its own counters.
struct ApduPlan {
    unsigned start = 0;              // MANAGE CHANNEL, SELECT, GET DATA, secure channel (new SA)
    unsigned refusedConnection = 0;  // a connection whose Kmr the network refuses
    unsigned bootstrap = 0;
    unsigned connection = 0;
    unsigned registration = 0;
    unsigned newConnectionInstance = 0;  // a contentInstance that needs a new TLS connection
};

class FaultLab {
public:
    FaultLab();

    testsupport::AgentLab& agentLab() { return lab_; }
    testsupport::EmulatedCard& card() { return lab_.card().card(); }
    testsupport::LabNetwork& network() { return lab_.network(); }
    // The proxy in front of the endpoint `procedure` talks to (the mId one for registration and
    // contentInstance).
    testsupport::FaultProxy& proxy(Procedure procedure);

    // The APDUs of each procedure, measured once per lab by runs without faults (checked
    // against the card's own count).
    const ApduPlan& plan();

    // The network refuses the card's Kmr: the next start goes connecting -> bootstrapping.
    void refuseKmr();

    // Starts `m2m agent run` for a cell: a fresh state directory (a new master SA, so `start`
    // always costs plan().start APDUs) and a container of its own for the cell's readings.
    void startAgent(int timeoutMs = 1500);
    nlohmann::json status() const { return lab_.status(); }
    std::vector<Failure> failures();
    std::uint64_t readings() const { return status().value("content_instances", std::uint64_t{0}); }
    // Waits until `predicate(status)` holds; false after `timeout`.
    bool waitStatus(const std::function<bool(const nlohmann::json&)>& predicate,
                    std::chrono::milliseconds timeout = 30s);
    bool waitRegistered(std::uint64_t readings, std::chrono::milliseconds timeout = 30s);
    bool waitFailures(std::size_t count, std::chrono::milliseconds timeout = 30s);
    // SIGTERM; the exit code (nullopt: it had to be killed).
    std::optional<int> stopAgent();
    std::string diagnostics() const;

    // The cell's last columns, checked: every reading this agent run counted as stored is stored,
    // once, in order (after stopAgent()); the card's Kmr and Kmc (index, KCV) equal the network's.
    void checkReadings(Cell& cell);
    void checkKeys(Cell& cell);

private:
    testsupport::AgentLab lab_;
    std::unique_ptr<testsupport::FaultProxy> msbf_, connection_, mid_;
    std::optional<ApduPlan> plan_;
    int runs_ = 0;
};

// One cell of the agent: what is done to it, and the outcome it must end in.
struct AgentCell {
    Cell cell;  // procedure, fault, APDU
    // The step the first failure must happen in ("bootstrapping"), its causes allowed, and the
    // step the agent must go to next ("bootstrapping" again, "connecting", or "failed").
    std::string failsIn;
    std::vector<std::string> causes;
    std::string next;
    bool recovers = true;  // false: it must end in `failed` (a permanent failure, by design)
    // The fault acts (the proxy counts it) but no step fails: the layer below mends it on its own
    // (libcurl sends a request again on a new connection when a kept-alive one dies before the
    // server read it). Then `absorbedBy` says how, and the agent must stay registered throughout.
    std::string absorbedBy;
    std::string absorbedLog;  // a line the agent must have logged on the way, if any
    int timeoutMs = 1500;     // the agent's request timeout
    // Failures that belong to the way there, not to the fault: the bootstrap path starts with
    // the refused Kmr (connecting -> bootstrapping).
    std::size_t setupFailures = 0;
    // Before the agent starts (arm a fault, refuse a key).
    std::function<void(FaultLab&)> before;
    // Right after it started (wait for it to reach the procedure, then strike).
    std::function<void(FaultLab&)> afterStart;
    // Once the fault's first failure is logged (put the card back, bring the network up again).
    std::function<void(FaultLab&)> afterFailure;
};

// For afterStart: waits until the agent is registered with a reading stored (a fault on the
// running agent strikes its next contentInstance).
void waitForFirstReading(FaultLab& lab);
// For afterStart: waits until `proxy` holds a connection back (a `delay` fault acting): the agent
// is inside the procedure, waiting for the server, before the card's part of the handshake.
void waitUntilHeld(FaultLab& lab, Procedure procedure);

// Runs one cell end to end, checks it and records it in the matrix.
void run(FaultLab& lab, AgentCell spec);

}  // namespace faults
