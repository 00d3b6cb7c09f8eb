#include "agent/uplink_queue.hpp"
#include "base/statistics.hpp"

#include <algorithm>
#include <vector>

namespace agent {

namespace {

using Steady = std::chrono::steady_clock;

constexpr std::size_t kWaitsKept = 256;

}  // namespace

struct UplinkQueue::Job {
    std::function<void()> task;
    Steady::time_point queuedAt;
    bool finished = false;
    std::exception_ptr error;  // for the caller: UplinkUnavailable
};

UplinkQueue::UplinkQueue(std::function<void()> wake) : wake_(std::move(wake)) {}

UplinkQueue::~UplinkQueue() {
    close("the agent is gone");
}

void UplinkQueue::refuse(const std::shared_ptr<Job>& job, const std::string& why) {
    job->error = std::make_exception_ptr(UplinkUnavailable(why, false));
    job->finished = true;
}

void UplinkQueue::call(std::function<void()> task, std::chrono::milliseconds timeout) {
    const auto deadline = Steady::now() + timeout;
    auto job = std::make_shared<Job>();
    job->task = std::move(task);
    job->queuedAt = Steady::now();
    std::unique_lock lock(mutex_);
    ++requests_;
    if (!open_) {
        ++refused_;
        throw UplinkUnavailable(closedReason_, false);
    }
    queue_.push_back(job);
    lock.unlock();
    wake_();
    lock.lock();
    if (!done_.wait_until(lock, deadline, [&] { return job->finished; })) {
        // Not run yet: taken out, so it never runs for nobody. Running: it ends on its own.
        std::erase(queue_, job);
        ++refused_;
        throw UplinkUnavailable(
            "the gateway's uplink did not answer within " + std::to_string(timeout.count()) + " ms",
            true);
    }
    if (job->error) {
        ++refused_;
        std::rethrow_exception(job->error);
    }
}

void UplinkQueue::open() {
    const std::lock_guard lock(mutex_);
    open_ = true;
}

void UplinkQueue::close(const std::string& reason) {
    {
        const std::lock_guard lock(mutex_);
        open_ = false;
        closedReason_ = reason;
        for (const auto& job : queue_) {
            refuse(job, reason);
        }
        queue_.clear();
    }
    done_.notify_all();
}

void UplinkQueue::runPending() {
    for (;;) {
        std::shared_ptr<Job> job;
        {
            const std::lock_guard lock(mutex_);
            if (queue_.empty()) {
                return;
            }
            job = queue_.front();
            queue_.pop_front();
            waitsMs_.push_back(
                std::chrono::duration<double, std::milli>(Steady::now() - job->queuedAt).count());
            if (waitsMs_.size() > kWaitsKept) {
                waitsMs_.pop_front();
            }
        }
        std::exception_ptr failure;
        try {
            job->task();
        } catch (const UplinkUnavailable&) {
            // The task's own refusal: the caller's answer, nothing wrong with the link.
            const std::lock_guard lock(mutex_);
            job->error = std::current_exception();
        } catch (const std::exception& e) {
            failure = std::current_exception();
            const std::lock_guard lock(mutex_);
            refuse(job, std::string("the gateway's uplink failed: ") + e.what());
        }
        {
            const std::lock_guard lock(mutex_);
            job->finished = true;
        }
        done_.notify_all();
        if (failure) {
            std::rethrow_exception(failure);
        }
    }
}

bool UplinkQueue::pending() const {
    const std::lock_guard lock(mutex_);
    return !queue_.empty();
}

UplinkStatus UplinkQueue::counters() const {
    const std::lock_guard lock(mutex_);
    const std::vector<double> waits(waitsMs_.begin(), waitsMs_.end());
    return {requests_, refused_, queue_.size(), base::percentile(waits, 0.5),
            base::percentile(waits, 0.9)};
}

}  // namespace agent
