// Secure time (agent/GATEWAY.md §4) without a card or network: SecureTime's arithmetic on a manual
// clock (offset, uncertainty, tolerance, the chrony fallback), and the whole agent on a local clock
// three hours off the NSCL's: it still renews Kmc and refreshes its registration at the NSCL's
// times, not hours early or late, and shows the skew in its status.
#include <catch2/catch.hpp>

#include "agent/secure_time.hpp"
#include "agent_harness.hpp"
#include "base/log.hpp"
#include "nlohmann/json.hpp"

using agent::Clock;
using agent::SecureTime;
using agent::TimeConfig;
using agent::TimeSource;
using namespace std::chrono_literals;

namespace {

struct QuietLogs {
    QuietLogs() { base::log::configure("agent=error,provisioning=error"); }
    ~QuietLogs() { base::log::configure(""); }
};

// A fixed start: the tests do not depend on the machine's clock.
const Clock::time_point kStart = Clock::time_point(std::chrono::seconds(1'800'000'000));

TimeConfig config(TimeSource source = TimeSource::Network, std::chrono::seconds tolerance = 60s) {
    TimeConfig c;
    c.source = source;
    c.tolerance = tolerance;
    return c;
}

agent::ChronyState chronyTrusted() {
    return {true, "chronyd is synchronised to 192.0.2.1 (NTS)", 2ms};
}

}  // namespace

TEST_CASE("secure time: offset is the server's time minus the local midpoint", "[time]") {
    QuietLogs quiet;
    agenttest::ManualClock clock(kStart);
    SecureTime time(clock, config());
    CHECK_FALSE(time.synchronised());
    CHECK_FALSE(time.secureNow());
    CHECK(time.now() == kStart);  // before any sample: the local clock
    CHECK_FALSE(time.localTrusted());

    // Asked at local kStart, answered 400 ms later; the server said kStart + 3 h + 200 ms.
    time.sample(kStart + 3h + 200ms, kStart, kStart + 400ms, "test");
    clock.sleepUntil(kStart + 400ms);
    CHECK(time.synchronised());
    CHECK(time.offset() == 3h);
    CHECK(time.uncertainty() == 200ms + 1s);
    CHECK(time.now() == kStart + 400ms + 3h);
    REQUIRE(time.secureNow());
    CHECK(*time.secureNow() == kStart + 400ms + 3h);
    CHECK(time.toLocal(kStart + 5h) == kStart + 2h);
    CHECK(time.toSecure(kStart) == kStart + 3h);
    CHECK_FALSE(time.localTrusted());

    const agent::TimeStatus s = time.status();
    CHECK(s.source == "network");
    CHECK(s.synchronised);
    CHECK(s.offsetSeconds == Approx(10800.0));
    CHECK(s.uncertaintyMs == Approx(1200.0));
    CHECK_FALSE(s.localTrusted);
    REQUIRE(s.lastSync);
    CHECK(*s.lastSync == kStart + 400ms + 3h);
}

TEST_CASE("secure time: the tolerance decides whether the local clock is trusted", "[time]") {
    QuietLogs quiet;
    agenttest::ManualClock clock(kStart);
    SECTION("30 s off, tolerance 60 s: trusted") {
        SecureTime time(clock, config(TimeSource::Network, 60s));
        time.sample(kStart + 30s, kStart, kStart, "test");
        CHECK(time.localTrusted());
        CHECK(time.status().localTrusted);
    }
    SECTION("30 s behind, tolerance 60 s: trusted") {
        SecureTime time(clock, config(TimeSource::Network, 60s));
        time.sample(kStart - 30s, kStart, kStart, "test");
        CHECK(time.localTrusted());
    }
    SECTION("90 s off, tolerance 60 s: not trusted, and secure time still known") {
        SecureTime time(clock, config(TimeSource::Network, 60s));
        time.sample(kStart + 90s, kStart, kStart, "test");
        CHECK_FALSE(time.localTrusted());
        CHECK(time.synchronised());
        CHECK(time.now() == kStart + 90s);
    }
}

TEST_CASE("secure time: a less precise sample does not replace a good one, a moved clock does",
          "[time]") {
    QuietLogs quiet;
    agenttest::ManualClock clock(kStart);
    SecureTime time(clock, config());
    time.sample(kStart + 10s, kStart, kStart + 100ms, "precise");
    const auto precise = time.offset();
    // A slow exchange agreeing within its uncertainty: kept out.
    time.sample(kStart + 10s + 2s, kStart, kStart + 4s, "slow");
    CHECK(time.offset() == precise);
    // A sample far outside both uncertainties: the local clock was stepped; the new one counts.
    time.sample(kStart + 1h, kStart, kStart + 4s, "after a step");
    CHECK(time.offset() == 1h - 2s);
    // A round trip with a negative length (the local clock stepped back mid-exchange): ignored.
    time.sample(kStart, kStart + 1s, kStart, "backwards");
    CHECK(time.offset() == 1h - 2s);
}

TEST_CASE("secure time: source local is never synchronised nor trusted", "[time]") {
    QuietLogs quiet;
    agenttest::ManualClock clock(kStart);
    SecureTime time(clock, config(TimeSource::Local));
    time.sample(kStart, kStart, kStart, "ignored");
    CHECK_FALSE(time.synchronised());
    CHECK_FALSE(time.localTrusted());
    CHECK_FALSE(time.wantsNetworkSample());
    CHECK(time.now() == kStart);
    CHECK(time.status().source == "local");
}

TEST_CASE("secure time: chrony trusted while synchronised to NTS, else the network decides",
          "[time]") {
    QuietLogs quiet;
    agenttest::ManualClock clock(kStart);
    SECTION("NTS-synchronised chronyd: the local clock is secure time") {
        SecureTime time(clock, config(TimeSource::Chrony), chronyTrusted);
        time.checkChrony();
        CHECK(time.synchronised());
        CHECK(time.localTrusted());
        CHECK(time.offset() == Clock::duration{});
        CHECK(time.uncertainty() == 2ms);
        CHECK_FALSE(time.wantsNetworkSample());
        CHECK(time.status().note.find("NTS") != std::string::npos);
    }
    SECTION("chronyc missing: falls back to the network, and says so") {
        SecureTime time(clock, config(TimeSource::Chrony), []() -> agent::ChronyState {
            throw agent::ChronyUnavailable("chronyc cannot be run (chronyc): No such file");
        });
        time.checkChrony();
        CHECK_FALSE(time.synchronised());
        CHECK(time.wantsNetworkSample());
        CHECK(time.status().note.find("falling back") != std::string::npos);
        time.sample(kStart + 2h, kStart, kStart, "mId time");
        CHECK(time.synchronised());
        CHECK(time.offset() == 2h);
        CHECK(time.status().source == "chrony");
    }
    SECTION("synchronised to a source without NTS: not trusted") {
        SecureTime time(clock, config(TimeSource::Chrony), [] {
            return agent::ChronyState{false,
                                      "chronyd's reference 192.0.2.1 is not authenticated "
                                      "with NTS",
                                      1ms};
        });
        time.checkChrony();
        CHECK_FALSE(time.synchronised());
        CHECK(time.wantsNetworkSample());
    }
    SECTION("a chronyc that cannot be run at all (a real spawn)") {
        TimeConfig c = config(TimeSource::Chrony);
        c.chronyc = "/nonexistent/chronyc";
        SecureTime time(clock, c);
        time.checkChrony();
        CHECK_FALSE(time.synchronised());
        CHECK(time.status().note.find("cannot be run") != std::string::npos);
    }
}

// The agent with a local clock `skew` off the NSCL's: every request's time on the NSCL's clock.
TEST_CASE("secure time: a local clock 3 hours off still renews Kmc and refreshes on time",
          "[time][agent]") {
    QuietLogs quiet;
    const auto skew = GENERATE(Clock::duration(3h), Clock::duration(-3h));
    CAPTURE(std::chrono::duration_cast<std::chrono::seconds>(skew).count());
    agenttest::AgentHarness h;
    h.config.reportInterval = std::chrono::minutes(10);
    h.network->skew = skew;
    h.network->kmcLifetime = 1h;
    h.network->registrationLifetime = 2h;
    std::vector<std::pair<std::string, Clock::time_point>> requests;  // on the NSCL's clock
    h.network->beforeRequest = [&](const securechannel::tls::HttpRequest& r) {
        requests.emplace_back(r.method + " " + r.url, h.network->networkNow());
    };
    h.stopWhen = [](const agent::AgentStatus& s) { return s.connections >= 4; };
    REQUIRE(h.run() == agent::AgentState::Stopped);
    REQUIRE_FALSE(h.runaway);

    auto times = [&](std::string_view what) {
        std::vector<Clock::time_point> out;
        for (const auto& [request, at] : requests) {
            if (request == what) {
                out.push_back(at);
            }
        }
        return out;
    };
    // Kmc renewed kmc_renew_margin_s (5 s) before each expiry on the NSCL's clock (its expiry is
    // whole seconds: +/- 1 s).
    const auto connections = times("POST https://nscl.test:2/m2m/connection");
    REQUIRE(connections.size() == 4);
    for (std::size_t i = 1; i < connections.size(); ++i) {
        const auto gap = connections[i] - connections[i - 1];
        CHECK(gap >= 1h - 7s);
        CHECK(gap <= 1h - 3s);
    }
    // One registration, refreshed at half its lifetime (1 h) on the NSCL's clock, and kept.
    const auto registrations = times("POST https://nscl.test:3/m2m/scls");
    const auto refreshes = times("PUT https://nscl.test:3/m2m/scls/1");
    REQUIRE(registrations.size() == 1);
    REQUIRE(refreshes.size() >= 2);
    CHECK(refreshes[0] - registrations[0] >= 1h - 2s);
    CHECK(refreshes[0] - registrations[0] <= 1h + 2s);
    // Every mId request was accepted: none under an expired Kmc or registration.
    for (const std::string& line : h.network->log) {
        CHECK_FALSE(line.ends_with(" 403"));
    }
    // The time was asked for after each service connection (the run stops at the fourth).
    CHECK(times("GET https://nscl.test:3/m2m/time").size() >= connections.size() - 1);

    const agent::AgentStatus& s = h.status();
    REQUIRE(s.time);
    CHECK(s.time->source == "network");
    CHECK(s.time->synchronised);
    CHECK(std::abs(s.time->offsetSeconds - std::chrono::duration<double>(skew).count()) <= 1.0);
    CHECK_FALSE(s.time->localTrusted);
    CHECK(s.time->uncertaintyMs == Approx(1000.0));
    const auto json = agent::toJson(s);
    CHECK(json["time"]["local_trusted"] == false);
    CHECK(json["time"]["source"] == "network");
    CHECK(json["time"].contains("last_sync"));
    CHECK(json["time"].contains("offset_s"));
    CHECK(json["time"].contains("uncertainty_ms"));
}

TEST_CASE("secure time: a skew inside the tolerance is reported and trusted", "[time][agent]") {
    QuietLogs quiet;
    agenttest::AgentHarness h;
    h.network->skew = 30s;
    h.stopWhen = [](const agent::AgentStatus& s) { return s.contentInstances >= 1; };
    REQUIRE(h.run() == agent::AgentState::Stopped);
    REQUIRE(h.status().time);
    CHECK(h.status().time->localTrusted);
    CHECK(std::abs(h.status().time->offsetSeconds - 30.0) <= 1.0);
}

TEST_CASE("secure time: an NSCL without GET /time: the agent goes on, unsynchronised",
          "[time][agent]") {
    QuietLogs quiet;
    agenttest::AgentHarness h;
    h.network->answerNext(agenttest::FakeNetwork::Endpoint::Time, 404, "", 1);
    h.stopWhen = [](const agent::AgentStatus& s) { return s.contentInstances >= 1; };
    REQUIRE(h.run() == agent::AgentState::Stopped);
    REQUIRE(h.status().time);
    CHECK_FALSE(h.status().time->synchronised);
    CHECK(h.status().procedures.at("registration").failures == 0);
}

TEST_CASE("secure time: a failed GET /time after the connection is the registration's failure",
          "[time][agent][neg]") {
    QuietLogs quiet;
    agenttest::AgentHarness h;
    h.network->skew = std::chrono::hours(3);
    h.network->answerNext(agenttest::FakeNetwork::Endpoint::Time, 503, "", 2);
    h.stopWhen = [](const agent::AgentStatus& s) { return s.contentInstances >= 1; };
    REQUIRE(h.run() == agent::AgentState::Stopped);
    const agent::AgentStatus& s = h.status();
    CHECK(s.procedures.at("registration").failures == 2);
    REQUIRE(s.lastError);
    CHECK(s.lastError->state == agent::AgentState::Registering);
    CHECK(s.lastError->recoveredAt);
    REQUIRE(s.time);
    CHECK(s.time->synchronised);
    CHECK(std::abs(s.time->offsetSeconds - 10800.0) <= 1.0);
}
