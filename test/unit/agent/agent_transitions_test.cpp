// Every transition of the agent's state diagram (README, "The agent"), driven through the real
// state machine with an in-memory card, network and clock: the path taken, the typed cause of
// each failure, and what the card and the network hold afterwards.
#include "agent_harness.hpp"
#include "base/log.hpp"
#include "nlohmann/json.hpp"
#include "provisioning/param_sets.hpp"
#include "securechannel/tls/https_client.hpp"
#include "securechannel/ts102484/errors.hpp"
#include "seuicc/errors.hpp"

using agent::AgentState;
using agenttest::AgentHarness;
using agenttest::describe;
using Endpoint = agenttest::FakeNetwork::Endpoint;
using S = AgentState;
namespace tls = securechannel::tls;

namespace {

// Quiet logs: the agent warns on every failure, and these tests fail on purpose.
struct QuietLogs {
    QuietLogs() { base::log::configure("agent=error,provisioning=error"); }
    ~QuietLogs() { base::log::configure(""); }
};

template <typename E, typename... Args>
std::exception_ptr error(Args&&... args) {
    return std::make_exception_ptr(E(std::forward<Args>(args)...));
}

// What PC/SC says when the card is pulled.
std::exception_ptr cardRemoved() {
    return error<seuicc::PcscCardRemoved>(0x80100069L, "SCardTransmit");
}

bool instances(const agent::AgentStatus& s, std::uint64_t n) {
    return s.contentInstances >= n;
}

std::uint64_t seqOf(const agent::ContentInstance& instance) {
    return nlohmann::json::parse(instance.content)["seq"].get<std::uint64_t>();
}

}  // namespace

TEST_CASE("starting -> connecting -> registering -> registered, one GET DATA in all",
          "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 3); };
    CHECK(h.run() == S::Stopped);
    CHECK_FALSE(h.runaway);
    CHECK(describe(h.states) == "starting, connecting, registering, registered, stopped");
    CHECK(h.card->getDataReads == 1);  // the rest is known from the procedures' own answers
    CHECK(h.card->closed);
    // The card's new Kmc is the one the network issued, and the agent uses its identity.
    CHECK(h.card->card.kmcIndex == h.network->kmcIndex);
    CHECK(h.status().kmcIdentity.ends_with("." + std::to_string(*h.network->kmcIndex)));
    CHECK(h.status().card->kcv.kmc == h.card->card.kcv.kmc);
    REQUIRE(h.network->stored.size() == 3);
    CHECK(h.status().contentInstances == 3);
    CHECK_FALSE(h.status().lastError);
}

TEST_CASE("starting -> bootstrapping when the card has no Kmr, or an expired one",
          "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    SECTION("no Kmr") {
        h.card->card.kmrIndex.reset();
        h.card->card.kmrExpiry.reset();
        h.card->card.kcv.kmr.reset();
        h.network->kmrIndex.reset();
    }
    SECTION("an expired Kmr") {
        h.card->card.kmrExpiry = agent::Clock::now() - std::chrono::seconds(1);
    }
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 1); };
    CHECK(h.run() == S::Stopped);
    CHECK(describe(h.states) ==
          "starting, bootstrapping, connecting, registering, registered, stopped");
    CHECK(h.status().bootstraps == 1);
    CHECK(h.card->card.kmrIndex == h.network->kmrIndex);
    CHECK(h.card->card.kcv.kmr.has_value());
}

TEST_CASE("registered -> connecting -> registered when Kmc nears expiry", "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    h.network->kmcLifetime = std::chrono::seconds(60);  // renewed 5 s early, every 55 s
    h.stopWhen = [](const agent::AgentStatus& s) {
        return s.connections >= 3 && s.state == S::Registered;
    };
    CHECK(h.run() == S::Stopped);
    CHECK(describe(h.states) ==
          "starting, connecting, registering, registered, connecting, registered, connecting, "
          "registered, stopped");
    CHECK(h.status().registrations == 1);  // the registration outlived the old Kmc
    CHECK(h.card->card.kmcIndex == 3u);
    CHECK(h.card->getDataReads == 1);
    // Readings went on with each new Kmc, none lost.
    for (std::size_t i = 0; i < h.network->stored.size(); ++i) {
        CHECK(seqOf(h.network->stored[i]) == i + 1);
    }
}

