// The gateway's uplink work queue (GATEWAY.md §3): calls from the dIa threads become tasks the
// agent runs on its own thread, between its own requests, because the card has one PC/SC
// transaction at a time and the mId link is the agent's. A caller waits for its task at most its
// timeout; tasks are taken only while the queue is open (the agent is registered), otherwise
// refused at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "agent/gateway_uplink.hpp"
#include "agent/status.hpp"

namespace agent {

class UplinkQueue {
public:
    // `wake` ends the agent's current wait (AgentClock::wake): work has arrived.
    explicit UplinkQueue(std::function<void()> wake);
    ~UplinkQueue();
    UplinkQueue(const UplinkQueue&) = delete;
    UplinkQueue& operator=(const UplinkQueue&) = delete;

    // Caller's side, any thread but the agent's. Queues `task` and waits until it ran, at most
    // `timeout` in all. Throws UplinkUnavailable: the queue is closed (`closedReason()`), the
    // timeout passed (timedOut(); a task already running goes on, its result is dropped), or
    // the task failed (its message). The task must own what it uses: it may outlive the call.
    void call(std::function<void()> task, std::chrono::milliseconds timeout);

    // Agent's side. open() while registered; close() refuses what waits and every later call.
    void open();
    void close(const std::string& reason);
    // Runs every queued task, in order, on the calling thread. A task that throws
    // UplinkUnavailable refuses its call (the caller gets it; nothing else happens). Any other
    // exception is the caller's UplinkUnavailable and is rethrown here as well (the agent decides
    // on it as on a failure of its own request); the tasks after it stay queued.
    void runPending();

    [[nodiscard]] bool pending() const;
    [[nodiscard]] UplinkStatus counters() const;

private:
    struct Job;
    void refuse(const std::shared_ptr<Job>& job, const std::string& why);

    std::function<void()> wake_;
    mutable std::mutex mutex_;
    std::condition_variable done_;
    bool open_ = false;
    std::string closedReason_ = "the gateway is not registered with the NSCL";
    std::deque<std::shared_ptr<Job>> queue_;
    std::uint64_t requests_ = 0;
    std::uint64_t refused_ = 0;
    std::deque<double> waitsMs_;  // the latest kWaitsKept
};

}  // namespace agent
