// The agent: the one place that orders the procedures in time (architecture.md).
//
//   starting ──> bootstrapping (no valid Kmr) ──> connecting (new Kmc) ──> registering ──>
//   registered
//                      ^                               ^    ^                                  │
//                      └── Kmr expired or refused ─────┘    └── Kmc expired or refused ────────┘
//
// In `registered` the agent stores a contentInstance every report interval, refreshes the SCL
// registration at half its lifetime, and runs the service connection again shortly before Kmc
// expires. A transient failure (network down, 5xx, a malformed answer, a lost card) goes to
// `backoff` (exponential, jittered, capped) and retries the failed step; a permanent one (Kbs
// refused, no bootstrap key, the card not personalised, a 4xx other than 403) goes to `failed`,
// a visible state the agent stays in until it is stopped.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "agent/config.hpp"
#include "agent/status.hpp"

namespace agent {

class Agent {
public:
    struct Options {
        // Stop on its own once this many contentInstances are stored (the demo); 0: never.
        std::uint64_t stopAfterInstances = 0;
        // Called after every change of the status (the daemon writes status.json).
        std::function<void(const AgentStatus&)> onStatus;
        // Return from run() on a permanent failure instead of staying in `failed` until stopped
        // (the demo and tests; a daemon stays, visible, for a person to look at).
        bool exitOnFailure = false;
    };

    Agent(AgentConfig config, Options options);
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    // Runs until stop() or stopAfterInstances; returns the final state (Stopped or Failed).
    AgentState run();
    // Safe from another thread (the signal thread): wakes any wait and ends run() soon.
    void stop();

    [[nodiscard]] AgentStatus status() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace agent