TEST_CASE("registered: the registration is refreshed at half its lifetime",
          "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    h.network->registrationLifetime = std::chrono::seconds(100);
    h.stopWhen = [](const agent::AgentStatus& s) { return s.refreshes >= 2; };
    CHECK(h.run() == S::Stopped);
    CHECK(describe(h.states) == "starting, connecting, registering, registered, stopped");
    CHECK(std::count(h.network->log.begin(), h.network->log.end(), "PUT /m2m/scls/1 200") == 2);
}

TEST_CASE("connecting -> backoff -> bootstrapping when the NSCL refuses Kmr",
          "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    h.network->kmrIndex = 3;  // the network no longer knows the card's Kmr (index 7)
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 1); };
    CHECK(h.run() == S::Stopped);
    CHECK(describe(h.states) ==
          "starting, connecting, backoff, bootstrapping, connecting, registering, registered, "
          "stopped");
    REQUIRE(h.status().lastError);
    CHECK(h.status().lastError->cause.type == "PskRejected");
    CHECK(h.status().lastError->cause.kind == agent::CauseKind::PskRefused);
    CHECK(h.status().lastError->state == S::Connecting);
    CHECK(h.status().lastError->recoveredAt.has_value());
    CHECK(h.card->card.kmrIndex == 4u);
}

TEST_CASE("connecting -> bootstrapping without a backoff when Kmr expired meanwhile",
          "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    h.card->card.kmrExpiry =
        std::chrono::floor<std::chrono::seconds>(agent::Clock::now() + std::chrono::seconds(30));
    h.network->kmcLifetime = std::chrono::seconds(60);  // the next connection comes after 55 s
    h.stopWhen = [](const agent::AgentStatus& s) { return s.bootstraps >= 1 && instances(s, 7); };
    CHECK(h.run() == S::Stopped);
    CHECK(describe(h.states) ==
          "starting, connecting, registering, registered, connecting, bootstrapping, connecting, "
          "registered, stopped");
    CHECK_FALSE(h.status().lastError);
}

TEST_CASE("registered -> backoff -> connecting when the NSCL refuses Kmc", "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    bool forgotten = false;
    h.options.onStatus = [&h, &forgotten](const agent::AgentStatus& s) {
        if (s.contentInstances == 1 && !forgotten) {
            forgotten = true;
            h.network->kmcIndex = 99;  // the network forgot this Kmc
        }
    };
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 2); };
    CHECK(h.run() == S::Stopped);
    CHECK(describe(h.states) ==
          "starting, connecting, registering, registered, backoff, connecting, registered, "
          "stopped");
    CHECK(h.status().lastError->cause.type == "PskRejected");
    CHECK(h.status().lastError->state == S::Registered);
    CHECK(h.card->card.kmcIndex == 100u);
    // The reading that failed was sent again, not lost, and not stored twice.
    REQUIRE(h.network->stored.size() == 2);
    CHECK(seqOf(h.network->stored[0]) == 1);
    CHECK(seqOf(h.network->stored[1]) == 2);
}

TEST_CASE("registered -> backoff -> registering when the NSCL answers 403 (registration lapsed)",
          "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    bool dropped = false;
    h.options.onStatus = [&h, &dropped](const agent::AgentStatus& s) {
        if (s.contentInstances == 1 && !dropped) {
            dropped = true;
            h.network->registrationExpires.reset();  // the NSCL dropped the registration
        }
    };
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 2); };
    CHECK(h.run() == S::Stopped);
    CHECK(describe(h.states) ==
          "starting, connecting, registering, registered, backoff, registering, registered, "
          "stopped");
    CHECK(h.status().lastError->cause.kind == agent::CauseKind::HttpRefused);
    CHECK(h.status().lastError->cause.httpStatus == 403);
    CHECK(h.status().registrations == 2);
}

TEST_CASE("registered -> registering when the registration expired during a long backoff",
          "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    h.network->registrationLifetime = std::chrono::seconds(30);
    h.config.retry.initial = std::chrono::seconds(40);
    bool injected = false;
    h.options.onStatus = [&h, &injected](const agent::AgentStatus& s) {
        if (s.contentInstances == 1 && !injected) {
            injected = true;
            h.network->failNext(Endpoint::Mid, error<tls::ConnectFailed>("network down"));
        }
    };
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 2); };
    CHECK(h.run() == S::Stopped);
    CHECK(describe(h.states) ==
          "starting, connecting, registering, registered, backoff, registered, registering, "
          "registered, stopped");
}

