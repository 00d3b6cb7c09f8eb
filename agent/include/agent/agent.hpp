// The agent: the one place that orders the procedures in time (architecture.md).
//
//   starting ──> bootstrapping (no valid Kmr) ──> connecting (new Kmc) ──> registering ──>
//   registered
//                      ^                               ^    ^                                  │
//                      └── Kmr expired or refused ─────┘    └── Kmc expired or refused ────────┘
//
// In `registered` the agent stores a contentInstance every report interval, refreshes the SCL
// registration at half its lifetime, and runs the service connection again shortly before Kmc
// expires. Each step ends in an Outcome (outcome.hpp): go on, retry after a backoff (exponential,
// jittered, capped; the failed step or the one that mends it), or fail for good (`failed`, a
// visible state the agent stays in until it is stopped).
//
// The agent depends on interfaces only: the card (CardPort), HTTPS with card-held keys
// (securechannel::tls::HttpsClient) and time (AgentClock). The daemon gets the real ones; the unit
// tests drive every transition with in-memory ones.
#pragma once

#include <functional>
#include <memory>

#include "agent/card_port.hpp"
#include "agent/clock.hpp"
#include "agent/config.hpp"
#include "agent/gateway_uplink.hpp"
#include "agent/status.hpp"
#include "securechannel/tls/https_client.hpp"

namespace agent {

class Agent {
public:
    struct Options {
        // Stop on its own once this many contentInstances are stored (the demo); 0: never.
        std::uint64_t stopAfterInstances = 0;
        // Called after every change of the status (the daemon writes status.json), on the
        // agent's thread.
        std::function<void(const AgentStatus&)> onStatus;
        // Return from run() on a permanent failure instead of staying in `failed` until stopped
        // (the demo and tests; a daemon stays, visible, for a person to look at).
        bool exitOnFailure = false;
    };

    // What the agent works with. Empty members get the real thing: a CardSession for the card in
    // the configured reader, PskHttpsClients (Ua's with one suite), the system clock, a randomly
    // seeded jitter.
    struct Parts {
        std::unique_ptr<CardPort> card;
        std::unique_ptr<securechannel::tls::HttpsClient> https;
        // GBA's Ua: PSK = Ks_ext_NAF, offering the one suite of [gba] ua_cipher.
        std::unique_ptr<securechannel::tls::HttpsClient> ua;
        std::unique_ptr<AgentClock> clock;
        std::function<double()> jitter;  // uniform in [0, 1)
    };

    Agent(AgentConfig config, Options options, Parts parts = {});
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    // Runs until stop() or stopAfterInstances; returns the final state (Stopped or Failed).
    AgentState run();
    // Safe from any thread (the signal thread, an onStatus callback): ends run() soon.
    void stop();

    [[nodiscard]] AgentStatus status() const;

    // The gateway's uplink over this agent's mId link (GATEWAY.md §3), for the dIa side's
    // threads: each call runs on the agent's thread while it is registered, between its own
    // requests, and is refused at once otherwise. The first call adds `relay` to the status.
    // The gateway must be done with it before the Agent is destroyed.
    GatewayUplink& uplink();

    // The agent's secure time (GATEWAY.md §4; the local clock until it has synchronised), from
    // any thread: the gateway judges its devices' keys, registrations and reports by it.
    [[nodiscard]] std::chrono::system_clock::time_point secureNow() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace agent
