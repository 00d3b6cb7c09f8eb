// The IV-SED (se-uicc/applet/IV-SED.md) over real pcscd + vpcd + jCardSim, driven by
// IvSedClient: personalisation, its own TS 102 484 session under Kmsa_iv, manifests, reports
// checked with OpenSSL itself, decisions, isolation from the M2M-SED, and power loss.
#include <openssl/evp.h>

#include <catch2/catch.hpp>

#include "iv_sed_fixture.hpp"
#include "securechannel/ts102484/errors.hpp"

using namespace seuicc;
using testsupport::IvConnection;
using testsupport::IvSedCard;

namespace {

Bytes sha256(ByteView data) {
    Bytes out(32);
    unsigned int n = 0;
    REQUIRE(EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr) == 1);
    return out;
}

Bytes keyId(ByteView point) {
    Bytes id = sha256(point);
    id.resize(8);
    return id;
}

}  // namespace

TEST_CASE("IV-SED personalisation: VERIFY ADMIN, STORE DATA, GENERATE KEY, COMMIT, LOCK",
          "[integration][iv-sed][perso]") {
    IvSedCard sim;
    auto c = sim.connect();
    const auto& k = sim.keys();

    const IvSedStatus blank = c->iv.status(c->tx);
    CHECK(blank.lifecycle == 0x01);
    CHECK(blank.adminTriesLeft == 3u);
    CHECK(blank.nodeId.empty());
    CHECK(blank.attestationPublicKey.empty());
    CHECK(blank.manifestVersion == 0);
    CHECK(blank.reportCounter == 0);

    // Nothing without VERIFY ADMIN; COMMIT without every field refused.
    CHECK_THROWS_AS(c->iv.storeData(c->tx, {.nodeId = k.nodeId}), SedSecurityNotSatisfied);
    CHECK_THROWS_AS(c->iv.generateAttestationKey(c->tx), SedSecurityNotSatisfied);
    c->iv.verifyAdmin(c->tx, k.adminCode);
    c->iv.storeData(c->tx, {.nodeId = k.nodeId, .kmsaIv = k.kmsaIv});
    CHECK_THROWS_AS(c->iv.commit(c->tx, false), IvWrongState);
    // A point off P-256 is refused at STORE DATA.
    Bytes offCurve = k.referencePoint;
    offCurve[64] ^= 0x01;
    CHECK_THROWS_AS(c->iv.storeData(c->tx, {.referenceKeyPoint = offCurve}), IvMalformed);
    c->iv.storeData(c->tx,
                    {.referenceKeyPoint = k.referencePoint, .policyKeyPoint = k.policyPoint});
    CHECK_THROWS_AS(c->iv.commit(c->tx, false), IvWrongState);  // no attestation key yet
    const Bytes first = c->iv.generateAttestationKey(c->tx);
    const Bytes point = c->iv.generateAttestationKey(c->tx);  // the pending one is replaced
    CHECK(first != point);
    CHECK(c->iv.status(c->tx).lifecycle == 0x01);  // nothing visible before COMMIT
    c->iv.commit(c->tx, false);

    const IvSedStatus s = c->iv.status(c->tx);
    CHECK(s.lifecycle == 0x03);
    CHECK(s.nodeId == k.nodeId);
    CHECK(s.attestationPublicKey == point);
    CHECK(s.referenceKeyId == keyId(k.referencePoint));
    CHECK(s.policyKeyId == keyId(k.policyPoint));
    CHECK(s.kmsaCheckValue == sim.terminal().kmsaCheckValue());
    CHECK(s.manifestVersion == 0);
    CHECK(s.manifestDigest.empty());

    c->iv.lock(c->tx);
    CHECK(c->iv.status(c->tx).lifecycle == 0x07);
    CHECK_THROWS_AS(c->iv.storeData(c->tx, {.nodeId = k.nodeId}), IvWrongState);
    CHECK_THROWS_AS(c->iv.generateAttestationKey(c->tx), IvWrongState);
    CHECK(c->iv.status(c->tx).attestationPublicKey == point);
}

TEST_CASE("IV-SED: its own secure channel under Kmsa_iv; operational commands only inside",
          "[integration][iv-sed][secure-channel]") {
    IvSedCard sim;
    sim.personalise();
    auto c = sim.connect();
    auto tsed = sim.terminal();

    // In clear: 6982.
    const Bytes manifest(100, 0xA0);
    const CommandApdu loadInClear{0x80, 0x50, 0x00, 0x00, manifest, std::nullopt};
    CHECK(c->channel.transmit(c->tx, loadInClear).sw == 0x6982);

    auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);
    REQUIRE(session->state() == securechannel::ts102484::SessionState::Open);
    const IvSedStatus before = c->iv.status(c->tx);
    CHECK_THROWS_AS(c->iv.compare(c->tx, *session, std::vector<CompareEntry>{{0, Bytes(32, 1)}}),
                    IvWrongState);
    CHECK_THROWS_AS(c->iv.signReport(c->tx, *session, Bytes(8, 1), std::nullopt), IvWrongState);
    CHECK_THROWS_AS(c->iv.installManifest(c->tx, *session, manifest), IvMalformed);
    CHECK_THROWS_AS(c->iv.verifyDecision(c->tx, *session, manifest), IvWrongState);
    const IvSedStatus after = c->iv.status(c->tx);
    CHECK(after.manifestVersion == before.manifestVersion);
    CHECK(after.reportCounter == before.reportCounter);
}