TEST_CASE("a transient failure backs off with growing delays, then the step succeeds",
          "[agent][transitions][backoff]") {
    QuietLogs quiet;
    AgentHarness h;
    std::vector<agent::Clock::duration> delays;
    h.options.onStatus = [&h, &delays](const agent::AgentStatus& s) {
        if (s.state == S::Backoff && s.nextAttempt &&
            (delays.empty() || s.attempt > delays.size())) {
            delays.push_back(*s.nextAttempt - h.clock->now());
        }
    };
    SECTION("network down") {
        h.network->failNext(Endpoint::Connection, error<tls::ConnectFailed>("refused"), 3);
    }
    SECTION("5xx") {
        h.network->answerNext(Endpoint::Connection, 503, "", 3);
    }
    SECTION("a malformed parameter set") {
        h.network->answerNext(Endpoint::Connection, 200, "<m2m:connectionParamSet", 3);
    }
    SECTION("an oversized answer") {
        h.network->failNext(Endpoint::Connection, error<tls::ResponseTooLarge>("2 MiB"), 3);
    }
    SECTION("a secure channel that broke inside the handshake") {
        h.network->failNext(Endpoint::Connection, error<securechannel::ChannelBroken>("69 82"), 3);
    }
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 1); };
    CHECK(h.run() == S::Stopped);
    REQUIRE(delays.size() == 3);
    CHECK(delays[0] == std::chrono::seconds(1));
    CHECK(delays[1] == std::chrono::seconds(2));
    CHECK(delays[2] == std::chrono::seconds(4));
    CHECK(h.status().lastError->recoveredAt.has_value());
    CHECK(h.status().attempt == 0);
}

TEST_CASE("the card pulled while registered: backoff, the path reopened, no reading lost",
          "[agent][transitions][card]") {
    QuietLogs quiet;
    AgentHarness h;
    bool pulled = false;
    h.options.onStatus = [&h, &pulled](const agent::AgentStatus& s) {
        if (s.contentInstances == 2 && !pulled) {
            pulled = true;
            h.card->failures.push_back(cardRemoved());
        }
    };
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 4); };
    CHECK(h.run() == S::Stopped);
    CHECK(describe(h.states) ==
          "starting, connecting, registering, registered, backoff, registered, stopped");
    CHECK(h.status().lastError->cause.kind == agent::CauseKind::CardLost);
    CHECK(h.card->getDataReads == 2);   // a new card path reads the public data again
    CHECK(h.card->channelSetups == 2);  // and sets up a new secure channel
    REQUIRE(h.network->stored.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(seqOf(h.network->stored[i]) == i + 1);
    }
}

TEST_CASE("a reading stored but its answer lost is sent again under its id and stored once",
          "[agent][transitions][readings]") {
    QuietLogs quiet;
    AgentHarness h;
    bool lost = false;
    h.options.onStatus = [&h, &lost](const agent::AgentStatus& s) {
        if (s.contentInstances == 1 && !lost) {
            lost = true;
            h.network->answersLost[Endpoint::Mid] = 1;
        }
    };
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 3); };
    CHECK(h.run() == S::Stopped);
    CHECK(h.status().lastError->cause.kind == agent::CauseKind::Network);
    REQUIRE(h.network->stored.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(seqOf(h.network->stored[i]) == i + 1);
    }
    // Reading 2 was sent again with the same id and refused as a conflict: stored once.
    CHECK(std::count_if(h.network->log.begin(), h.network->log.end(), [](const std::string& l) {
              return l.starts_with("POST ") && l.ends_with("/contentInstances 409");
          }) == 1);
    CHECK(h.status().contentInstances == 3);
}

TEST_CASE("every APDU lands in a procedure's counters, reopening a lost path included",
          "[agent][counters]") {
    QuietLogs quiet;
    AgentHarness h;
    bool pulled = false;
    h.options.onStatus = [&h, &pulled](const agent::AgentStatus& s) {
        if (s.contentInstances == 1 && !pulled) {
            pulled = true;
            h.card->failures.push_back(cardRemoved());
        }
    };
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 2); };
    CHECK(h.run() == S::Stopped);
    const agent::AgentStatus& s = h.status();
    using C = agenttest::FakeCard;
    CHECK(s.procedures.at("start").lastCard.apdus == C::kOpenApdus + C::kChannelApdus);
    // Connection: master secret, exporter, activation; no GET DATA after it.
    CHECK(s.procedures.at("connection").lastCard.apdus == 3 * C::kCommandApdus);
    // Registration: one handshake for the three requests on the kept-alive connection.
    CHECK(s.procedures.at("registration").lastCard.apdus == C::kCommandApdus);
    // The second reading reopened the card path (the TLS connection was still alive).
    CHECK(s.procedures.at("content_instance").lastCard.apdus == C::kOpenApdus + C::kChannelApdus);
    CHECK(s.procedures.at("content_instance").failures == 1);
    std::uint64_t sum = 0;
    for (const auto& [name, p] : s.procedures) {
        sum += p.totalCard.apdus;
    }
    CHECK(sum == s.cardTraffic.apdus);
}

