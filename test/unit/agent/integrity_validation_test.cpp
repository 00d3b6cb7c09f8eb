// The agent's side of integrity validation without a card or network: an in-memory IV-SED that
// signs real EATs, an NSCL answering the challenge, decisions signed by a test policy key. What is
// tested: a decision that fails a terminal check (another nonce, another policy key) or the card's
// check is refused with DecisionRefused and nothing of it acts; a valid one runs the recovery
// action (quarantine here) and records it.
#include <catch2/catch.hpp>

#include <fstream>

#include "../secure-channel/test_support.hpp"
#include "agent/integrity_validation.hpp"
#include "fake_parts.hpp"
#include "securechannel/crypto.hpp"
#include "seuicc/iv_sed_errors.hpp"

namespace {

namespace tls = securechannel::tls;

// The challenge endpoint only: a fixed nonce.
class ChallengeOnly final : public tls::HttpsClient {
public:
    base::Bytes nonce = base::Bytes(32, 0x5A);
    tls::HttpResponse perform(const tls::HttpRequest& request, const tls::PskKey&,
                              tls::CardKeyOperations&, tls::Export) override {
        tls::HttpResponse r;
        REQUIRE(request.url.find("/integrity/challenge") != std::string::npos);
        r.status = 201;
        r.body = agent::toXml(agent::IntegrityChallenge{
            nonce, std::chrono::system_clock::now() + std::chrono::minutes(2)});
        return r;
    }
    void closeConnections() override {}
    const tls::ClientCounters& counters() const override { return counters_; }

private:
    tls::ClientCounters counters_;
};

class NoCard final : public provisioning::CardOperations {
public:
    base::SecretBuffer computeMasterSecret(seuicc::KeySlot, seuicc::MasterSecretMode,
                                           base::ByteView) override {
        throw std::logic_error("not used");
    }
    seuicc::KeyCheckValue deriveExportedKey(seuicc::ExportTarget, base::ByteView,
                                            base::ByteView) override {
        throw std::logic_error("not used");
    }
    void activateKey(seuicc::ExportTarget, std::uint32_t, std::chrono::system_clock::time_point,
                     std::optional<std::uint64_t>) override {}
    provisioning::AkaAnswer authenticateGbaBootstrap(const provisioning::AkaChallenge&) override {
        throw std::logic_error("not used");
    }
    std::string readImsi() override { return ""; }
    seuicc::M2mSedClient::GbaKey setKeyFromGba(seuicc::ExportTarget, base::ByteView,
                                               std::string_view) override {
        throw std::logic_error("not used");
    }
    void writeGbaBootstrap(const seuicc::GbaBootstrapParams&) override {}
};

struct Bench {
    sctest::TempDir dir;
    integrity::PrivateKey sp = integrity::PrivateKey::generate();
    integrity::PrivateKey policy = integrity::PrivateKey::generate();
    std::optional<agenttest::MemoryIvSed> card;
    ChallengeOnly network;
    NoCard keys;
    agent::MidClient mid{network, "https://nscl.lab.m2m:8443/m2m"};
    std::optional<agent::IntegrityValidator> validator;

    std::filesystem::path plugin() const { return dir.path() / "root" / "plugin.so"; }

    Bench() {
        std::filesystem::create_directories(plugin().parent_path());
        std::ofstream(plugin()) << "tampered";
        integrity::Manifest m;
        m.version = 1;
        m.objects.push_back({"plugin.so", securechannel::sha256(base::asBytes("good")), true,
                             integrity::RecoveryAction::Quarantine});
        const base::Bytes payload = m.encodePayload();
        const base::Bytes envelope = integrity::CoseSign1::sign(sp, payload, std::nullopt).encode();
        std::ofstream(dir.path() / "manifest.cose", std::ios::binary)
            .write(reinterpret_cast<const char*>(envelope.data()),
                   static_cast<std::streamsize>(envelope.size()));
        card.emplace(m, payload, policy.publicKey().keyId());
        agent::IntegrityConfig c;
        c.enabled = true;
        c.root = dir.path() / "root";
        c.manifestFile = dir.path() / "manifest.cose";
        validator.emplace(c, dir.path() / "agent.toml", dir.path() / "state");
        mid.useKey({"node.1", seuicc::KeySlot::Kmc});
    }

