// One proxied connection: the client's socket, a new connection to the target, and a thread that
// copies bytes both ways until both ends are done, applying the armed fault when this
// connection reaches it (faults.hpp).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "faults.hpp"
#include "tls_records.hpp"

namespace faultproxy {

class Relay {
public:
    // Takes `client` (an accepted socket) and starts the thread, which connects to `target`.
    Relay(int client, const sockaddr_storage& target, socklen_t targetLength, FaultBoard& board);
    ~Relay();  // ends the connection (reset) if it still runs, and joins
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    // Resets both sockets now and waits for the thread to end.
    void reset();
    [[nodiscard]] bool done() const { return done_; }
    // Holding the server's data back (a Delay fault acted on this connection).
    [[nodiscard]] bool delaying() const { return delaying_; }

private:
    using Clock = std::chrono::steady_clock;
    struct Held {
        Clock::time_point due;
        std::vector<std::uint8_t> bytes;
    };
    enum class Next { Go, Stop };

    void run(sockaddr_storage target, socklen_t targetLength);
    void relay();
    Next onData(Direction from, const std::uint8_t* data, std::size_t n);
    bool forward(Direction from, const std::uint8_t* data, std::size_t n);
    bool releaseHeld();
    void abort();   // RST both
    void finish();  // FIN both

    int client_;
    int server_ = -1;
    int wake_[2] = {-1, -1};
    FaultBoard& board_;
    TlsRecordTracker tracker_[2];
    FaultCounter counter_[2];
    std::deque<Held> held_;
    std::chrono::milliseconds delay_{0};
    bool serverEnded_ = false;  // EOF from the server, to pass on once `held_` is empty
    std::atomic<bool> delaying_{false};
    std::atomic<bool> resetRequested_{false};
    std::atomic<bool> done_{false};
    std::thread thread_;
};

}  // namespace faultproxy
