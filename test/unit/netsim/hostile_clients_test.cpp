// m2m-netsim against hostile clients, over real TLS-PSK on loopback: what the [limits] tests of
// netsim_test.cpp do not send. Slowloris on the request body (with and without 100-continue),
// TLS records announcing more than is sent, malformed and oversized requests, hundreds of
// connections at once, floods of unknown PSK identities, and all of them at once against a server
// under an address-space and a thread limit. Each time the server keeps its threads, descriptors
// and memory bounded, ends what overstays its deadline, serves a normal client meanwhile, and
// says in its log what it refused. With M2M_NETSIM_FOOTPRINT set, each test prints the server's
// footprint idle and at its peak under the attack, and how the normal client fared.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "netsim_support.hpp"

using namespace nstest;
using namespace std::chrono_literals;
using namespace std::string_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// What one connection may cost the server at most, beyond its idle footprint: per endpoint, its
// workers and its backlog hold a socket each; the accepting threads hold one each while refusing.
constexpr std::size_t kWorkers = 8, kBacklog = 16;
constexpr std::size_t kMaxHeldSockets = 3 * (kWorkers + kBacklog) + 3;
// Resident memory an attack may add. Under AddressSanitizer freed memory stays in quarantine
// (256 MiB by default), so only the unsanitized build bounds it tightly.
constexpr std::size_t kMaxExtraRssKiB = kSanitized ? 512 * 1024 : 48 * 1024;

struct Footprint {
    std::size_t threads = 0;
    std::size_t fds = 0;
    std::size_t rssKiB = 0;
};

Footprint footprint(int pid) {
    return {threads(pid), openFds(pid), rssKiB(pid)};
}

// The peak of each part of a process's footprint, sampled every 20 ms on a thread of its own.
class PeakFootprint {
public:
    explicit PeakFootprint(int pid) : pid_(pid), thread_([this] { run(); }) {}
    PeakFootprint(const PeakFootprint&) = delete;
    PeakFootprint& operator=(const PeakFootprint&) = delete;
    ~PeakFootprint() { stop(); }

    Footprint stop() {
        done_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
        return peak_;
    }

private:
    void run() {
        while (!done_) {
            try {
                const Footprint now = footprint(pid_);
                peak_.threads = std::max(peak_.threads, now.threads);
                peak_.fds = std::max(peak_.fds, now.fds);
                peak_.rssKiB = std::max(peak_.rssKiB, now.rssKiB);
            } catch (const std::exception&) {
                // the process is gone: the test's own checks say so
            }
            std::this_thread::sleep_for(20ms);
        }
    }

    int pid_;
    std::atomic<bool> done_{false};
    Footprint peak_;
    std::thread thread_;
};

// A service connection, the normal client's request: answered 200?
bool servedOnce(const NetsimServer& server, const TestNode& node) {
    PskClient c(server.connection(), node.identity(1), node.kmr);
    const auto r = c.connected() ? c.request("POST", "/m2m/connection") : std::nullopt;
    return r && r->status == 200;
}

// A normal client trying every 50 ms on a thread of its own while an attack runs.
class NormalClient {
public:
    NormalClient(const NetsimServer& server, const TestNode& node)
        : thread_([this, &server, &node] {
              const auto start = SteadyClock::now();
              while (!done_) {
                  const bool ok = servedOnce(server, node);
                  ++tries_;
                  if (ok && served_++ == 0) {
                      firstAfter_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                          SteadyClock::now() - start);
                  }
                  std::this_thread::sleep_for(50ms);
              }
          }) {}
    NormalClient(const NormalClient&) = delete;
    NormalClient& operator=(const NormalClient&) = delete;
    ~NormalClient() { stop(); }

    void stop() {
        done_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    // Waits until it has been served `count` times in all, at most `timeout`.
    bool servedAtLeast(int count, std::chrono::milliseconds timeout) const {
        const auto deadline = SteadyClock::now() + timeout;
        while (served_ < count && SteadyClock::now() < deadline) {
            std::this_thread::sleep_for(20ms);
        }
        return served_ >= count;
    }
    [[nodiscard]] int served() const { return served_; }
    [[nodiscard]] int tries() const { return tries_; }
    [[nodiscard]] long long firstServedAfterMs() const { return firstAfter_.count(); }

private:
    std::atomic<bool> done_{false};
    std::atomic<int> served_{0};
    std::atomic<int> tries_{0};
    std::chrono::milliseconds firstAfter_{-1};
    std::thread thread_;
};

