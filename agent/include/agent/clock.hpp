// The agent's sense of time: when keys and registrations expire, when the next reading is due, and
// its waits in between. The daemon uses the system clock; the unit tests a manual one that jumps to
// each deadline at once, so a day of renewals runs in milliseconds.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace agent {

using Clock = std::chrono::system_clock;

class AgentClock {
public:
    AgentClock() = default;
    virtual ~AgentClock() = default;
    AgentClock(const AgentClock&) = delete;
    AgentClock& operator=(const AgentClock&) = delete;

    [[nodiscard]] virtual Clock::time_point now() = 0;
    // Waits until `deadline`, or less: true early once wake() was called since the last wait
    // ended (the caller looks again at what is due); false as soon as interrupt() was called
    // (now or before).
    virtual bool sleepUntil(Clock::time_point deadline) = 0;
    // Ends the current wait and every later one (the agent is stopping). Any thread.
    virtual void interrupt() = 0;
    // Ends the current wait, or the next one if none is under way (work arrived for the agent's
    // thread: the gateway's uplink). Any thread.
    virtual void wake() = 0;
};

// Real time; interrupt() and wake() end the wait through a condition variable.
class SystemClock final : public AgentClock {
public:
    Clock::time_point now() override { return Clock::now(); }
    bool sleepUntil(Clock::time_point deadline) override;
    void interrupt() override;
    void wake() override;

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool interrupted_ = false;
    bool woken_ = false;
};

}  // namespace agent
