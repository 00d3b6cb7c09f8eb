// One agent wired to the in-memory card, network and clock, run on the test's thread until a
// condition holds. Records each state it enters, in order, so a test can check the path taken.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "agent/agent.hpp"
#include "fake_parts.hpp"

namespace agenttest {

class AgentHarness {
public:
    AgentHarness();

    agent::AgentConfig config;
    agent::Agent::Options options;
    // Raw views of the parts the agent owns once start() made it.
    ManualClock* clock = nullptr;
    FakeCard* card = nullptr;
    FakeNetwork* network = nullptr;

    // Stops the agent when this becomes true (checked after every status change). A run that
    // takes more than `maxUpdates` status changes is stopped and reported as runaway.
    std::function<bool(const agent::AgentStatus&)> stopWhen;
    int maxUpdates = 5000;

    // Runs the agent to its end; returns the final state.
    agent::AgentState run();

    std::vector<agent::AgentState> states;  // entered, in order (repeats of a state collapsed)
    agent::AgentStatus last;                // the last status seen
    bool runaway = false;

    // The agent run() made (null before): for calls from another thread while it runs.
    [[nodiscard]] agent::Agent* agent() const { return agent_.get(); }

    // The agent's status as m2m agent status would show it.
    [[nodiscard]] const agent::AgentStatus& status() const { return last; }

private:
    std::unique_ptr<ManualClock> clockOwned_;
    std::unique_ptr<FakeCard> cardOwned_;
    std::unique_ptr<FakeNetwork> networkOwned_;
    std::unique_ptr<agent::Agent> agent_;
    int updates_ = 0;
};

// "starting, connecting, ..." for messages.
std::string describe(const std::vector<agent::AgentState>& states);

}  // namespace agenttest
