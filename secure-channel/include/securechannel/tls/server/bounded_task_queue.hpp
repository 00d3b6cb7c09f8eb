// cpp-httplib's task queue with fixed bounds: a set number of worker threads and a bounded
// backlog of accepted connections waiting for one. httplib's own ThreadPool queues without limit;
// here a connection that finds every worker busy and the backlog full is not queued: it is handed
// to the runner at once, in the accepting thread, marked refused (the runner closes it without a
// handshake), so a flood costs neither threads nor an unbounded number of open sockets.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace securechannel::tls::server {

class BoundedTaskQueue final : public httplib::TaskQueue {
public:
    // Runs one task (one accepted connection). `refused`: no worker is free and the backlog is
    // full, or the queue is shutting down; the task must end quickly.
    using Runner = std::function<void(std::function<void()>& task, bool refused)>;

    BoundedTaskQueue(std::size_t workers, std::size_t backlog, Runner runner);
    BoundedTaskQueue(const BoundedTaskQueue&) = delete;
    BoundedTaskQueue& operator=(const BoundedTaskQueue&) = delete;
    ~BoundedTaskQueue() override;

    void enqueue(std::function<void()> task) override;
    // Runs what is still waiting as refused and joins the workers.
    void shutdown() override;

private:
    void work();

    const std::size_t backlog_;
    Runner runner_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> waiting_;
    std::size_t idle_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace securechannel::tls::server
