// The fault proxy over loopback: a scripted TCP server behind it, a client in front, and every
// fault checked byte for byte (what passed, how the connection ended, when); then the program
// itself, steered through its control port.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <mutex>
#include <thread>

#include "child_process.hpp"
#include "fault_proxy.hpp"
#include "line_control.hpp"
#include "proxy.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

int connectTo(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        const int error = errno;
        ::close(fd);
        errno = error;
        return -1;
    }
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}

// How a read of everything ended.
struct Received {
    std::string bytes;
    enum class End { Eof, Reset, Timeout } end = End::Eof;
};

Received readAll(int fd) {
    Received r;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            r.bytes.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) {
            r.end = Received::End::Eof;
        } else {
            r.end = errno == ECONNRESET ? Received::End::Reset : Received::End::Timeout;
        }
        return r;
    }
}

void sendText(int fd, const std::string& text) {
    REQUIRE(::send(fd, text.data(), text.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(text.size()));
}

// The target: takes connections one after the other; on each, once `requestBytes` have arrived,
// answers `reply` and closes; records what each connection brought and how it ended.
class Target {
public:
    Target(std::size_t requestBytes, std::string reply)
        : requestBytes_(requestBytes), reply_(std::move(reply)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof a;
        REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(listener_, 8) == 0);
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &length);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~Target() {
        stop_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        thread_.join();
        ::close(listener_);
    }
    [[nodiscard]] int port() const { return port_; }
    std::vector<Received> connections() {
        const std::lock_guard lock(mutex_);
        return seen_;
    }
    bool waitConnections(std::size_t n) {
        return testsupport::eventually([&] { return connections().size() >= n; }, 5s);
    }

private:
    void serve() {
        while (!stop_) {
            pollfd p{listener_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) {
                continue;
            }
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) {
                continue;
            }
            timeval timeout{5, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            Received r;
            char buffer[4096];
            bool answered = false;
            for (;;) {
                if (!answered && r.bytes.size() >= requestBytes_) {
                    ::send(fd, reply_.data(), reply_.size(), MSG_NOSIGNAL);
                    ::shutdown(fd, SHUT_WR);
                    answered = true;
                }
                const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
                if (n > 0) {
                    r.bytes.append(buffer, static_cast<std::size_t>(n));
                    continue;
                }
                r.end = n == 0
                            ? Received::End::Eof
                            : (errno == ECONNRESET ? Received::End::Reset : Received::End::Timeout);
                break;
            }
            ::close(fd);
            const std::lock_guard lock(mutex_);
            seen_.push_back(r);
        }
    }

    std::size_t requestBytes_;
    std::string reply_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<Received> seen_;
    std::thread thread_;
};

faultproxy::Proxy::Options optionsFor(int targetPort) {
    return {{"127.0.0.1", 0, false},
            {"127.0.0.1", static_cast<std::uint16_t>(targetPort), false},
            {"127.0.0.1", 0, false}};
}

const std::string kRequest(100, 'q');
const std::string kReply(300, 'r');

// One exchange through the proxy: the request, then everything back.
Received exchange(int port, const std::string& request = kRequest) {
    const int fd = connectTo(port);
    REQUIRE(fd >= 0);
    sendText(fd, request);
    Received r = readAll(fd);
    ::close(fd);
    return r;
}

}  // namespace

TEST_CASE("proxy: passes bytes both ways unchanged", "[faultproxy]") {
    Target target(kRequest.size(), kReply);
    faultproxy::Proxy proxy(optionsFor(target.port()));
    for (int i = 0; i < 3; ++i) {
        const Received r = exchange(proxy.port());
        CHECK(r.bytes == kReply);
        CHECK(r.end == Received::End::Eof);
    }
    REQUIRE(target.waitConnections(3));
    CHECK(target.connections()[2].bytes == kRequest);
    const auto s = nlohmann::json::parse(testsupport::lineExchange(proxy.controlPort(), "status"));
    CHECK(s["accepted"] == 3);
    CHECK(s["listening"] == true);
    CHECK(s["fault"].is_null());
}

TEST_CASE("proxy: reset after N bytes from the client, once", "[faultproxy]") {
    Target target(kRequest.size(), kReply);
    faultproxy::Proxy proxy(optionsFor(target.port()));
    REQUIRE(testsupport::lineExchange(proxy.controlPort(), "reset client 40") == "ok");
    const Received cut = exchange(proxy.port());
    CHECK(cut.end == Received::End::Reset);
    CHECK(cut.bytes.empty());
    REQUIRE(target.waitConnections(1));
    CHECK(target.connections()[0].bytes == kRequest.substr(0, 40));  // the first 40, not one more
    CHECK(target.connections()[0].end == Received::End::Reset);
    // Spent: the next connection passes.
    CHECK(exchange(proxy.port()).bytes == kReply);
    const auto s = nlohmann::json::parse(testsupport::lineExchange(proxy.controlPort(), "status"));
    CHECK(s["resets"] == 1);
}

TEST_CASE("proxy: reset after N bytes from the server, and truncate after N", "[faultproxy]") {
    Target target(kRequest.size(), kReply);
    faultproxy::Proxy proxy(optionsFor(target.port()));
    REQUIRE(testsupport::lineExchange(proxy.controlPort(), "reset server 120") == "ok");
    const Received reset = exchange(proxy.port());
    CHECK(reset.bytes == kReply.substr(0, 120));
    CHECK(reset.end == Received::End::Reset);

    REQUIRE(testsupport::lineExchange(proxy.controlPort(), "truncate 77 times 2") == "ok");
    for (int i = 0; i < 2; ++i) {
        const Received truncated = exchange(proxy.port());
        CHECK(truncated.bytes == kReply.substr(0, 77));
        CHECK(truncated.end == Received::End::Eof);  // a clean end, too early
    }
    CHECK(exchange(proxy.port()).bytes == kReply);
}