void report(const char* attack, const Footprint& idle, const Footprint& peak,
            const NormalClient& normal) {
    if (std::getenv("M2M_NETSIM_FOOTPRINT") == nullptr) {
        return;
    }
    std::fprintf(stderr,
                 "[footprint] %s: threads %zu -> %zu, fds %zu -> %zu, RSS %zu -> %zu KiB; normal "
                 "client served %d of %d tries, first after %lld ms\n",
                 attack, idle.threads, peak.threads, idle.fds, peak.fds, idle.rssKiB, peak.rssKiB,
                 normal.served(), normal.tries(), normal.firstServedAfterMs());
}

// The footprint bounds every attack must stay within.
void checkBounded(const Footprint& idle, const Footprint& peak) {
    CHECK(peak.threads == idle.threads);  // no thread per connection
    CHECK(peak.fds <= idle.fds + kMaxHeldSockets);
    CHECK(peak.rssKiB <= idle.rssKiB + kMaxExtraRssKiB);
}

// Every descriptor an attack made the server open is closed again.
void checkFdsBackTo(int pid, std::size_t idleFds) {
    const auto deadline = SteadyClock::now() + 5s;
    while (openFds(pid) > idleFds && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    CHECK(openFds(pid) == idleFds);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

// How often `what` is in the server's log, once it is there `expected` times (or after 5 s): the
// server counts an event just before it logs it, so a counter can be ahead of the log.
std::size_t loggedOnceAt(const NetsimServer& server, const std::string& what,
                         std::size_t expected) {
    const auto deadline = SteadyClock::now() + 5s;
    for (;;) {
        const std::size_t n = occurrences(server.log(), what);
        if (n >= expected || SteadyClock::now() > deadline) {
            return n;
        }
        std::this_thread::sleep_for(50ms);
    }
}

std::chrono::milliseconds since(SteadyClock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
}

// A TLS record header: content type, TLS 1.2, and the length it announces.
std::string recordHeader(unsigned char type, std::size_t length) {
    return {static_cast<char>(type), '\x03', '\x03', static_cast<char>(length >> 8),
            static_cast<char>(length & 0xFF)};
}

// A PSK identity the server does not know, and a key to go with it.
std::string unknownIdentity(int thread, int n) {
    return "feed" + std::to_string(thread) + "x" + std::to_string(n) + ".1";
}
Bytes randomKey(std::mt19937& random) {
    Bytes key(32);
    for (auto& b : key) {
        b = static_cast<std::uint8_t>(random());
    }
    return key;
}

std::string repeatedHeaders(int count) {
    std::string head = "POST /m2m/connection HTTP/1.1\r\nHost: a\r\n";
    for (int i = 0; i < count; ++i) {
        head += "a: b\r\n";
    }
    return head + "Content-Length: 0\r\n\r\n";
}

}  // namespace

TEST_CASE("netsim hostile: slowloris on the request body ends at the request deadline",
          "[netsim][limits][hostile]") {
    const TestNode node = TestNode::random(30);
    NetsimServer server({node}, {{"--workers", "4", "--request-timeout", "1"}});
    const int pid = server.pid();
    const Footprint idle = footprint(pid);
    PeakFootprint peak(pid);

    // Every worker held by a client sending its body a byte every 100 ms: two after the head
    // alone, two after the 100 Continue their head asked for (which starts no new deadline).
    constexpr int kSlow = 4;
    std::vector<long long> lastedMs(kSlow, -1);
    std::vector<std::thread> slow;
    for (int i = 0; i < kSlow; ++i) {
        slow.emplace_back([&, i] {
            PskClient c(server.connection(), node.identity(1), node.kmr);
            const bool expect = i % 2 == 1;
            if (!c.send("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n" +
                        std::string(expect ? "Expect: 100-continue\r\n" : "") + "\r\n")) {
                return;
            }
            const auto start = SteadyClock::now();
            if (expect) {
                const auto interim = c.receive();
                if (!interim || interim->status != 100) {
                    return;
                }
            }
            for (int n = 0; n < 100; ++n) {  // ten seconds of trickle: ten times the deadline
                if (!c.send("x") || c.closedByPeer(100ms)) {
                    lastedMs[i] = since(start).count();
                    return;
                }
            }
        });
    }
    std::this_thread::sleep_for(300ms);
    // It waits in the backlog until a deadline frees a worker.
    NormalClient normal(server, node);
    for (std::thread& t : slow) {
        t.join();
    }
    CHECK(normal.servedAtLeast(1, 5s));
    normal.stop();
    const Footprint top = peak.stop();
    report("slowloris on the body, 4 workers", idle, top, normal);

    for (const long long ms : lastedMs) {
        CHECK(ms >= 700);   // the whole deadline, not an early refusal
        CHECK(ms <= 2500);  // the deadline (1 s) and the watchdog's tick, not the 11 s backstop
    }
    checkBounded(idle, top);
    checkFdsBackTo(pid, idle.fds);
    CHECK(counterOnceAt(server, "connection", "cut_off", kSlow) == kSlow);
    CHECK(loggedOnceAt(server, "request deadline passed (request not complete)", kSlow) == kSlow);
}

TEST_CASE("netsim hostile: a TLS record announcing more than is sent ends at the deadline",
          "[netsim][limits][hostile]") {
    const TestNode node = TestNode::random(31);
    NetsimServer server(
        {node}, {{"--handshake-timeout", "1", "--request-timeout", "1", "--idle-timeout", "10"}});
    const int pid = server.pid();
    const Footprint idle = footprint(pid);

    SECTION("in the handshake: a ClientHello record of 512 bytes, 64 of them sent") {
        RawConnection c(server.mid());
        const auto start = SteadyClock::now();
        REQUIRE(c.send(recordHeader(0x16, 512) + std::string(64, '\x01')));
        CHECK(c.closedByPeer(4s));
        CHECK(since(start) >= 800ms);  // waited for, until the handshake deadline
        CHECK(since(start) <= 2500ms);
        CHECK(counterOnceAt(server, "mid", "handshake_failures", 1) == 1);
        CHECK(loggedOnceAt(server, "mid: handshake failed, identity -: handshake deadline passed",
                           1) == 1);
    }
    SECTION("on a kept-alive connection: an application-data record of 16 KiB, 100 bytes sent") {
        PskClient c(server.connection(), node.identity(1), node.kmr);
        REQUIRE(c.request("POST", "/m2m/connection")->status == 200);
        const auto start = SteadyClock::now();
        REQUIRE(c.sendRaw(recordHeader(0x17, 16 * 1024) + std::string(100, 'r')));
        CHECK(c.closedByPeer(5s));
        // The record starts a request and its deadline, not the 10 s idle timeout.
        CHECK(since(start) >= 800ms);
        CHECK(since(start) <= 2500ms);
        CHECK(counterOnceAt(server, "connection", "cut_off", 1) == 1);
        CHECK(loggedOnceAt(server, "request deadline passed (request not complete)", 1) == 1);
    }
    SECTION("in a request: the head whole, its body's record cut short") {
        PskClient c(server.connection(), node.identity(1), node.kmr);
        REQUIRE(c.send("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\n\r\n"));
        const auto start = SteadyClock::now();
        REQUIRE(c.sendRaw(recordHeader(0x17, 600) + std::string(10, 'b')));
        CHECK(c.closedByPeer(5s));
        CHECK(since(start) <= 2500ms);
        CHECK(counterOnceAt(server, "connection", "cut_off", 1) == 1);
    }
    SECTION("a record longer than TLS allows: refused at once, nothing waited for") {
        RawConnection c(server.mid());
        const auto start = SteadyClock::now();
        REQUIRE(c.send(recordHeader(0x16, 0xFFFF) + std::string(16, '\x01')));
        CHECK(c.closedByPeer(4s));
        CHECK(since(start) < 800ms);  // well before the handshake deadline (1 s)
        CHECK(counterOnceAt(server, "mid", "handshake_failures", 1) == 1);
    }
    CHECK(servedOnce(server, node));
    CHECK(threads(pid) == idle.threads);
    checkFdsBackTo(pid, idle.fds);
}

TEST_CASE("netsim hostile: malformed and oversized requests are refused and closed",
          "[netsim][limits][hostile]") {
    const TestNode node = TestNode::random(32);
    NetsimServer server({node});
    const int pid = server.pid();
    const Footprint idle = footprint(pid);
    // The status of the answer (-1: none), once the server has closed the connection after it.
    auto closesWith = [&](const std::string& raw) {
        PskClient c(server.connection(), node.identity(1), node.kmr);
        REQUIRE(c.connected());
        c.send(raw);  // the server may close before all of it is written
        const auto r = c.receive();
        CHECK(c.closedByPeer(5s));
        return r ? r->status : -1;
    };

    std::mt19937 random(32);
    std::string garbage(4096, '\0');
    for (char& ch : garbage) {
        ch = static_cast<char>(random());
    }
    CHECK(closesWith(garbage) == 400);
    // NUL in a header value and in the path (a literal with its length: the NUL is part of it).
    CHECK(closesWith("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n"
                     "Content-Length: 0\r\n\r\n"s) == 400);
    CHECK(closesWith("GET /m2m/\0nothing HTTP/1.1\r\nHost: a\r\n\r\n"s) == 400);
    CHECK(closesWith("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nX-\xff\xfe: v\r\n"
                     "Content-Length: 0\r\n\r\n") == 400);
    CHECK(closesWith("POST /m2m/connection HTTP/1.1\r\nHost: a\r\n"
                     "Content-Length: 99999999999999999999\r\n\r\n") == 400);
    CHECK(closesWith(repeatedHeaders(2000)) == 431);  // 12 KiB of head in tiny lines
    // A request line without end: httplib's line limit, or the byte cap per request.
    const int endless = closesWith("GET /" + std::string(256 * 1024, 'p'));
    CHECK((endless == 414 || endless == -1));
    {
        // A body longer than its Content-Length: the request is answered, and what follows it
        // cannot be the next request.
        PskClient c(server.connection(), node.identity(1), node.kmr);
        REQUIRE(c.send("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n" +
                       std::string(10, 'b')));
        CHECK(c.receive()->status == 200);
        c.send(std::string(200 * 1024, 'z'));
        CHECK(c.closedByPeer(5s));
    }
    CHECK(servedOnce(server, node));
    CHECK(threads(pid) == idle.threads);
    checkFdsBackTo(pid, idle.fds);
    CHECK(server.stop() == 0);
    const std::string log = server.log();
    CHECK_THAT(log, Catch::Contains("(malformed request)"));
    CHECK_THAT(log, Catch::Contains("431"));
}

TEST_CASE("netsim hostile: hundreds of connections at once", "[netsim][limits][hostile]") {
    const TestNode node = TestNode::random(33);
    NetsimServer server({node}, {{"--handshake-timeout", "2"}});
    const int pid = server.pid();
    const Footprint idle = footprint(pid);
    PeakFootprint peak(pid);

    // 200 connections to each endpoint that say nothing: past the 24 an endpoint holds (workers
    // and backlog), each is closed at once.
    std::vector<std::unique_ptr<RawConnection>> crowd;
    for (const std::uint16_t port : {server.msbf(), server.connection(), server.mid()}) {
        for (int i = 0; i < 200; ++i) {
            crowd.push_back(std::make_unique<RawConnection>(port));
            REQUIRE(crowd.back()->connected());
        }
    }
    NormalClient normal(server, node);
    std::vector<bool> closed(crowd.size(), false);
    const auto refusedBy = SteadyClock::now() + 1500ms;  // before the handshake deadline
    std::size_t closedCount = 0;
    while (closedCount < crowd.size() - 3 * (kWorkers + kBacklog) &&
           SteadyClock::now() < refusedBy) {
        for (std::size_t i = 0; i < crowd.size(); ++i) {
            closed[i] = closed[i] || crowd[i]->closedByPeer(0ms);
        }
        closedCount = static_cast<std::size_t>(std::count(closed.begin(), closed.end(), true));
        std::this_thread::sleep_for(20ms);
    }
    CHECK(closedCount >= crowd.size() - 3 * (kWorkers + kBacklog));
    // The ones holding a worker end at the handshake deadline, those waiting get theirs; then
    // the normal client is served.
    CHECK(normal.servedAtLeast(1, 10s));
    normal.stop();
    // The crowd gone, the server holds nothing more than idle: the next burst meets all of its
    // workers and backlog free.
    crowd.clear();
    checkFdsBackTo(pid, idle.fds);

    // 200 real clients at once, each a handshake and a request: each is answered, or refused
    // before its handshake; none hangs.
    std::atomic<int> answered{0}, refused{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 200; ++i) {
        clients.emplace_back([&] {
            PskClient c(server.connection(), node.identity(1), node.kmr);
            const auto r = c.connected() ? c.request("GET", "/m2m/nothing") : std::nullopt;
            (r && r->status == 404 ? answered : refused)++;
        });
    }
    for (std::thread& t : clients) {
        t.join();
    }
    const Footprint top = peak.stop();
    report("600 idle connections, then 200 clients at once", idle, top, normal);
    CHECK(answered + refused == 200);
    // At least a full set of workers' worth: what waits in the backlog may meet its handshake
    // deadline behind 200 client threads on a loaded (or sanitized) machine.
    CHECK(answered >= static_cast<int>(kWorkers));
    checkBounded(idle, top);
    checkFdsBackTo(pid, idle.fds);
    CHECK(servedOnce(server, node));
    CHECK(server.stop() == 0);
    const std::string log = server.log();
    for (const char* endpoint : {"msbf", "connection", "mid"}) {
        CHECK_THAT(log, Catch::Contains(std::string(endpoint) + ": refused "));
    }
}

TEST_CASE("netsim hostile: a flood of unknown PSK identities and wrong keys",
          "[netsim][limits][hostile]") {
    const TestNode node = TestNode::random(34);
    NetsimServer server({node});
    const int pid = server.pid();
    const Footprint idle = footprint(pid);
    PeakFootprint peak(pid);
    NormalClient normal(server, node);

    // Eight clients, each 100 handshakes as fast as they go: nine in ten name an identity the
    // server does not know, one in ten the node's own identity with a wrong key.
    constexpr int kThreads = 8, kEach = 100;
    std::atomic<int> unknown{0}, wrongKey{0}, accepted{0};
    std::vector<std::thread> flood;
    for (int t = 0; t < kThreads; ++t) {
        flood.emplace_back([&, t] {
            std::mt19937 random(static_cast<unsigned>(t));
            for (int n = 0; n < kEach; ++n) {
                const bool known = n % 10 == 9;
                PskClient c(server.connection(), known ? node.identity(1) : unknownIdentity(t, n),
                            randomKey(random));
                if (c.connected()) {
                    ++accepted;
                } else if (c.handshakeError() == kUnknownPsk) {
                    ++unknown;
                } else {
                    ++wrongKey;
                }
            }
        });
    }
    for (std::thread& t : flood) {
        t.join();
    }
    const int servedDuring = normal.served();
    normal.stop();
    const Footprint top = peak.stop();
    report("800 handshakes with unknown identities or wrong keys", idle, top, normal);

    CHECK(accepted == 0);
    CHECK(unknown == kThreads * kEach * 9 / 10);
    CHECK(wrongKey == kThreads * kEach / 10);
    CHECK(servedDuring >= 1);
    checkBounded(idle, top);
    checkFdsBackTo(pid, idle.fds);
    CHECK(counterOnceAt(server, "connection", "handshake_failures", kThreads * kEach) ==
          kThreads * kEach);
    CHECK(servedOnce(server, node));
    CHECK(server.stop() == 0);
    // One line for each, with the identity it named and why it failed.
    const std::string log = server.log();
    CHECK(occurrences(log, "connection: handshake failed, identity feed") ==
          kThreads * kEach * 9 / 10);
    CHECK(occurrences(log, "connection: handshake failed, identity " + node.identity(1) + ":") ==
          kThreads * kEach / 10);
    CHECK_THAT(log, Catch::Contains("sent alert unknown PSK identity"));
}

namespace {

// Threads of every process of a user: what RLIMIT_NPROC counts.
std::size_t tasksOf(uid_t uid) {
    std::size_t n = 0;
    for (const auto& process : std::filesystem::directory_iterator("/proc")) {
        struct stat info {};
        const std::string name = process.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos ||
            ::stat(process.path().c_str(), &info) != 0 || info.st_uid != uid) {
            continue;
        }
        std::error_code gone;
        for (auto it = std::filesystem::directory_iterator(process.path() / "task", gone);
             !gone && it != std::filesystem::directory_iterator(); it.increment(gone)) {
            ++n;
        }
    }
    return n;
}

// `serve` under an address-space limit (not with AddressSanitizer, whose shadow memory needs
// terabytes of it) and, as root, under a thread limit: RLIMIT_NPROC binds no root process, so the
// server then runs as the user nobody, its store handed to it. `threads`: how many it may start.
ServerOptions limited(std::vector<std::string> args, std::size_t threads) {
    ServerOptions options{std::move(args), {"prlimit"}, std::nullopt};
    if (!kSanitized) {
        options.launcher.push_back("--as=400000000");
    }
    if (::geteuid() == 0) {
        const passwd* nobody = ::getpwnam("nobody");
        REQUIRE(nobody != nullptr);
        const std::size_t limit = tasksOf(nobody->pw_uid) + threads;
        options.launcher.insert(options.launcher.end(),
                                {"--nproc=" + std::to_string(limit), "--", "setpriv",
                                 "--reuid=" + std::to_string(nobody->pw_uid),
                                 "--regid=" + std::to_string(nobody->pw_gid), "--clear-groups"});
        options.storeOwner = {nobody->pw_uid, nobody->pw_gid};
    }
    options.launcher.push_back("--");
    return options;
}

// Runs `attack` on its own thread over and over until stopped.
class Repeated {
public:
    explicit Repeated(std::function<void(int round)> attack)
        : thread_([this, attack = std::move(attack)] {
              for (int round = 0; !done_; ++round) {
                  attack(round);
              }
          }) {}
    Repeated(const Repeated&) = delete;
    Repeated& operator=(const Repeated&) = delete;
    ~Repeated() {
        done_ = true;
        thread_.join();
    }

private:
    std::atomic<bool> done_{false};
    std::thread thread_;
};

}  // namespace

