#include "agent/clock.hpp"

namespace agent {

bool SystemClock::sleepUntil(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, deadline, [this] { return interrupted_ || woken_; });
    woken_ = false;
    return !interrupted_;
}

void SystemClock::interrupt() {
    {
        const std::lock_guard lock(mutex_);
        interrupted_ = true;
    }
    wake_.notify_all();
}

void SystemClock::wake() {
    {
        const std::lock_guard lock(mutex_);
        woken_ = true;
    }
    wake_.notify_all();
}

}  // namespace agent