TEST_CASE("proxy: delays the server's bytes, on the connections it is armed for", "[faultproxy]") {
    Target target(kRequest.size(), kReply);
    faultproxy::Proxy proxy(optionsFor(target.port()));
    REQUIRE(testsupport::lineExchange(proxy.controlPort(), "delay 600") == "ok");
    const int fd = connectTo(proxy.port());
    REQUIRE(fd >= 0);
    const auto t0 = Clock::now();
    sendText(fd, kRequest);
    // While the answer is held, the status shows the connection as delaying.
    REQUIRE(testsupport::eventually(
        [&] {
            const auto s =
                nlohmann::json::parse(testsupport::lineExchange(proxy.controlPort(), "status"));
            return s["delaying"] == 1;
        },
        2s));
    const Received late = readAll(fd);
    ::close(fd);
    CHECK(late.bytes == kReply);
    CHECK(Clock::now() - t0 >= 600ms);
    const auto t1 = Clock::now();
    CHECK(exchange(proxy.port()).bytes == kReply);
    CHECK(Clock::now() - t1 < 500ms);
}

TEST_CASE("proxy: counting application data skips the TLS handshake records", "[faultproxy]") {
    // A handshake record (5 + 20 bytes) and an application-data record (5 + 40 bytes).
    std::string request{22, 3, 3, 0, 20};
    request += std::string(20, 'h');
    request += std::string{23, 3, 3, 0, 40};
    request += std::string(40, 'd');
    Target target(request.size(), kReply);
    faultproxy::Proxy proxy(optionsFor(target.port()));
    REQUIRE(testsupport::lineExchange(proxy.controlPort(), "reset client 12 data") == "ok");
    CHECK(exchange(proxy.port(), request).end == Received::End::Reset);
    REQUIRE(target.waitConnections(1));
    CHECK(target.connections()[0].bytes == request.substr(0, 25 + 12));
}

TEST_CASE("proxy: refuse is a network that is down; pass brings it back on the same port",
          "[faultproxy]") {
    Target target(kRequest.size(), kReply);
    faultproxy::Proxy proxy(optionsFor(target.port()));
    // A connection open when the network goes down is reset.
    const int open = connectTo(proxy.port());
    REQUIRE(open >= 0);
    REQUIRE(testsupport::eventually(
        [&] {
            return nlohmann::json::parse(
                       testsupport::lineExchange(proxy.controlPort(), "status"))["open"] == 1;
        },
        2s));
    REQUIRE(testsupport::lineExchange(proxy.controlPort(), "refuse") == "ok");
    CHECK(readAll(open).end == Received::End::Reset);
    ::close(open);
    CHECK(connectTo(proxy.port()) == -1);
    CHECK(errno == ECONNREFUSED);
    const auto s = nlohmann::json::parse(testsupport::lineExchange(proxy.controlPort(), "status"));
    CHECK(s["listening"] == false);
    CHECK(s["cut"] == 1);

    REQUIRE(testsupport::lineExchange(proxy.controlPort(), "pass") == "ok");
    CHECK(exchange(proxy.port()).bytes == kReply);
}

TEST_CASE("proxy: cut resets the open connections now; a bad line is an error, not a fault",
          "[faultproxy]") {
    Target target(kRequest.size(), kReply);
    faultproxy::Proxy proxy(optionsFor(target.port()));
    const int fd = connectTo(proxy.port());
    REQUIRE(fd >= 0);
    REQUIRE(testsupport::eventually(
        [&] {
            return nlohmann::json::parse(
                       testsupport::lineExchange(proxy.controlPort(), "status"))["open"] == 1;
        },
        2s));
    REQUIRE(testsupport::lineExchange(proxy.controlPort(), "cut") == "ok");
    CHECK(readAll(fd).end == Received::End::Reset);
    ::close(fd);
    CHECK(testsupport::lineExchange(proxy.controlPort(), "reset sideways 3").rfind("error", 0) ==
          0);
    CHECK(exchange(proxy.port()).bytes == kReply);
}

TEST_CASE("m2m-faultproxy: ready file, control port, SIGTERM", "[faultproxy]") {
    Target target(kRequest.size(), kReply);
    const auto dir =
        std::filesystem::temp_directory_path() / ("faultproxy-test-" + std::to_string(::getpid()));
    testsupport::FaultProxy proxy(target.port(), dir, "proxy");
    CHECK(exchange(proxy.port()).bytes == kReply);
    proxy.control("truncate 10");
    CHECK(exchange(proxy.port()).bytes == kReply.substr(0, 10));
    CHECK(proxy.status()["truncations"] == 1);
    CHECK_THROWS_AS(proxy.control("explode"), std::runtime_error);
    // A listen address off loopback is refused.
    testsupport::ChildProcess offLoopback(
        {testsupport::faultProxyBinary(), "--listen", "0.0.0.0:0", "--target", "127.0.0.1:1"},
        dir / "off-loopback.log");
    CHECK(offLoopback.wait(5s) == 1);
    CHECK(offLoopback.output().find("loopback only") != std::string::npos);
    std::filesystem::remove_all(dir);
}
