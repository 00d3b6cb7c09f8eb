#include "agent_harness.hpp"

namespace agenttest {

AgentHarness::AgentHarness()
    : clockOwned_(std::make_unique<ManualClock>(Clock::now())),
      cardOwned_(std::make_unique<FakeCard>()) {
    clock = clockOwned_.get();
    card = cardOwned_.get();
    networkOwned_ = std::make_unique<FakeNetwork>(*clock, *card->card.nodeId, *card->card.sclId);
    network = networkOwned_.get();
    network->kmrIndex = card->card.kmrIndex;  // the network knows the card's Kmr

    config.msbfUrl = "https://msbf.test:1";
    config.connectionUrl = "https://nscl.test:2";
    config.reportInterval = std::chrono::seconds(10);
    config.kmcRenewMargin = std::chrono::seconds(5);
    config.retry.initial = std::chrono::seconds(1);
    config.retry.cap = std::chrono::seconds(60);
    config.retry.multiplier = 2.0;
    config.retry.jitter = 0.0;
    options.exitOnFailure = true;
}

agent::AgentState AgentHarness::run() {
    agent::Agent::Options o = options;
    o.onStatus = [this, user = options.onStatus](const agent::AgentStatus& s) {
        if (user) {
            user(s);
        }
        last = s;
        if (states.empty() || states.back() != s.state) {
            states.push_back(s.state);
        }
        if (++updates_ > maxUpdates) {
            runaway = true;
            agent_->stop();
        } else if (stopWhen && stopWhen(s)) {
            agent_->stop();
        }
    };
    agent::Agent::Parts parts;
    parts.card = std::move(cardOwned_);
    parts.https = std::move(networkOwned_);
    parts.clock = std::move(clockOwned_);
    parts.jitter = [] { return 0.5; };
    agent_ = std::make_unique<agent::Agent>(config, std::move(o), std::move(parts));
    return agent_->run();
}

std::string describe(const std::vector<agent::AgentState>& states) {
    std::string out;
    for (const agent::AgentState s : states) {
        out += out.empty() ? "" : ", ";
        out += agent::toString(s);
    }
    return out;
}

}  // namespace agenttest