TEST_CASE("IV-SED: two cards generate different attestation keys",
          "[integration][iv-sed][random]") {
    Bytes a, b;
    {
        IvSedCard sim;
        a = sim.personalise();
    }
    {
        IvSedCard sim;  // a new JVM: an unseeded DRBG would give the same key again
        b = sim.personalise();
    }
    CHECK(a.size() == 65);
    CHECK(a != b);
}

TEST_CASE("IV-SED and M2M-SED are isolated: channels, keys, admin codes",
          "[integration][iv-sed][isolation]") {
    IvSedCard sim(/*withSed=*/true);
    sim.personalise();
    auto c = sim.connect();
    M2mSedClient& sed = c->sed();

    // The M2M-SED's channel reaches the M2M-SED: the IV-SED's commands are unknown there.
    auto sedSession = sim.sed().terminal().openSession(c->tx, *c->sedChannel, c->info.iccidRaw,
                                                       M2mSedClient::kAid);
    CHECK_THROWS_AS(c->iv.installManifest(c->tx, *sedSession, Bytes(10, 1)), SedNotSupported);
    CHECK_THROWS_AS(c->iv.signReport(c->tx, *sedSession, Bytes(8, 1), std::nullopt),
                    SedNotSupported);
    // And the reverse.
    auto ivSession =
        sim.terminal().openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);
    Bytes seed(64, 0x42);
    CHECK_THROWS_AS(
        sed.computeMasterSecret(c->tx, *ivSession, KeySlot::Kmr, MasterSecretMode::Plain, seed),
        SedNotSupported);
    // A session to the IV-SED under the M2M-SED's Kmsa fails its SSCMAC check.
    CHECK_THROWS_AS(
        sim.sed().terminal().openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid),
        securechannel::AuthenticationFailed);

    // A wrong admin code on one does not count on the other.
    CHECK_THROWS_AS(c->iv.verifyAdmin(c->tx, Bytes(8, 0x30)), AdminCodeRejected);
    CHECK(c->iv.status(c->tx).adminTriesLeft == 2u);
    CHECK(sed.status(c->tx).adminTriesLeft == 3u);
    CHECK_THROWS_AS(sed.verifyAdmin(c->tx, Bytes(8, 0x30)), SedError);
    CHECK(sed.status(c->tx).adminTriesLeft == 2u);
    CHECK(c->iv.status(c->tx).adminTriesLeft == 2u);
}

TEST_CASE("power loss at every APDU of IV-SED personalisation: blank or personalised",
          "[integration][iv-sed][perso][tear]") {
    std::uint64_t total = 0;
    {
        IvSedCard sim;
        const auto before = sim.card().status()["apdus"].get<std::uint64_t>();
        sim.personalise();
        total = sim.card().status()["apdus"].get<std::uint64_t>() - before;
    }
    REQUIRE(total >= 6);
    INFO("IV-SED personalisation sends " << total << " APDUs, connection included");
    std::vector<std::string> tears;
    for (std::uint64_t n = 1; n <= total; ++n) {
        tears.push_back("tear apdu " + std::to_string(n));
    }
    tears.push_back("tear point iv-perso-commit");
    for (const std::string& tear : tears) {
        INFO(tear);
        IvSedCard sim;
        sim.card().control(tear);
        CHECK_THROWS(sim.personalise());
        sim.card().waitInserted();
        CHECK(sim.card().status()["tears"] == 1);

        auto c = sim.connect();
        const IvSedStatus s = c->iv.status(c->tx);
        const bool blank = s.lifecycle == 0x01 && s.nodeId.empty() &&
                           s.attestationPublicKey.empty() && s.kmsaCheckValue.empty() &&
                           s.referenceKeyId.empty() && s.policyKeyId.empty();
        const bool complete = s.lifecycle == 0x03 && !s.nodeId.empty() &&
                              s.attestationPublicKey.size() == 65 && s.kmsaCheckValue.size() == 3 &&
                              s.referenceKeyId.size() == 8 && s.policyKeyId.size() == 8;
        CHECK((blank || complete));
        // A re-run completes either way (the admin code is not spent: a tear after the
        // decrement leaves 2 tries, and a match restores 3).
        c.reset();
        sim.personalise();
        auto d = sim.connect();
        CHECK(d->iv.status(d->tx).lifecycle == 0x03);
    }
}
