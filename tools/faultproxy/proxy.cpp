#include "proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "base/log.hpp"

namespace faultproxy {

namespace {

// Bounds what one control client may send without a newline.
constexpr std::size_t kMaxControlLine = 1024;

socklen_t socketAddress(const netsim::ListenAddress& a, sockaddr_storage& out) {
    std::memset(&out, 0, sizeof out);
    if (a.ipv6) {
        auto* six = reinterpret_cast<sockaddr_in6*>(&out);
        six->sin6_family = AF_INET6;
        six->sin6_port = htons(a.port);
        ::inet_pton(AF_INET6, a.host.c_str(), &six->sin6_addr);
        return sizeof(sockaddr_in6);
    }
    auto* four = reinterpret_cast<sockaddr_in*>(&out);
    four->sin_family = AF_INET;
    four->sin_port = htons(a.port);
    ::inet_pton(AF_INET, a.host.c_str(), &four->sin_addr);
    return sizeof(sockaddr_in);
}

// A listening socket on `a`; returns it and the port it got.
int listenOn(const netsim::ListenAddress& a, std::uint16_t& port) {
    sockaddr_storage address{};
    const socklen_t length = socketAddress(a, address);
    const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error(std::string("socket(): ") + std::strerror(errno));
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 64) != 0) {
        const int error = errno;
        ::close(fd);
        throw std::runtime_error("cannot listen on " + a.host + ":" + std::to_string(a.port) +
                                 ": " + std::strerror(error));
    }
    socklen_t got = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &got);
    port =
        ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    return fd;
}

void reply(int fd, const std::string& line) {
    const std::string out = line + "\n";
    [[maybe_unused]] const auto ignored = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
}

}  // namespace

Proxy::Proxy(const Options& options) : options_(options) {
    targetLength_ = socketAddress(options_.target, target_);
    listener_ = listenOn(options_.listen, port_);
    options_.listen.port = port_;  // `pass` after `refuse` listens on the same port again
    try {
        control_ = listenOn(options_.control, controlPort_);
        if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
            throw std::runtime_error("pipe2() failed");
        }
    } catch (...) {
        ::close(listener_);
        if (control_ >= 0) {
            ::close(control_);
        }
        throw;
    }
    thread_ = std::thread([this] { serve(); });
}

Proxy::~Proxy() {
    stop();
}

void Proxy::stop() {
    if (!stopping_.exchange(true)) {
        const char byte = 1;
        [[maybe_unused]] const auto ignored = ::write(wake_[1], &byte, 1);
    }
    if (thread_.joinable()) {
        thread_.join();
    }
    resetAll();
    for (auto& c : controlClients_) {
        ::close(c.fd);
    }
    controlClients_.clear();
    unlisten();
    for (int* fd : {&control_, &wake_[0], &wake_[1]}) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
}

void Proxy::serve() {
    while (!stopping_) {
        std::vector<pollfd> fds{
            {wake_[0], POLLIN, 0}, {control_, POLLIN, 0}, {listener_, POLLIN, 0}};
        for (const auto& c : controlClients_) {
            fds.push_back({c.fd, POLLIN, 0});
        }
        // The timeout only bounds how long a finished relay waits to be reaped.
        if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) {
            base::log::kFaultproxy->error("poll: {}", std::strerror(errno));
            return;
        }
        if (stopping_) {
            return;
        }
        if (fds[1].revents & POLLIN) {
            acceptControl();
        }
        if (listener_ >= 0 && (fds[2].revents & POLLIN)) {
            acceptConnection();
        }
        auto client = controlClients_.begin();
        for (std::size_t i = 3; i < fds.size(); ++i) {
            if (fds[i].revents != 0 && !readControl(*client)) {
                ::close(client->fd);
                client = controlClients_.erase(client);
            } else {
                ++client;
            }
        }
        reap();
    }
}

void Proxy::acceptConnection() {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    ++accepted_;
    base::log::kFaultproxy->debug("connection {} accepted", accepted_);
    relays_.push_back(std::make_unique<Relay>(fd, target_, targetLength_, board_));
}

void Proxy::acceptControl() {
    const int fd = ::accept4(control_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
        controlClients_.push_back({fd, {}});
    }
}

bool Proxy::readControl(ControlClient& client) {
    char buffer[512];
    const ssize_t n = ::recv(client.fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return true;
    }
    if (n <= 0) {
        return false;
    }
    client.pending.append(buffer, static_cast<std::size_t>(n));
    for (auto end = client.pending.find('\n'); end != std::string::npos;
         end = client.pending.find('\n')) {
        const std::string line = client.pending.substr(0, end);
        client.pending.erase(0, end + 1);
        reply(client.fd, execute(line));
    }
    if (client.pending.size() > kMaxControlLine) {
        reply(client.fd, "error line too long");
        return false;
    }
    return true;
}

std::string Proxy::execute(const std::string& line) {
    Command command;
    try {
        command = parseCommand(line);
    } catch (const std::invalid_argument& e) {
        return std::string("error ") + e.what();
    }
    base::log::kFaultproxy->info("control: {}", line);
    switch (command.kind) {
        case Command::Kind::Status:
            return status().dump();
        case Command::Kind::Pass:
            board_.clear();
            if (listener_ < 0) {
                try {
                    listen();
                } catch (const std::exception& e) {
                    return std::string("error ") + e.what();
                }
            }
            return "ok";
        case Command::Kind::Refuse:
            board_.clear();
            unlisten();
            resetAll();
            return "ok";
        case Command::Kind::Cut:
            resetAll();
            return "ok";
        case Command::Kind::Arm:
            board_.arm(command.fault);
            return "ok";
    }
    return "error unknown command";
}

nlohmann::ordered_json Proxy::status() {
    reap();
    std::size_t delaying = 0;
    for (const auto& r : relays_) {
        delaying += r->delaying() ? 1 : 0;
    }
    const auto armed = board_.describe();
    const auto fired = board_.counters();
    return {{"listening", listener_ >= 0},
            {"port", port_},
            {"fault", armed ? nlohmann::ordered_json(armed->first) : nullptr},
            {"remaining", armed ? armed->second : 0},
            {"open", relays_.size()},
            {"delaying", delaying},
            {"accepted", accepted_},
            {"resets", fired.resets},
            {"truncations", fired.truncations},
            {"delays", fired.delays},
            {"cut", cut_}};
}

void Proxy::listen() {
    std::uint16_t port = 0;
    listener_ = listenOn(options_.listen, port);
}

void Proxy::unlisten() {
    if (listener_ >= 0) {
        ::close(listener_);
        listener_ = -1;
    }
}

// Resets every open connection and waits until each has ended.
void Proxy::resetAll() {
    for (auto& r : relays_) {
        if (!r->done()) {
            ++cut_;
        }
        r->reset();
    }
    relays_.clear();
}

void Proxy::reap() {
    relays_.remove_if([](const std::unique_ptr<Relay>& r) { return r->done(); });
}

}  // namespace faultproxy
