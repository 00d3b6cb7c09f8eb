#include "relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/log.hpp"

namespace faultproxy {

namespace {

constexpr int kConnectTimeoutMs = 2000;

// A close that sends RST instead of FIN (SO_LINGER with a zero timeout).
void closeWithReset(int& fd) {
    if (fd < 0) {
        return;
    }
    const linger hard{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(fd);
    fd = -1;
}

void closeQuietly(int& fd) {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

bool sendAll(int fd, const std::uint8_t* data, std::size_t n) {
    while (n > 0) {
        const ssize_t sent = ::send(fd, data, n, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent <= 0) {
            return false;
        }
        data += sent;
        n -= static_cast<std::size_t>(sent);
    }
    return true;
}

// connect() with a timeout: a target that does not answer must not hold the thread for ever.
int connectTo(const sockaddr_storage& target, socklen_t length) {
    const int fd = ::socket(target.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&target), length) != 0 &&
        errno != EINPROGRESS) {
        ::close(fd);
        return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t errorLength = sizeof error;
    if (::poll(&p, 1, kConnectTimeoutMs) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &errorLength) != 0 || error != 0) {
        ::close(fd);
        return -1;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

std::size_t index(Direction d) {
    return d == Direction::FromClient ? 0 : 1;
}

}  // namespace

Relay::Relay(int client, const sockaddr_storage& target, socklen_t targetLength, FaultBoard& board)
    : client_(client), board_(board) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
        closeWithReset(client_);
        done_ = true;
        return;
    }
    thread_ = std::thread([this, target, targetLength] { run(target, targetLength); });
}

Relay::~Relay() {
    reset();
    closeQuietly(wake_[0]);
    closeQuietly(wake_[1]);
}

void Relay::reset() {
    resetRequested_ = true;
    if (wake_[1] >= 0) {
        const char byte = 1;
        [[maybe_unused]] const auto ignored = ::write(wake_[1], &byte, 1);
    }
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Relay::run(sockaddr_storage target, socklen_t targetLength) {
    server_ = connectTo(target, targetLength);
    if (server_ < 0) {
        // The target is down: the client sees what it would see without the proxy, a refusal
        // (as near as an accepted connection can come to one).
        base::log::kFaultproxy->info("target unreachable: connection reset");
        closeWithReset(client_);
    } else {
        relay();
    }
    done_ = true;
}

void Relay::abort() {
    closeWithReset(client_);
    closeWithReset(server_);
}

void Relay::finish() {
    closeQuietly(client_);
    closeQuietly(server_);
}

bool Relay::forward(Direction from, const std::uint8_t* data, std::size_t n) {
    if (n == 0) {
        return true;
    }
    if (from == Direction::FromServer && delaying_) {
        held_.push_back({Clock::now() + delay_, std::vector<std::uint8_t>(data, data + n)});
        return true;
    }
    return sendAll(from == Direction::FromClient ? server_ : client_, data, n);
}

// Sends what is due of the held server data; false if the client is gone.
bool Relay::releaseHeld() {
    while (!held_.empty() && held_.front().due <= Clock::now()) {
        const auto& front = held_.front().bytes;
        if (!sendAll(client_, front.data(), front.size())) {
            return false;
        }
        held_.pop_front();
    }
    if (held_.empty() && serverEnded_) {
        ::shutdown(client_, SHUT_WR);
    }
    return true;
}

Relay::Next Relay::onData(Direction from, const std::uint8_t* data, std::size_t n) {
    const std::size_t d = index(from);
    const std::vector<Span> spans = tracker_[d].feed(data, n);
    const std::optional<ArmedFault> fault = board_.current();
    if (fault && fault->spec.direction == from && !(delaying_ && from == Direction::FromServer)) {
        const std::optional<std::size_t> at = counter_[d].advance(*fault, spans);
        if (at && board_.claim(fault->generation)) {
            base::log::kFaultproxy->info("{} after {} more bytes", fault->spec.text(), *at);
            if (!forward(from, data, *at)) {
                abort();
                return Next::Stop;
            }
            switch (fault->spec.kind) {
                case FaultSpec::Kind::Reset:
                    abort();
                    return Next::Stop;
                case FaultSpec::Kind::Truncate:
                    finish();
                    return Next::Stop;
                case FaultSpec::Kind::Delay:
                    delay_ = fault->spec.delay;
                    delaying_ = true;
                    return forward(from, data + *at, n - *at) ? Next::Go : Next::Stop;
            }
        }
    }
    if (!forward(from, data, n)) {
        abort();
        return Next::Stop;
    }
    return Next::Go;
}

void Relay::relay() {
    bool clientReading = true;
    bool serverReading = true;
    std::uint8_t buffer[16384];
    while (clientReading || serverReading || !held_.empty()) {
        int timeout = -1;
        if (!held_.empty()) {
            const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                held_.front().due - Clock::now());
            timeout = static_cast<int>(std::max<long>(0, wait.count()) + 1);
        }
        pollfd fds[3] = {{wake_[0], POLLIN, 0},
                         {clientReading ? client_ : -1, POLLIN, 0},
                         {serverReading ? server_ : -1, POLLIN, 0}};
        if (::poll(fds, 3, timeout) < 0 && errno != EINTR) {
            abort();
            return;
        }
        if (resetRequested_) {
            abort();
            return;
        }
        for (const Direction from : {Direction::FromClient, Direction::FromServer}) {
            const pollfd& p = fds[from == Direction::FromClient ? 1 : 2];
            if (p.fd < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            const ssize_t n = ::recv(p.fd, buffer, sizeof buffer, 0);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                abort();  // a reset on one side is passed on to the other
                return;
            }
            if (n == 0) {
                // An orderly end: pass it on (after any held data) and keep the other way open.
                if (from == Direction::FromClient) {
                    clientReading = false;
                    ::shutdown(server_, SHUT_WR);
                } else {
                    serverReading = false;
                    serverEnded_ = true;
                }
                continue;
            }
            if (onData(from, buffer, static_cast<std::size_t>(n)) == Next::Stop) {
                return;
            }
        }
        if (!releaseHeld()) {
            abort();
            return;
        }
    }
    finish();
}

}  // namespace faultproxy
