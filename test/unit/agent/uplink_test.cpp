// The gateway's uplink (GATEWAY.md §3) through the real agent, with the in-memory card, network
// and a held manual clock: the agent runs on a thread of its own and, once registered, waits
// between its readings until woken; the test calls its uplink from its own thread, as the
// gateway's dIa threads do. What is tested: a relay is answered by the NSCL over the agent's
// link and counted; refused at once when the agent is not registered; served during the agent's
// wait (the wait wakes); a Kmc refused during a relay sends the agent to connecting; a device's
// SCL registration goes to POST /m2m/scls and a 4xx is RequestRefused.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fstream>

#include "../secure-channel/test_support.hpp"
#include "agent_harness.hpp"
#include "base/log.hpp"
#include "provisioning/procedure.hpp"
#include "securechannel/tls/https_client.hpp"

using agent::AgentState;
using agenttest::AgentHarness;
using Endpoint = agenttest::FakeNetwork::Endpoint;
using S = AgentState;
namespace tls = securechannel::tls;
using namespace std::chrono_literals;

namespace {

struct QuietLogs {
    QuietLogs() { base::log::configure("agent=error,provisioning=error"); }
    ~QuietLogs() { base::log::configure(""); }
};

// The agent on a thread of its own; every status it reports, for the test to wait on.
class Background {
public:
    // `holdFromStart`: the clock holds from the first wait (a backoff stays a backoff);
    // otherwise from registration on.
    explicit Background(AgentHarness& h, bool holdFromStart = false) : h_(h) {
        if (holdFromStart) {
            h_.clock->hold();
        }
        h_.options.onStatus = [this](const agent::AgentStatus& s) {
            const std::lock_guard lock(mutex_);
            if (states_.empty() || states_.back() != s.state) {
                states_.push_back(s.state);
                if (s.state == S::Registered) {
                    h_.clock->hold();  // on entering it only: a test may release the clock
                }
            }
            last_ = s;
            changed_.notify_all();
        };
        thread_ = std::thread([this] {
            const S end = h_.run();
            const std::lock_guard lock(mutex_);
            final_ = end;
            changed_.notify_all();
        });
    }
    ~Background() { stop(); }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    // Waits (real time) until `done` holds for the states entered and the latest status.
    bool waitFor(const std::function<bool(const std::vector<S>&, const agent::AgentStatus&)>& done,
                 std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return done(states_, last_); });
    }
    bool waitState(S state) {
        return waitFor(
            [&](const std::vector<S>&, const agent::AgentStatus& s) { return s.state == state; });
    }

    // Registered and its first reading stored: from then on it waits (the clock held) and
    // touches the network only for the uplink's calls.
    bool waitIdle() {
        return waitFor([](const std::vector<S>&, const agent::AgentStatus& s) {
            return s.state == S::Registered && s.contentInstances >= 1;
        });
    }

    agent::Agent& agent() { return *h_.agent(); }

    S stop() {
        if (thread_.joinable()) {
            // The first status comes once the agent exists.
            waitFor([](const std::vector<S>& states, const agent::AgentStatus&) {
                return !states.empty();
            });
            h_.agent()->stop();
            thread_.join();
        }
        return final_.value_or(S::Starting);
    }

    std::vector<S> states() {
        const std::lock_guard lock(mutex_);
        return states_;
    }

private:
    AgentHarness& h_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<S> states_;
    agent::AgentStatus last_;
    std::optional<S> final_;
    std::thread thread_;
};

// Integrity validation on the gateway: one object that passes (verdict full), the card's
// IV-SED in memory, the NSCL deciding with a test policy key.
struct Integrity {
    sctest::TempDir dir;

    // `content` other than "good" fails the measurement, and `action` follows.
    explicit Integrity(AgentHarness& h, const std::string& content = "good",
                       integrity::RecoveryAction action = integrity::RecoveryAction::Report) {
        const auto root = dir.path() / "root";
        std::filesystem::create_directories(root);
        std::ofstream(root / "plugin.so") << content;
        integrity::Manifest m;
        m.version = 1;
        m.objects.push_back(
            {"plugin.so", securechannel::sha256(base::asBytes("good")), true, action});
        const base::Bytes payload = m.encodePayload();
        const auto sp = integrity::PrivateKey::generate();
        const base::Bytes envelope = integrity::CoseSign1::sign(sp, payload, std::nullopt).encode();
        std::ofstream(dir.path() / "manifest.cose", std::ios::binary)
            .write(reinterpret_cast<const char*>(envelope.data()),
                   static_cast<std::streamsize>(envelope.size()));
        h.network->policy = integrity::PrivateKey::generate();
        h.card->ivSed.emplace(m, payload, h.network->policy->publicKey().keyId());
        h.config.integrity.enabled = true;
        h.config.integrity.root = root;
        h.config.integrity.manifestFile = dir.path() / "manifest.cose";
        h.config.stateDir = dir.path() / "state";
        h.config.configFile = dir.path() / "agent.toml";
    }
};

