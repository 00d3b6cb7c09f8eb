// In-memory stand-ins for what the agent works with, so its state machine runs without pcscd, TLS
// or a network: a manual clock, a card that keeps the M2M-SED's public data, and a network (MSBF,
// NSCL connection endpoint, mId) that answers with the real XML codecs. Each can be told to fail.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/card_port.hpp"
#include "agent/clock.hpp"
#include "agent/mid_resources.hpp"
#include "integrity/cose.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/tls/https_client.hpp"
#include "seuicc/iv_sed_errors.hpp"

namespace agenttest {

using agent::Clock;

// Jumps to each deadline at once: hours of renewals run in milliseconds. Once held, a wait for a
// later time blocks instead (in real time) until wake() or interrupt(): the agent stays between
// two of its readings while a test calls it from another thread.
class ManualClock final : public agent::AgentClock {
public:
    explicit ManualClock(Clock::time_point start) : now_(start) {}
    Clock::time_point now() override;
    bool sleepUntil(Clock::time_point deadline) override;
    void interrupt() override;
    void wake() override;
    void hold(bool held = true);

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    Clock::time_point now_;
    bool interrupted_ = false;
    bool woken_ = false;
    bool held_ = false;
};

// An IV-SED in memory: compares against its manifest and signs EATs with its own key.
class MemoryIvSed final : public agent::IvSedPort {
public:
    MemoryIvSed(integrity::Manifest manifest, base::Bytes payload, base::Bytes policyKeyId)
        : manifest_(std::move(manifest)),
          payload_(std::move(payload)),
          policyKeyId_(std::move(policyKeyId)) {}

    integrity::PrivateKey attestation = integrity::PrivateKey::generate();
    bool refuseDecisions = false;
    base::Bytes nodeId = base::Bytes(16, 0x42);

    seuicc::IvSedStatus status() override {
        seuicc::IvSedStatus s;
        s.lifecycle = 0x07;
        s.nodeId = nodeId;
        s.manifestVersion = manifest_.version;
        s.reportCounter = counter_;
        s.manifestDigest = securechannel::sha256(payload_);
        s.attestationPublicKey = attestation.publicKey().point();
        s.policyKeyId = policyKeyId_;
        return s;
    }
    std::vector<seuicc::IvResult> compare(std::span<const seuicc::CompareEntry> entries) override {
        results_.clear();
        measured_.clear();
        for (const auto& e : entries) {
            const auto& object = manifest_.objects.at(e.index);
            const auto result = !e.sha256                    ? seuicc::IvResult::Absent
                                : *e.sha256 == object.sha256 ? seuicc::IvResult::Success
                                                             : seuicc::IvResult::Fail;
            results_.push_back(result);
            if (e.sha256) {
                measured_.push_back({object.name, *e.sha256});
            }
        }
        return results_;
    }
    seuicc::IvSedClient::SignedReport signReport(base::ByteView nonce, std::optional<std::uint64_t>,
                                                 std::optional<base::ByteView> submods) override {
        integrity::EatClaims c;
        if (submods) {  // copied as the card does; a map it would refuse is MalformedInput here
            c.submods = integrity::decodeSubmods(*submods);
        }
        c.nonce.assign(nonce.begin(), nonce.end());
        c.ueid = base::Bytes{0x01};
        c.ueid.insert(c.ueid.end(), nodeId.begin(), nodeId.end());
        c.measurements = measured_;
        for (std::size_t i = 0; i < results_.size(); ++i) {
            c.results.push_back({manifest_.objects[i].name,
                                 static_cast<integrity::MeasurementResult>(results_[i])});
        }
        c.manifestVersion = manifest_.version;
        c.counter = ++counter_;
        last_ = c;
        return {integrity::CoseSign1::sign(attestation, c.encode(), attestation.publicKey().keyId())
                    .encode(),
                counter_};
    }
    seuicc::IvSedClient::DecisionCheck verifyDecision(base::ByteView decision) override {
        if (refuseDecisions) {
            throw seuicc::IvSignatureInvalid(0x6300, "IV-SED VERIFY DECISION");
        }
        const auto d = integrity::Decision::decode(decision);
        return {static_cast<std::uint8_t>(d.claims.verdict), d.claims.counter};
    }
    seuicc::IvSedClient::InstalledManifest installManifest(base::ByteView) override {
        throw std::logic_error("not used");
    }

    const integrity::EatClaims& last() const { return last_; }

private:
    integrity::Manifest manifest_;
    base::Bytes payload_;
    base::Bytes policyKeyId_;
    std::uint32_t counter_ = 0;
    std::vector<seuicc::IvResult> results_;
    std::vector<integrity::Measurement> measured_;
    integrity::EatClaims last_;
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

    // The IV-SED, when the test gives the card one (integrity validation).
    std::optional<MemoryIvSed> ivSed;

    const seuicc::SedStatus& open() override;
    void run(const std::function<void(provisioning::CardOperations&)>& procedure) override;
    void runWithIvSed(const std::function<void(provisioning::CardOperations&, agent::IvSedPort&)>&
                          procedure) override;
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
    enum class Endpoint { Msbf, Connection, Mid };

    FakeNetwork(agent::AgentClock& clock, seuicc::NodeId node, std::string sclId);

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
    // Integrity validation, when set: the challenge endpoint answers, and a registration or
    // refresh carrying a report gets a decision (verdict full) signed with this policy key.
    std::optional<integrity::PrivateKey> policy;
    std::vector<integrity::Report> reports;  // every report received, decoded

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
    // The NSCL's decision on the report `scl` carries, into `scl` (none without a report).
    void decide(agent::SclRegistration& scl);
    base::Bytes nonce_;

    agent::AgentClock& clock_;
    seuicc::NodeId node_;
    std::string sclId_;
    std::optional<std::string> connected_;  // the kept-alive identity
    securechannel::tls::ClientCounters counters_;
};

}  // namespace agenttest
