// Connection deadlines and request byte caps (see connection_watchdog.hpp).
#include "securechannel/tls/server/connection_watchdog.hpp"

#include <sys/socket.h>

namespace securechannel::tls::server {

namespace {

// Deadlines are looked at this often: a limit holds to within this much.
constexpr auto kTick = std::chrono::milliseconds(100);

}  // namespace

ConnectionWatchdog::ConnectionWatchdog(Deadlines deadlines, std::size_t maxRequestBytes,
                                       std::function<void()> tick)
    : deadlines_(deadlines), maxRequestBytes_(maxRequestBytes), tick_(std::move(tick)) {}

ConnectionWatchdog::~ConnectionWatchdog() {
    stop();
}

void ConnectionWatchdog::start() {
    thread_ = std::thread([this] { run(); });
}

void ConnectionWatchdog::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void ConnectionWatchdog::add(std::uint64_t id, int fd) {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[id];
    entry.fd = fd;
    setPhase(entry, Phase::Handshake);
}

std::pair<ConnectionWatchdog::Ending, ConnectionWatchdog::Phase> ConnectionWatchdog::remove(
    std::uint64_t id) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end()) {
        return {Ending::None, Phase::Handshake};
    }
    const std::pair result{it->second.ending, it->second.phase};
    entries_.erase(it);
    return result;
}

void ConnectionWatchdog::setPhase(Entry& entry, Phase phase) {
    entry.phase = phase;
    const auto now = Clock::now();
    switch (phase) {
        case Phase::Handshake:
            entry.deadline = now + deadlines_.handshake;
            break;
        case Phase::Idle:
            // httplib closes an idle connection after `idle`; this is the backstop behind it,
            // and covers a request whose first bytes came before the previous answer went out.
            entry.deadline = now + deadlines_.idle + deadlines_.request;
            entry.requestBytes = 0;
            break;
        case Phase::Request:
        case Phase::Answer:
            entry.deadline = now + deadlines_.request;
            break;
    }
}

void ConnectionWatchdog::enter(std::uint64_t id, Phase phase) {
    std::lock_guard lock(mutex_);
    if (const auto it = entries_.find(id); it != entries_.end()) {
        setPhase(it->second, phase);
    }
}

void ConnectionWatchdog::received(std::uint64_t id, std::size_t bytes) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end()) {
        return;
    }
    Entry& entry = it->second;
    if (entry.phase == Phase::Idle) {
        setPhase(entry, Phase::Request);
    }
    entry.requestBytes += bytes;
    if (entry.requestBytes > maxRequestBytes_) {
        endLocked(entry, Ending::Oversized);
    }
}

std::size_t ConnectionWatchdog::requestBytes(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    return it == entries_.end() ? 0 : it->second.requestBytes;
}

void ConnectionWatchdog::endLocked(Entry& entry, Ending why) {
    if (entry.ending == Ending::None) {
        entry.ending = why;
        ::shutdown(entry.fd, SHUT_RDWR);
    }
}

void ConnectionWatchdog::end(std::uint64_t id, Ending why) {
    std::lock_guard lock(mutex_);
    if (const auto it = entries_.find(id); it != entries_.end()) {
        endLocked(it->second, why);
    }
}

bool ConnectionWatchdog::ended(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    return it != entries_.end() && it->second.ending != Ending::None;
}

void ConnectionWatchdog::endAll() {
    std::lock_guard lock(mutex_);
    for (auto& [id, entry] : entries_) {
        endLocked(entry, Ending::Stopping);
    }
}

void ConnectionWatchdog::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, kTick);
        const auto now = Clock::now();
        for (auto& [id, entry] : entries_) {
            if (entry.deadline <= now) {
                endLocked(entry, Ending::Deadline);
            }
        }
        if (tick_) {
            lock.unlock();
            tick_();
            lock.lock();
        }
    }
}

}  // namespace securechannel::tls::server