agent::DeviceVerdict device(std::uint8_t n, std::string verdict) {
    agent::DeviceVerdict d;
    d.ueid = base::Bytes(17, n);
    d.ueid[0] = 0x01;
    d.nodeIdHex.clear();
    for (int i = 0; i < 16; ++i) {
        d.nodeIdHex += (n < 16 ? "0" : "") + std::to_string(n);  // n < 10: two hex digits
    }
    d.counter = 4;
    d.verdict = std::move(verdict);
    return d;
}

agent::RelayRequest createApplication(const std::string& appId) {
    return {"POST", "/m2m/scls/1/applications", "application/xml",
            agent::toXml(agent::Application{appId})};
}

}  // namespace

TEST_CASE("uplink: a relay while registered gets the NSCL's answer and is counted",
          "[agent][uplink]") {
    QuietLogs quiet;
    AgentHarness h;
    Background bg(h);
    REQUIRE(bg.waitIdle());
    const auto before = bg.agent().status();
    const auto waitingSince = h.clock->now();

    // Served while the agent waits for its next reading: its wait wakes for it (the clock is
    // held, so without the wake-up the call would time out).
    const agent::RelayResponse created =
        bg.agent().uplink().relay(createApplication("device-app"), 5s);
    CHECK(created.status == 201);
    CHECK(created.location == "/m2m/scls/1/applications/device-app");  // a path, not a URL
    CHECK(h.clock->now() == waitingSince);  // no reading was due, none was sent first

    // Any status comes back as the NSCL's answer, not as an error.
    const agent::RelayResponse missing =
        bg.agent().uplink().relay({"GET", "/m2m/scls/1/nothing", "", ""}, 5s);
    CHECK(missing.status == 404);

    const auto after = bg.agent().status();
    CHECK(after.state == S::Registered);
    REQUIRE(after.relay);
    CHECK(after.relay->requests == 2);
    CHECK(after.relay->refused == 0);
    CHECK(after.relay->queueLength == 0);
    CHECK(after.relay->waitP90Ms >= after.relay->waitMedianMs);
    // In the agent's own counters too: HTTP requests, and the card's through the procedure.
    CHECK(after.httpRequests == before.httpRequests + 2);
    REQUIRE(after.procedures.count("relay") == 1);
    CHECK(after.procedures.at("relay").runs == 2);
    CHECK(after.procedures.at("relay").lastRequests == 1);
    CHECK(after.cardTraffic.apdus >= before.cardTraffic.apdus);
    CHECK(toJson(after)["relay"]["requests"] == 2);
    CHECK(bg.stop() == S::Stopped);
    CHECK(std::count(h.network->log.begin(), h.network->log.end(),
                     "POST /m2m/scls/1/applications 201") == 2);  // the agent's own, and this
}