TEST_CASE("bootstrapping -> failed when the MSBF refuses Kbs, or there is no Kbs",
          "[agent][transitions][failed]") {
    QuietLogs quiet;
    AgentHarness h;
    h.card->card.kmrIndex.reset();
    h.card->card.kcv.kmr.reset();
    std::string type;
    SECTION("Kbs refused") {
        h.network->kbsKnown = false;
        type = "PskRejected";
    }
    SECTION("no Kbs on the card") {
        h.card->card.kcv.kbs.reset();
        type = "";
    }
    CHECK(h.run() == S::Failed);
    CHECK(describe(h.states) == "starting, bootstrapping, failed");
    REQUIRE(h.status().lastError);
    CHECK(h.status().lastError->cause.type == type);
    CHECK(h.status().lastError->cause.kind ==
          (type.empty() ? agent::CauseKind::NoBootstrapKey : agent::CauseKind::PskRefused));
    CHECK_FALSE(h.status().lastError->recoveredAt);
    CHECK(h.card->closed);
}

TEST_CASE("starting -> failed: not personalised, no M2M-SED, a wrong Kmsa",
          "[agent][transitions][failed]") {
    QuietLogs quiet;
    AgentHarness h;
    agent::CauseKind kind{};
    SECTION("blank M2M-SED") {
        h.card->card = seuicc::SedStatus{};
        kind = agent::CauseKind::NotPersonalised;
    }
    SECTION("no M2M-SED") {
        h.card->failures.push_back(
            std::make_exception_ptr(seuicc::SedNotInstalled(0x6A82, "SELECT M2M-SED")));
        kind = agent::CauseKind::NotPersonalised;
    }
    SECTION("a wrong Kmsa") {
        h.card->failures.push_back(error<securechannel::AuthenticationFailed>("SSCMAC wrong"));
        kind = agent::CauseKind::WrongKmsa;
    }
    CHECK(h.run() == S::Failed);
    CHECK(describe(h.states) == "starting, failed");
    CHECK(h.status().lastError->cause.kind == kind);
    CHECK(h.network->log.empty());  // nothing went to the network
}

TEST_CASE("connecting -> failed on a 4xx other than 403, 408, 429",
          "[agent][transitions][failed]") {
    QuietLogs quiet;
    AgentHarness h;
    h.network->answerNext(Endpoint::Connection, 404, "");
    CHECK(h.run() == S::Failed);
    CHECK(describe(h.states) == "starting, connecting, failed");
    CHECK(h.status().lastError->cause.httpStatus == 404);
}

TEST_CASE("a retried step that never succeeds fails after retry.max_attempts",
          "[agent][transitions][failed]") {
    QuietLogs quiet;
    AgentHarness h;
    h.config.retry.maxAttempts = 3;
    h.network->failNext(Endpoint::Connection, error<tls::ConnectFailed>("refused"), 10);
    CHECK(h.run() == S::Failed);
    CHECK(describe(h.states) ==
          "starting, connecting, backoff, connecting, backoff, connecting, backoff, connecting, "
          "failed");
    CHECK(h.status().attempt == 3);
}

TEST_CASE("failed is a state the daemon stays in until it is stopped", "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    h.options.exitOnFailure = false;
    h.card->card = seuicc::SedStatus{};
    int failedUpdates = 0;
    h.stopWhen = [&failedUpdates](const agent::AgentStatus& s) {
        return s.state == S::Failed && ++failedUpdates == 1;
    };
    CHECK(h.run() == S::Failed);
    CHECK_FALSE(h.runaway);
    CHECK(h.card->closed);
}

TEST_CASE("stop() in backoff or while registered ends in stopped, the card closed",
          "[agent][transitions]") {
    QuietLogs quiet;
    AgentHarness h;
    SECTION("while registered") {
        h.stopWhen = [](const agent::AgentStatus& s) { return s.state == S::Registered; };
    }
    SECTION("in backoff") {
        h.network->failNext(Endpoint::Connection, error<tls::ConnectFailed>("refused"), 10);
        h.stopWhen = [](const agent::AgentStatus& s) { return s.state == S::Backoff; };
    }
    CHECK(h.run() == S::Stopped);
    CHECK(h.states.back() == S::Stopped);
    CHECK(h.card->closed);
}

