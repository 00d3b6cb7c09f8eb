// m2m-faultproxy's engine: a TCP listener on loopback that relays every connection to one
// target, and a line-based control port that arms faults (README.md). One thread runs the
// listener and the control port; each relayed connection has a thread of its own (relay.hpp).
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "faults.hpp"
#include "loopback_address.hpp"
#include "relay.hpp"

namespace faultproxy {

class Proxy {
public:
    struct Options {
        netsim::ListenAddress listen;   // port 0: the OS picks
        netsim::ListenAddress target;   // where every connection is relayed to
        netsim::ListenAddress control;  // port 0: the OS picks
    };

    // Binds both ports (throws std::runtime_error when it cannot) and starts serving.
    explicit Proxy(const Options& options);
    ~Proxy();  // stop()
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::uint16_t controlPort() const { return controlPort_; }

    // Ends every connection and the serving thread.
    void stop();

private:
    struct ControlClient {
        int fd = -1;
        std::string pending;  // bytes of a line not yet complete
    };

    void serve();
    void acceptConnection();
    void acceptControl();
    bool readControl(ControlClient& client);  // false: the client is gone
    std::string execute(const std::string& line);
    nlohmann::ordered_json status();
    void listen();
    void unlisten();
    void resetAll();
    void reap();

    Options options_;
    sockaddr_storage target_{};
    socklen_t targetLength_ = 0;
    int listener_ = -1;
    int control_ = -1;
    int wake_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::uint16_t controlPort_ = 0;
    FaultBoard board_;
    std::list<std::unique_ptr<Relay>> relays_;
    std::list<ControlClient> controlClients_;
    std::uint64_t accepted_ = 0;
    std::uint64_t cut_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace faultproxy