TEST_CASE("uplink: not registered -> UplinkUnavailable at once", "[agent][uplink][neg]") {
    QuietLogs quiet;
    AgentHarness h;
    h.network->failNext(Endpoint::Connection,
                        std::make_exception_ptr(provisioning::ServerError(503, "connection")));
    Background bg(h, /*holdFromStart=*/true);
    REQUIRE(bg.waitState(S::Backoff));
    const auto t0 = std::chrono::steady_clock::now();
    try {
        static_cast<void>(bg.agent().uplink().relay(createApplication("x"), 5s));
        FAIL("relayed while not registered");
    } catch (const agent::UplinkUnavailable& e) {
        CHECK_FALSE(e.timedOut());
        CHECK(std::string(e.what()).find("not registered") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);  // no wait for a turn
    CHECK_THROWS_AS(bg.agent().uplink().registerDevice({}, 5s), agent::UplinkUnavailable);
    // Without integrity validation there is nothing to carry the devices' verdicts.
    try {
        bg.agent().uplink().reportDevices({}, 5s);
        FAIL("reported without integrity validation");
    } catch (const agent::UplinkUnavailable& e) {
        CHECK(std::string(e.what()) == "the gateway has no integrity validation");
    }
    const auto status = bg.agent().status();
    REQUIRE(status.relay);
    CHECK(status.relay->requests == 2);
    CHECK(status.relay->refused == 2);
    CHECK(bg.stop() == S::Stopped);
    for (const auto& line : h.network->log) {
        CHECK(line.find("/applications") == std::string::npos);
    }
}

TEST_CASE("uplink: a relay that meets a refused Kmc -> UplinkUnavailable, the agent connects again",
          "[agent][uplink][neg]") {
    QuietLogs quiet;
    AgentHarness h;
    Background bg(h);
    REQUIRE(bg.waitIdle());
    h.network->failNext(
        Endpoint::Mid,
        std::make_exception_ptr(tls::PskRejected("the server refused PSK identity (test)")));
    try {
        static_cast<void>(bg.agent().uplink().relay(createApplication("x"), 5s));
        FAIL("relayed with a refused Kmc");
    } catch (const agent::UplinkUnavailable& e) {
        CHECK_FALSE(e.timedOut());
        CHECK(std::string(e.what()).find("refused PSK identity") != std::string::npos);
    }
    // Its own request refused so would have: registered -> (backoff) -> connecting.
    h.clock->hold(false);
    const bool connectedAgain =
        (bg.waitFor([](const std::vector<S>& states, const agent::AgentStatus& s) {
            return std::count(states.begin(), states.end(), S::Connecting) >= 2 &&
                   s.state == S::Registered;
        }));
    INFO(agenttest::describe(bg.states()));
    REQUIRE(connectedAgain);
    const auto status = bg.agent().status();
    REQUIRE(status.lastError);
    CHECK(status.lastError->state == S::Registered);
    CHECK(status.lastError->cause.type == "PskRejected");
    CHECK(status.connections == 2);
    REQUIRE(status.relay);
    CHECK(status.relay->refused == 1);
    CHECK(status.procedures.at("relay").failures == 1);
    CHECK(bg.stop() == S::Stopped);
}

TEST_CASE("uplink: registerDevice posts the device's m2m:scl to /m2m/scls", "[agent][uplink]") {
    QuietLogs quiet;
    AgentHarness h;
    Background bg(h);
    REQUIRE(bg.waitIdle());
    agent::SclRegistration device;
    device.sclId = "m2m:scl/device-2";
    device.link = device.sclId;
    CHECK(bg.agent().uplink().registerDevice(device, 5s) == "/m2m/scls/1");
    CHECK(h.network->log.back() == "POST /m2m/scls 201");

    SECTION("a 4xx is the NSCL's refusal, not the uplink's failure") {
        h.network->answerNext(Endpoint::Mid, 403, "");
        try {
            static_cast<void>(bg.agent().uplink().registerDevice(device, 5s));
            FAIL("registered a refused device");
        } catch (const provisioning::RequestRefused& e) {
            CHECK(e.status() == 403);
        }
        CHECK(bg.agent().status().state == S::Registered);
    }
    SECTION("a 5xx is the uplink unavailable") {
        h.network->answerNext(Endpoint::Mid, 503, "");
        CHECK_THROWS_AS(bg.agent().uplink().registerDevice(device, 5s), agent::UplinkUnavailable);
    }
    CHECK(bg.stop() == S::Stopped);
}

TEST_CASE("uplink: a call not served within its timeout is refused as timed out",
          "[agent][uplink][neg]") {
    QuietLogs quiet;
    AgentHarness h;
    Background bg(h);
    REQUIRE(bg.waitIdle());
    // The agent's thread is busy (a slow NSCL) while a second call waits for its turn.
    std::atomic<bool> release{false};
    std::atomic<bool> slowStarted{false};
    h.network->beforeRequest = [&](const tls::HttpRequest& request) {
        if (request.url.find("/slow") != std::string::npos) {
            slowStarted = true;
            while (!release) {
                std::this_thread::sleep_for(1ms);
            }
        }
    };
    std::thread slow([&] {
        static_cast<void>(bg.agent().uplink().relay({"GET", "/m2m/slow", "", ""}, 10s));
    });
    for (int i = 0; i < 5000 && !slowStarted; ++i) {
        std::this_thread::sleep_for(1ms);
    }
    REQUIRE(slowStarted);
    try {
        static_cast<void>(bg.agent().uplink().relay(createApplication("late"), 50ms));
        FAIL("served past its timeout");
    } catch (const agent::UplinkUnavailable& e) {
        CHECK(e.timedOut());
    }
    release = true;
    slow.join();
    const auto status = bg.agent().status();
    CHECK(status.relay->queueLength == 0);
    CHECK(status.relay->requests == 2);
    CHECK(status.relay->refused == 1);
    CHECK(bg.stop() == S::Stopped);
    // The late one never ran: the only application created is the agent's own.
    CHECK(std::count(h.network->log.begin(), h.network->log.end(),
                     "POST /m2m/scls/1/applications 201") == 1);
}

TEST_CASE("uplink: reportDevices makes the gateway refresh now with a new report",
          "[agent][uplink][integrity]") {
    QuietLogs quiet;
    AgentHarness h;
    Integrity iv(h);
    Background bg(h);
    REQUIRE(bg.waitIdle());
    REQUIRE(h.network->reports.size() == 1);  // the registration's
    const auto waitingSince = h.clock->now();
    const auto before = bg.agent().status();

    auto partial = device(2, "partial");
    partial.allowed = {"applications"};
    bg.agent().uplink().reportDevices({device(1, "full"), partial}, 5s);

    // Accepted before it returned: challenge, report, refresh, decision applied.
    REQUIRE(h.network->reports.size() == 2);
    CHECK(h.network->reports.back().claims.counter ==
          h.network->reports.front().claims.counter + 1);
    const auto& submods = h.network->reports.back().claims.submods;
    REQUIRE(submods.size() == 2);
    CHECK(submods[1].verdict == integrity::Verdict::Partial);
    CHECK(submods[1].allowed == std::vector<std::string>{"applications"});
    CHECK(h.network->reports.front().claims.submods.empty());
    const auto after = bg.agent().status();
    CHECK(after.state == S::Registered);
    CHECK(after.refreshes == before.refreshes + 1);
    CHECK(after.integrity["verdict"] == "full");
    CHECK(after.relay->requests == 1);
    CHECK(after.relay->refused == 0);
    CHECK(h.clock->now() == waitingSince);  // now, not at the next refresh
    const auto& log = h.network->log;
    REQUIRE(log.size() >= 2);
    CHECK(log[log.size() - 2] == "POST /m2m/integrity/challenge 201");
    CHECK(log.back() == "PUT /m2m/scls/1 200");

    SECTION("a device list the NSCL would refuse is refused before anything is sent") {
        const auto sent = h.network->log.size();
        std::vector<agent::DeviceVerdict> nine;
        for (std::uint8_t n = 1; n <= 9; ++n) {
            nine.push_back(device(n, "full"));
        }
        CHECK_THROWS_AS(bg.agent().uplink().reportDevices(nine, 5s), agent::UplinkUnavailable);
        auto full = device(3, "full");
        full.allowed = {"applications"};  // allowed paths belong to a partial verdict only
        CHECK_THROWS_AS(bg.agent().uplink().reportDevices({full}, 5s), agent::UplinkUnavailable);
        CHECK(h.network->log.size() == sent);
        CHECK(bg.agent().status().state == S::Registered);
    }
    SECTION("a report the NSCL refuses -> UplinkUnavailable, and the agent leaves registered") {
        h.network->answerNext(Endpoint::Mid, 403, "");
        try {
            bg.agent().uplink().reportDevices({device(1, "full")}, 5s);
            FAIL("a refused report was taken as accepted");
        } catch (const agent::UplinkUnavailable& e) {
            CHECK_FALSE(e.timedOut());
        }
        REQUIRE(bg.waitFor([](const std::vector<S>&, const agent::AgentStatus& s) {
            return s.lastError && s.lastError->state == S::Registered;
        }));
        CHECK(bg.agent().status().lastError->cause.type == "RequestRefused");
    }
    CHECK(bg.stop() == S::Stopped);
}

TEST_CASE("uplink: under the gateway's own halt its devices' requests are refused",
          "[agent][uplink][integrity][neg]") {
    QuietLogs quiet;
    AgentHarness h;
    Integrity iv(h, "tampered", integrity::RecoveryAction::Halt);
    Background bg(h);
    REQUIRE(bg.waitFor([](const std::vector<S>&, const agent::AgentStatus& s) {
        return s.state == S::Registered && s.readingsWithheld >= 1;
    }));
    const auto requests = h.network->log.size();
    try {
        static_cast<void>(bg.agent().uplink().relay(createApplication("x"), 5s));
        FAIL("relayed under halt");
    } catch (const agent::UplinkUnavailable& e) {
        CHECK_FALSE(e.timedOut());
        CHECK(std::string(e.what()).find("halted") != std::string::npos);
    }
    CHECK(h.network->log.size() == requests);  // nothing sent
    const auto status = bg.agent().status();
    CHECK(status.state == S::Registered);  // the gateway's refusal, not a failure of its link
    CHECK_FALSE(status.lastError);
    CHECK(status.relay->refused == 1);
    CHECK(bg.stop() == S::Stopped);
}