TEST_CASE("readings carry the agent's time and an uptime that advances with it",
          "[agent][readings]") {
    QuietLogs quiet;
    AgentHarness h;
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 3); };
    h.run();
    REQUIRE(h.network->stored.size() == 3);
    std::vector<long long> uptimes;
    std::vector<agent::Clock::time_point> times;
    for (const agent::ContentInstance& ci : h.network->stored) {
        const auto j = nlohmann::json::parse(ci.content);
        uptimes.push_back(j["uptime_ms"].get<long long>());
        times.push_back(provisioning::parseDateTime(j["time"].get<std::string>()));
    }
    CHECK(uptimes[1] - uptimes[0] == 10000);
    CHECK(uptimes[2] - uptimes[1] == 10000);
    CHECK(times[2] - times[1] == std::chrono::seconds(10));
}

TEST_CASE("bootstrapping: a GBA failure of its own falls back to the next method at once",
          "[agent][transitions][gba]") {
    QuietLogs quiet;
    AgentHarness h;
    h.card->card.kmrIndex.reset();
    h.card->card.kcv.kmr.reset();
    h.config.gba.bsfUrl = "http://127.0.0.1:1/";  // never reached: the fake card has no USIM
    SECTION("gba, then tls") {
        h.config.bootstrapOrder = {agent::BootstrapMethod::Gba, agent::BootstrapMethod::Tls};
        h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 1); };
        CHECK(h.run() == S::Stopped);
        // No backoff between the two methods: one bootstrapping step.
        CHECK(describe(h.states) ==
              "starting, bootstrapping, connecting, registering, registered, stopped");
        CHECK(h.status().bootstrapMethod == "tls");
        CHECK(h.status().fallbacks == 1);
        CHECK(h.status().procedures.at("bootstrap_gba").failures == 1);
        CHECK(h.status().procedures.at("bootstrap").runs == 1);
        REQUIRE(h.status().gba);
        CHECK(h.status().gba->ubRuns == 0);
    }
    SECTION("gba only: no USIM is permanent") {
        h.config.bootstrapOrder = {agent::BootstrapMethod::Gba};
        CHECK(h.run() == S::Failed);
        CHECK(describe(h.states) == "starting, bootstrapping, failed");
        REQUIRE(h.status().lastError);
        CHECK(h.status().lastError->cause.kind == agent::CauseKind::NoUsim);
        CHECK(h.status().lastError->cause.type == "UsimNotInstalled");
    }
    SECTION("none: a missing Kmr is permanent") {
        h.config.bootstrapOrder.clear();
        CHECK(h.run() == S::Failed);
        REQUIRE(h.status().lastError);
        CHECK(h.status().lastError->cause.kind == agent::CauseKind::NoBootstrapKey);
    }
}

TEST_CASE("connecting: the GBA-based connection needs no Kmr; its failure falls back to tls",
          "[agent][transitions][gba]") {
    QuietLogs quiet;
    AgentHarness h;
    h.config.gba.bsfUrl = "http://127.0.0.1:1/";
    h.config.connectionOrder = {agent::ConnectionMethod::Gba, agent::ConnectionMethod::Tls};
    h.stopWhen = [](const agent::AgentStatus& s) { return instances(s, 1); };
    CHECK(h.run() == S::Stopped);
    CHECK(describe(h.states) == "starting, connecting, registering, registered, stopped");
    CHECK(h.status().connectionMethod == "tls");
    CHECK(h.status().fallbacks == 1);
    CHECK(h.status().procedures.at("connection_gba").failures == 1);
}

TEST_CASE("connecting: without Kmr the GBA-based connection runs, with no bootstrap before it",
          "[agent][transitions][gba]") {
    QuietLogs quiet;
    AgentHarness h;
    h.card->card.kmrIndex.reset();
    h.card->card.kcv.kmr.reset();
    h.config.gba.bsfUrl = "http://127.0.0.1:1/";
    h.config.connectionOrder = {agent::ConnectionMethod::Gba, agent::ConnectionMethod::Tls};
    // The fake card has no USIM: the GBA-based connection fails for good, and the TLS-based one,
    // which needs Kmr, is not tried.
    CHECK(h.run() == S::Failed);
    CHECK(describe(h.states) == "starting, connecting, failed");
    CHECK(h.status().procedures.at("connection_gba").failures == 1);
    CHECK(h.status().procedures.count("connection") == 0);
    CHECK(h.status().procedures.count("bootstrap") == 0);
    REQUIRE(h.status().lastError);
    CHECK(h.status().lastError->cause.kind == agent::CauseKind::NoUsim);
}