TEST_CASE("netsim hostile: every attack at once, under an address-space and a thread limit",
          "[netsim][limits][hostile]") {
    // main, and per endpoint: its accepting thread, 8 workers, the deadline watchdog; under the
    // sanitizers LeakSanitizer needs one more at exit.
    constexpr std::size_t kServerThreads = 1 + 3 * (1 + kWorkers + 1);
    const TestNode node = TestNode::random(35);
    NetsimServer server({node}, limited({"--handshake-timeout", "1", "--request-timeout", "1"},
                                        kServerThreads + (kSanitized ? 2 : 0)));
    const int pid = server.pid();
    const std::string limits = readText("/proc/" + std::to_string(pid) + "/limits");
    if (!kSanitized) {
        CHECK_THAT(limits, Catch::Matches("[\\s\\S]*Max address space +400000000 [\\s\\S]*"));
    }
    if (::geteuid() == 0) {
        CHECK_THAT(limits, Catch::Matches("[\\s\\S]*Max processes +[0-9]+ [\\s\\S]*"));
    } else {
        WARN("not root: the thread limit (RLIMIT_NPROC) cannot be tested");
    }
    const Footprint idle = footprint(pid);
    CHECK(idle.threads == kServerThreads);
    PeakFootprint peak(pid);
    NormalClient normal(server, node);
    const std::string trickleHead = "POST /m2m/connection HTTP/1.1\r\nHost: a\r\n";
    {
        std::vector<std::unique_ptr<Repeated>> attacks;
        // Crowds of idle connections, held past the handshake deadline (those the server took are
        // cut off there) and opened again: past what the MSBF and mId endpoints hold, and on the
        // connection endpoint less than it holds, so that the attacks below and the normal client
        // reach it every time, not by luck.
        for (const auto& [port, size] :
             {std::pair{server.msbf(), 100}, std::pair{server.mid(), 100},
              std::pair{server.connection(), 10}}) {
            attacks.push_back(std::make_unique<Repeated>([port = port, size = size](int) {
                std::vector<std::unique_ptr<RawConnection>> crowd;
                for (int i = 0; i < size; ++i) {
                    crowd.push_back(std::make_unique<RawConnection>(port));
                }
                std::this_thread::sleep_for(1500ms);
            }));
        }
        // Unknown identities, as fast as they go, on two threads.
        for (int t = 0; t < 2; ++t) {
            attacks.push_back(std::make_unique<Repeated>([&server, t](int round) {
                std::mt19937 random(static_cast<unsigned>(round));
                PskClient c(server.connection(), unknownIdentity(t, round), randomKey(random));
            }));
        }
        // Slowloris on the head.
        for (int t = 0; t < 2; ++t) {
            attacks.push_back(std::make_unique<Repeated>([&](int) {
                PskClient c(server.connection(), node.identity(1), node.kmr);
                c.send(trickleHead);
                for (int n = 0; n < 30 && c.send("X") && !c.closedByPeer(100ms); ++n) {
                }
            }));
        }
        // A header line without end, and bodies over the limit.
        attacks.push_back(std::make_unique<Repeated>([&](int) {
            PskClient c(server.connection(), node.identity(1), node.kmr);
            c.send(trickleHead + "X-Flood: ");
            const std::string chunk(16 * 1024, 'f');
            for (int i = 0; i < 64 && c.send(chunk); ++i) {
            }
            PskClient big(server.connection(), node.identity(1), node.kmr);
            big.request("POST", "/m2m/connection", std::string(70'000, 'x'));
        }));
        std::this_thread::sleep_for(6s);
        CHECK(server.running());
    }
    const int servedDuring = normal.served();
    normal.stop();
    const Footprint top = peak.stop();
    report("every attack at once, prlimit --as=400000000 and a thread limit", idle, top, normal);
    CHECK(servedDuring >= 1);
    checkBounded(idle, top);
    checkFdsBackTo(pid, idle.fds);
    CHECK(servedOnce(server, node));
    CHECK(server.stop() == 0);  // SIGTERM: a clean exit, never an abort
    const std::string log = server.log();
    CHECK_THAT(log, Catch::Contains("connection(s): 8 workers busy and 16 connections waiting"));
    CHECK_THAT(log, Catch::Contains("handshake failed, identity feed"));
    CHECK_THAT(log, Catch::Contains("handshake deadline passed"));
    CHECK_THAT(log, Catch::Contains("request deadline passed (request not complete)"));
    CHECK_THAT(log, Catch::Contains("request larger than"));
    CHECK_THAT(log, Catch::Contains("(request body larger than 65536 bytes)"));
}

TEST_CASE("netsim hostile: a thread limit too low to start on is a clean refusal, not an abort",
          "[netsim][limits][hostile]") {
    if (::geteuid() != 0) {
        WARN("not root: the thread limit (RLIMIT_NPROC) cannot be tested");
        return;
    }
    const TestNode node = TestNode::random(36);
    // Room for the main thread and a few more: the first endpoint's workers cannot all start.
    try {
        NetsimServer server({node}, limited({}, 5));
        FAIL("m2m-netsim serve started under a thread limit of 5");
    } catch (const std::runtime_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("m2m-netsim serve exited (status 1)"));
        CHECK_THAT(e.what(), Catch::Contains("Resource temporarily unavailable"));
    }
}
