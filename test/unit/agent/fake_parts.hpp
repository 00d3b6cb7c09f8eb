// In-memory stand-ins for what the agent works with, so its state machine runs without pcscd, TLS
// or a network: a manual clock, a card that keeps the M2M-SED's public data, and a network (MSBF,
// NSCL connection endpoint, mId) that answers with the real XML codecs. Each can be told to fail.
#pragma once

#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/card_port.hpp"
#include "agent/clock.hpp"
#include "agent/mid_resources.hpp"
#include "securechannel/tls/https_client.hpp"

namespace agenttest {

using agent::Clock;

// Jumps to each deadline at once: hours of renewals run in milliseconds.
class ManualClock final : public agent::AgentClock {
public:
    explicit ManualClock(Clock::time_point start) : now_(start) {}
    Clock::time_point now() override { return now_; }
    bool sleepUntil(Clock::time_point deadline) override;
    void interrupt() override { interrupted_ = true; }

private:
    Clock::time_point now_;
    bool interrupted_ = false;
};

// The M2M-SED's public data, keys as indexes and KCVs. Every card command "costs" a fixed number
// of APDUs, so the procedures' counters can be checked to add up.
class FakeCard final : public agent::CardPort {
public:
    static constexpr std::uint64_t kOpenApdus = 4;     // MANAGE CHANNEL, SELECT, GET DATA
    static constexpr std::uint64_t kChannelApdus = 6;  // secure-channel setup
    static constexpr std::uint64_t kCommandApdus = 2;  // one command through the channel

    FakeCard();

    // What the card holds (GET DATA would read this).
    seuicc::SedStatus card;
    // Thrown, one each, by the next calls of open()/run() (the card pulled, a wrong Kmsa...).
    std::deque<std::exception_ptr> failures;
    // Counts.
    int getDataReads = 0;
    int channelSetups = 0;
    int masterSecrets = 0;
    int activations = 0;
    bool closed = false;

    const seuicc::SedStatus& open() override;
    void run(const std::function<void(provisioning::CardOperations&)>& procedure) override;
    const seuicc::SedStatus& status() const override { return copy_; }
    agent::CardPathInfo info() const override;
    void close() noexcept override;

private:
    class Operations;
    void failIfAsked();

    bool open_ = false;
    bool channel_ = false;
    seuicc::SedStatus copy_;  // the agent's view: read at open, kept in step by activations
    seuicc::ApduCounters traffic_;
};

// The network side: one node, its keys as indexes, its registration and its data.
class FakeNetwork final : public securechannel::tls::HttpsClient {
public:
    // Time: GET /m2m/time on the mId endpoint, apart so that a test's mId faults stay for the
    // requests they are meant for.
    enum class Endpoint { Msbf, Connection, Mid, Time };

    FakeNetwork(agent::AgentClock& clock, seuicc::NodeId node, std::string sclId);

    // The network's clock minus the agent's (the agent's local clock is off by -skew): every
    // lifetime and time the network hands out is on its own clock.
    Clock::duration skew{};
    [[nodiscard]] Clock::time_point networkNow() const { return clock_.now() + skew; }

    // Which keys the network accepts (identities per security profile §3).
    bool kbsKnown = true;
    std::optional<std::uint32_t> kmrIndex;  // the Kmr index the network knows, if any
    std::optional<std::uint32_t> kmcIndex;
    Clock::time_point kmcExpiry{};
    // Lifetimes the network hands out.
    Clock::duration kmrLifetime = std::chrono::hours(24 * 30);
    Clock::duration kmcLifetime = std::chrono::hours(1);
    Clock::duration registrationLifetime = std::chrono::hours(2);
    // The registration, if any, and what was stored.
    std::optional<Clock::time_point> registrationExpires;
    std::vector<agent::ContentInstance> stored;
    std::vector<std::string> log;  // "METHOD path" of every request answered

    // Faults: the next request on an endpoint throws `error`, or is answered with `status` and
    // `body` instead of its answer.
    struct Fault {
        std::exception_ptr error;
        long status = 0;
        std::string body;
    };
    std::map<Endpoint, std::deque<Fault>> faults;
    void failNext(Endpoint endpoint, std::exception_ptr error, int times = 1);
    void answerNext(Endpoint endpoint, long status, std::string body, int times = 1);
    // The next request on an endpoint is served, then its answer is lost (a reset mid-response).
    std::map<Endpoint, int> answersLost;
    // Called before each request is handled (a test's hook to change the world mid-run).
    std::function<void(const securechannel::tls::HttpRequest&)> beforeRequest;

    securechannel::tls::HttpResponse perform(const securechannel::tls::HttpRequest& request,
                                             const securechannel::tls::PskKey& key,
                                             securechannel::tls::CardKeyOperations& card,
                                             securechannel::tls::Export exportTo) override;
    void closeConnections() override { connected_.reset(); }
    const securechannel::tls::ClientCounters& counters() const override { return counters_; }

private:
    Endpoint endpointOf(const std::string& url) const;
    bool accepts(Endpoint endpoint, const std::string& identity) const;
    securechannel::tls::HttpResponse answer(Endpoint endpoint,
                                            const securechannel::tls::HttpRequest& request);
    securechannel::tls::HttpResponse mid(const securechannel::tls::HttpRequest& request,
                                         const std::string& path);

    agent::AgentClock& clock_;
    seuicc::NodeId node_;
    std::string sclId_;
    std::optional<std::string> connected_;  // the kept-alive identity
    securechannel::tls::ClientCounters counters_;
};

}  // namespace agenttest
