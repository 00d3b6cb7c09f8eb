// Deadlines for the connections of one server, which cpp-httplib does not have: its timeouts are
// per read, so a client that trickles a byte now and then holds a worker for ever. Each
// connection is in a phase with a deadline (the TLS handshake; an idle kept-alive connection;
// a request from its first record until it has been read; the answer), and a request may bring
// at most so many bytes. Past either, the watchdog shuts the socket down (shutdown(2), not
// close: the worker that owns it then fails its read or write and closes it itself).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace securechannel::tls::server {

class ConnectionWatchdog {
public:
    using Clock = std::chrono::steady_clock;

    struct Deadlines {
        Clock::duration handshake;  // from the first handshake byte the server waits for
        Clock::duration request;    // from a request's first record until it is read; the answer
        Clock::duration idle;       // an idle kept-alive connection (httplib closes it first)
    };

    enum class Phase { Handshake, Idle, Request, Answer };
    // Why a connection was shut down; the first reason given stays.
    enum class Ending { None, Server, Deadline, Oversized, Stopping };

    // `tick` runs on the watchdog's thread at every look at the deadlines (about ten times a
    // second), outside its lock.
    ConnectionWatchdog(Deadlines deadlines, std::size_t maxRequestBytes,
                       std::function<void()> tick);
    ConnectionWatchdog(const ConnectionWatchdog&) = delete;
    ConnectionWatchdog& operator=(const ConnectionWatchdog&) = delete;
    ~ConnectionWatchdog();

    void start();
    void stop();

    // A connection starting its handshake on `fd`.
    void add(std::uint64_t id, int fd);
    // Must come before the socket is closed: afterwards the fd may name another connection.
    // Returns why the watchdog or the server ended it, and in which phase it was.
    std::pair<Ending, Phase> remove(std::uint64_t id);

    void enter(std::uint64_t id, Phase phase);
    // A TLS record of application data arrived: an idle connection starts a request; too many
    // bytes for one request end the connection.
    void received(std::uint64_t id, std::size_t bytes);
    // Application-data bytes received since the current request began.
    [[nodiscard]] std::size_t requestBytes(std::uint64_t id);

    void end(std::uint64_t id, Ending why);
    [[nodiscard]] bool ended(std::uint64_t id);
    // Ends every connection (the server stops).
    void endAll();

private:
    struct Entry {
        int fd;
        Phase phase;
        Clock::time_point deadline;
        std::size_t requestBytes = 0;
        Ending ending = Ending::None;
    };
    void setPhase(Entry& entry, Phase phase);
    static void endLocked(Entry& entry, Ending why);
    void run();

    const Deadlines deadlines_;
    const std::size_t maxRequestBytes_;
    const std::function<void()> tick_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::unordered_map<std::uint64_t, Entry> entries_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace securechannel::tls::server
