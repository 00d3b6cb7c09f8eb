// Fixed workers, bounded backlog (see bounded_task_queue.hpp).
#include "securechannel/tls/server/bounded_task_queue.hpp"

namespace securechannel::tls::server {

BoundedTaskQueue::BoundedTaskQueue(std::size_t workers, std::size_t backlog, Runner runner)
    : backlog_(backlog), runner_(std::move(runner)) {
    workers_.reserve(workers);
    try {
        for (std::size_t i = 0; i < workers; ++i) {
            workers_.emplace_back([this] { work(); });
        }
    } catch (...) {
        // No destructor runs after a constructor throws, and a joinable std::thread destroyed
        // ends the process: the workers already started end here.
        shutdown();
        throw;
    }
}

BoundedTaskQueue::~BoundedTaskQueue() {
    shutdown();
}

void BoundedTaskQueue::enqueue(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        // Idle workers are about to take what waits; beyond them, at most `backlog_` may wait.
        if (!stopping_ && waiting_.size() < idle_ + backlog_) {
            waiting_.push_back(std::move(task));
            ready_.notify_one();
            return;
        }
    }
    runner_(task, true);
}

void BoundedTaskQueue::shutdown() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& worker : workers_) {
        worker.join();
    }
}

void BoundedTaskQueue::work() {
    for (;;) {
        std::function<void()> task;
        bool refused = false;
        {
            std::unique_lock lock(mutex_);
            ++idle_;
            ready_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
            --idle_;
            if (waiting_.empty()) {
                return;  // stopping, nothing left
            }
            task = std::move(waiting_.front());
            waiting_.pop_front();
            refused = stopping_;
        }
        runner_(task, refused);
    }
}

}  // namespace securechannel::tls::server