    std::string decision(const integrity::PrivateKey& signer, base::Bytes nonce,
                         integrity::Verdict verdict = integrity::Verdict::Partial) {
        integrity::DecisionClaims d;
        d.node = card->last().ueid;
        d.nonce = std::move(nonce);
        d.counter = card->last().counter;
        d.verdict = verdict;
        const auto now = static_cast<std::uint64_t>(std::time(nullptr));
        d.iat = now;
        d.exp = now + 300;
        return integrity::toBase64Url(
            integrity::CoseSign1::sign(signer, d.encode(), signer.publicKey().keyId()).encode());
    }
};

}  // namespace

TEST_CASE("integrity validation: the report carries the card's counter and the failed objects",
          "[integrity]") {
    Bench b;
    const agent::IntegrityValResults r = b.validator->report(b.keys, *b.card, b.mid);
    CHECK(r.ivalResults == 1);  // object 0 failed
    CHECK(r.signedIvalResult == 1);
    const auto report = integrity::Report::decode(integrity::fromBase64Url(r.eat));
    CHECK(report.claims.nonce == b.network.nonce);
    report.verifyWith(b.card->attestation.publicKey());
}

TEST_CASE("integrity validation: a decision failing a check is refused and nothing acts on it",
          "[integrity][neg]") {
    Bench b;
    static_cast<void>(b.validator->report(b.keys, *b.card, b.mid));
    const auto now = std::chrono::system_clock::now();
    // Another nonce: a replayed or mixed-up decision.
    CHECK_THROWS_AS(b.validator->apply(b.decision(b.policy, base::Bytes(32, 0x01)), b.keys, *b.card,
                                       b.mid, now),
                    agent::DecisionRefused);
    // Signed by a key other than the card's policy key.
    const auto other = integrity::PrivateKey::generate();
    CHECK_THROWS_AS(
        b.validator->apply(b.decision(other, b.network.nonce), b.keys, *b.card, b.mid, now),
        agent::DecisionRefused);
    // The card refuses it (its signature check).
    b.card->refuseDecisions = true;
    CHECK_THROWS_AS(
        b.validator->apply(b.decision(b.policy, b.network.nonce), b.keys, *b.card, b.mid, now),
        agent::DecisionRefused);
    // No answer at all.
    CHECK_THROWS_AS(b.validator->apply(std::nullopt, b.keys, *b.card, b.mid, now),
                    agent::DecisionRefused);
    CHECK(std::filesystem::exists(b.plugin()));  // no quarantine ran
    CHECK(b.validator->statusJson()["actions"].empty());
    CHECK(b.validator->verdict() == integrity::Verdict::Deny);
}

TEST_CASE("integrity validation: a valid decision runs the failed object's recovery action",
          "[integrity]") {
    Bench b;
    static_cast<void>(b.validator->report(b.keys, *b.card, b.mid));
    const auto applied = b.validator->apply(b.decision(b.policy, b.network.nonce), b.keys, *b.card,
                                            b.mid, std::chrono::system_clock::now());
    CHECK(applied.verdict == integrity::Verdict::Partial);
    CHECK_FALSE(applied.reportAgain);
    CHECK_FALSE(std::filesystem::exists(b.plugin()));
    const auto status = b.validator->statusJson();
    REQUIRE(status["actions"].size() == 1);
    CHECK(status["actions"][0]["action"] == "quarantine");
    CHECK(status["verdict"] == "partial");
    CHECK(status["last_report"]["passes"] == false);
}

TEST_CASE("integrity validation: a file replaced after its measurement is not quarantined",
          "[integrity]") {
    Bench b;
    static_cast<void>(b.validator->report(b.keys, *b.card, b.mid));
    // Mended while the decision about the tampered content was on its way.
    std::ofstream(b.plugin(), std::ios::trunc) << "good";
    static_cast<void>(b.validator->apply(b.decision(b.policy, b.network.nonce), b.keys, *b.card,
                                         b.mid, std::chrono::system_clock::now()));
    CHECK(std::filesystem::exists(b.plugin()));
    const auto status = b.validator->statusJson();
    REQUIRE(status["actions"].size() == 1);
    CHECK(status["actions"][0]["outcome"].get<std::string>().starts_with("changed since"));
}
