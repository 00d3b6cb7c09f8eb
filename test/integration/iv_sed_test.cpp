// The IV-SED (se-uicc/applet/IV-SED.md) over real pcscd + vpcd + jCardSim, driven by
// IvSedClient: personalisation, its own TS 102 484 session under Kmsa_iv, manifests, reports
// checked with OpenSSL itself, decisions, isolation from the M2M-SED, and power loss.
#include <openssl/evp.h>

#include <catch2/catch.hpp>

#include <algorithm>

#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/errors.hpp"
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

// What GET DATA says about the manifest and the counter.
struct Held {
    std::uint32_t version = 0;
    Bytes digest;
    std::uint32_t counter = 0;
    bool operator==(const Held&) const = default;
};

Held held(IvConnection& c) {
    const IvSedStatus s = c.iv.status(c.tx);
    return {s.manifestVersion, s.manifestDigest, s.reportCounter};
}

// Traffic of the exchanges recorded since `from`: APDUs and bytes both ways.
struct Traffic {
    std::size_t apdus = 0;
    std::size_t bytes = 0;
};
Traffic trafficSince(const IvConnection& c, std::size_t from) {
    Traffic t;
    const auto& ex = c.wire.exchanges();
    for (std::size_t i = from; i < ex.size(); ++i) {
        ++t.apdus;
        t.bytes += ex[i].command.size() + ex[i].response.size();
    }
    return t;
}

// The measurements of testManifest's objects 0..3: success, fail, absent, and 3 never
// mentioned (not run).
std::vector<CompareEntry> fourEntries() {
    return {{0, Bytes(32, 0x10)}, {1, Bytes(32, 0xEE)}, {2, std::nullopt}};
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

TEST_CASE("INSTALL MANIFEST: a good one is held; bad ones are typed errors and change nothing",
          "[integration][iv-sed][manifest]") {
    IvSedCard sim;
    sim.personalise();
    auto c = sim.connect();
    auto tsed = sim.terminal();
    auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);

    const Bytes good = sim.manifest(5, 12);
    const auto payload = integrity::CoseSign1::decode(good).payload;
    const std::size_t mark = c->wire.exchanges().size();
    const auto installed = c->iv.installManifest(c->tx, *session, good);
    const Traffic t = trafficSince(*c, mark);
    WARN("INSTALL MANIFEST of a " << good.size() << "-byte manifest (payload " << payload.size()
                                  << "): " << t.apdus << " APDUs, " << t.bytes << " bytes");
    CHECK(installed.version == 5);
    CHECK(installed.payloadSha256 == sha256(payload));
    const Held five = held(*c);
    CHECK(five == Held{5, sha256(payload), 0});

    // A flipped bit of the signature.
    Bytes tampered = sim.manifest(6);
    tampered.back() ^= 0x01;
    CHECK_THROWS_AS(c->iv.installManifest(c->tx, *session, tampered), IvSignatureInvalid);
    CHECK(held(*c) == five);
    // Signed by a key the card was not personalised with.
    const integrity::PrivateKey other = integrity::PrivateKey::generate();
    CHECK_THROWS_AS(
        c->iv.installManifest(c->tx, *session,
                              testsupport::signManifest(other, testsupport::testManifest(7, 2))),
        IvSignatureInvalid);
    CHECK(held(*c) == five);
    // Rollback: equal and older versions.
    CHECK_THROWS_AS(c->iv.installManifest(c->tx, *session, sim.manifest(5)), IvVersionNotNewer);
    CHECK_THROWS_AS(c->iv.installManifest(c->tx, *session, sim.manifest(4)), IvVersionNotNewer);
    CHECK(held(*c) == five);
    // Malformed: a signed payload that is not a manifest, and a truncated message.
    const Bytes notManifest =
        integrity::CoseSign1::sign(sim.signers().reference, fromHex("A10106"), std::nullopt)
            .encode();
    CHECK_THROWS_AS(c->iv.installManifest(c->tx, *session, notManifest), IvMalformed);
    const Bytes next = sim.manifest(8);
    CHECK_THROWS_AS(c->iv.installManifest(c->tx, *session, ByteView(next).first(next.size() - 1)),
                    IvMalformed);
    // 17 objects, one beyond the card's limit: signed, so only the shape refuses it. The
    // library will not encode it; the array head of a 16-object payload (A2 01 09 02 90 ...) is
    // raised to 17 by hand and one more object appended.
    Bytes payload17 = testsupport::testManifest(9, 16).encodePayload();
    REQUIRE(payload17[4] == 0x90);
    payload17[4] = 0x91;
    const Bytes one = testsupport::testManifest(9, 1).encodePayload();
    payload17.insert(payload17.end(), one.begin() + 5, one.end());
    CHECK_THROWS_AS(
        c->iv.installManifest(
            c->tx, *session,
            integrity::CoseSign1::sign(sim.signers().reference, payload17, {}).encode()),
        IvMalformed);
    CHECK(held(*c) == five);

    // A newer one is taken, and survives a reset of the card.
    CHECK(c->iv.installManifest(c->tx, *session, next).version == 8);
    const Held eight = held(*c);
    c.reset();
    sim.card().restart();
    auto d = sim.connect();
    CHECK(held(*d) == eight);
}

TEST_CASE("COMPARE + SIGN REPORT: the card's EAT, checked with OpenSSL and the formats library",
          "[integration][iv-sed][report]") {
    IvSedCard sim;
    const Bytes attestation = sim.personalise();
    auto c = sim.connect();
    auto tsed = sim.terminal();
    auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);
    c->iv.installManifest(c->tx, *session, sim.manifest(3, 4));

    const std::size_t mark = c->wire.exchanges().size();
    const auto results = c->iv.compare(c->tx, *session, fourEntries());
    const Bytes nonce = fromHex("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF");
    const auto report = c->iv.signReport(c->tx, *session, nonce, 1767225600u);
    const Traffic t = trafficSince(*c, mark);
    WARN("COMPARE (4 objects) + SIGN REPORT + READ OUTPUT: "
         << t.apdus << " APDUs, " << t.bytes << " bytes; report " << report.coseSign1.size()
         << " bytes");
    CHECK(results == std::vector<IvResult>{IvResult::Success, IvResult::Fail, IvResult::Absent});
    CHECK(report.counter == 1);
    CHECK(held(*c).counter == 1);

    // OpenSSL alone: the Sig_structure over the payload, under the point GET DATA shows.
    const auto envelope = integrity::CoseSign1::decode(report.coseSign1);
    CHECK(testsupport::opensslVerifiesEs256(attestation, envelope.payload, envelope.signature));
    Bytes forged = envelope.payload;
    forged.back() ^= 0x01;
    CHECK_FALSE(testsupport::opensslVerifiesEs256(attestation, forged, envelope.signature));

    // The formats library: every claim.
    const auto decoded = integrity::Report::decode(report.coseSign1);
    decoded.verifyWith(integrity::PublicKey::fromPoint(attestation));
    CHECK(envelope.kid == integrity::PublicKey::fromPoint(attestation).keyId());
    const auto& claims = decoded.claims;
    CHECK(claims.iat == 1767225600u);
    CHECK(claims.nonce == nonce);
    CHECK(claims.ueid == base::concat({Bytes{0x01}, sim.keys().nodeId}));
    CHECK(claims.manifestVersion == 3);
    CHECK(claims.counter == 1);
    REQUIRE(claims.measurements.size() == 2);
    CHECK(claims.measurements[0].name == "@agent");
    CHECK(claims.measurements[0].sha256 == Bytes(32, 0x10));
    CHECK(claims.measurements[1].sha256 == Bytes(32, 0xEE));
    REQUIRE(claims.results.size() == 4);
    CHECK(claims.results[0].result == integrity::MeasurementResult::Success);
    CHECK(claims.results[1].result == integrity::MeasurementResult::Fail);
    CHECK(claims.results[2].result == integrity::MeasurementResult::Absent);
    CHECK(claims.results[3].result == integrity::MeasurementResult::NotRun);
    CHECK(claims.results[3].name == "lib/object-3");
    CHECK_FALSE(claims.passes(testsupport::testManifest(3, 4)));

    // A second report: a new counter, and a new ECDSA nonce (r) for the same message content.
    const auto again = c->iv.signReport(c->tx, *session, nonce, 1767225600u);
    CHECK(again.counter == 2);
    const auto envelope2 = integrity::CoseSign1::decode(again.coseSign1);
    CHECK(Bytes(envelope.signature.begin(), envelope.signature.begin() + 32) !=
          Bytes(envelope2.signature.begin(), envelope2.signature.begin() + 32));
    // Without iat, and with the shortest nonce.
    const auto plain = c->iv.signReport(c->tx, *session, Bytes(8, 0x5A), std::nullopt);
    CHECK_FALSE(integrity::Report::decode(plain.coseSign1).claims.iat);
    // Out of range for the card: an index beyond the manifest records nothing.
    CHECK_THROWS_AS(c->iv.compare(c->tx, *session, std::vector<CompareEntry>{{4, Bytes(32, 1)}}),
                    IvMalformed);
}

TEST_CASE("SIGN REPORT P1 01: a gateway's submods, signed verbatim as claim 266",
          "[integration][iv-sed][report][submods]") {
    IvSedCard sim;
    const Bytes attestation = sim.personalise();
    auto c = sim.connect();
    auto tsed = sim.terminal();
    auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);
    c->iv.installManifest(c->tx, *session, sim.manifest(3, 4));
    c->iv.compare(c->tx, *session, fourEntries());

    std::vector<integrity::Submodule> submods(2);
    submods[0].name = "0102030405060708090a0b0c0d0e0f10";
    submods[0].ueid = fromHex("010102030405060708090A0B0C0D0E0F10");
    submods[0].counter = 12;
    submods[0].verdict = integrity::Verdict::Partial;
    submods[0].allowed = {"/m2m/scls/dev/applications", "/m2m/scls/dev/containers"};
    submods[0].attested = true;
    submods[1].name = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
    submods[1].ueid = fromHex("01A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
    submods[1].verdict = integrity::Verdict::Full;
    const Bytes map = integrity::encodeSubmods(submods);
    const Bytes nonce(32, 0x3C);

    std::size_t mark = c->wire.exchanges().size();
    const auto plain = c->iv.signReport(c->tx, *session, nonce, 1767225600u);
    const Traffic withoutSubmods = trafficSince(*c, mark);
    mark = c->wire.exchanges().size();
    const auto report = c->iv.signReport(c->tx, *session, nonce, 1767225600u, map);
    const Traffic withSubmods = trafficSince(*c, mark);
    WARN("SIGN REPORT + READ OUTPUT: " << withoutSubmods.apdus << " APDUs, report "
                                       << plain.coseSign1.size() << " bytes; with 2 submods ("
                                       << map.size() << " bytes): " << withSubmods.apdus
                                       << " APDUs, report " << report.coseSign1.size() << " bytes");
    CHECK(report.counter == 2);

    const auto envelope = integrity::CoseSign1::decode(report.coseSign1);
    CHECK(testsupport::opensslVerifiesEs256(attestation, envelope.payload, envelope.signature));
    const auto decoded = integrity::Report::decode(report.coseSign1);
    decoded.verifyWith(integrity::PublicKey::fromPoint(attestation));
    CHECK(decoded.claims.submods == submods);
    CHECK(decoded.claims.counter == 2);
    CHECK(decoded.claims.nonce == nonce);
    // The same claims as the plain report but for 266 and the counter: the library re-encodes the
    // card's payload byte for byte (so 266 sits where deterministic order puts it).
    CHECK(decoded.claims.encode() == envelope.payload);
    auto withoutThem = decoded.claims;
    withoutThem.submods.clear();
    withoutThem.counter = 1;
    CHECK(withoutThem.encode() == integrity::CoseSign1::decode(plain.coseSign1).payload);
}

TEST_CASE("SIGN REPORT P1 01 refusals: a malformed or too large submods map moves no counter",
          "[integration][iv-sed][report][submods]") {
    IvSedCard sim;
    sim.personalise();
    auto c = sim.connect();
    auto tsed = sim.terminal();
    auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);
    c->iv.installManifest(c->tx, *session, sim.manifest(3, 16));
    const Bytes nonce(32, 0x3C);
    c->iv.signReport(c->tx, *session, nonce, std::nullopt);
    const Held before = held(*c);
    REQUIRE(before.counter == 1);

    integrity::Submodule device;
    device.name = "0102030405060708090a0b0c0d0e0f10";
    device.ueid = fromHex("010102030405060708090A0B0C0D0E0F10");
    device.verdict = integrity::Verdict::Full;
    auto other = device;
    other.name = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
    Bytes unsorted = integrity::encodeSubmods({device, other});
    const std::string first = device.name;
    auto at = std::search(unsorted.begin(), unsorted.end(), first.begin(), first.end());
    REQUIRE(at != unsorted.end());
    *at = 'b';  // "b102..." now sorts after "a0a1...", which follows it
    Bytes trailing = integrity::encodeSubmods({device});
    trailing.push_back(0x00);
    Bytes nine = fromHex("A9");
    for (char name = 'a'; name < 'a' + 9; ++name) {
        nine.insert(nine.end(), {0x61, static_cast<std::uint8_t>(name), 0xA0});
    }
    Bytes longName = fromHex("A17841");
    longName.insert(longName.end(), 65, 'n');
    longName.push_back(0xA0);

    for (const Bytes& malformed :
         {fromHex("80"), fromHex("A0"), fromHex("BF616140FF"), fromHex("A1616101"),
          fromHex("A10161A0"), fromHex("A161611A00000001"), unsorted, trailing, nine, longName}) {
        INFO(toHex(malformed));
        CHECK_THROWS_AS(c->iv.signReport(c->tx, *session, nonce, std::nullopt, malformed),
                        IvMalformed);
    }
    CHECK(held(*c) == before);

    // Within the card's limits as a map, but a 16-object report with it overflows the output.
    std::vector<integrity::Submodule> large;
    for (int i = 0; i < 8; ++i) {
        auto d = device;
        d.name = std::string(1, static_cast<char>('a' + i)) + device.name.substr(1);
        d.verdict = integrity::Verdict::Partial;
        d.allowed = {std::string(200, 'p'), std::string(200, 'q')};
        large.push_back(d);
    }
    const Bytes tooLarge = integrity::encodeSubmods(large);
    REQUIRE(tooLarge.size() < 4096);
    CHECK_THROWS_AS(c->iv.signReport(c->tx, *session, nonce, std::nullopt, tooLarge), IvTooLarge);
    CHECK(held(*c) == before);

    // The input buffer does not outlive a SIGN REPORT: a map loaded before a P1 00 report is gone
    // for a P1 01 sent without a new LOAD BLOCK.
    const Bytes map = integrity::encodeSubmods({device});
    session->transmit(c->tx, CommandApdu{0x80, 0x50, 0x00, 0x00, map, std::nullopt});
    CHECK(
        integrity::Report::decode(c->iv.signReport(c->tx, *session, nonce, std::nullopt).coseSign1)
            .claims.submods.empty());
    const auto bare = session->transmit(
        c->tx, CommandApdu{0x80, 0x56, 0x01, 0x00, base::concat({Bytes{32}, nonce}), 6u});
    CHECK(bare.sw == 0x6A80);
    CHECK(held(*c).counter == before.counter + 1);
    // And one that works after all that.
    const auto report = c->iv.signReport(c->tx, *session, nonce, std::nullopt, map);
    CHECK(integrity::Report::decode(report.coseSign1).claims.submods.size() == 1);
}

TEST_CASE("VERIFY DECISION: the policy key's answer to the last report only",
          "[integration][iv-sed][decision]") {
    IvSedCard sim;
    sim.personalise();
    auto c = sim.connect();
    auto tsed = sim.terminal();
    auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);
    c->iv.installManifest(c->tx, *session, sim.manifest(1, 2));
    c->iv.compare(c->tx, *session,
                  std::vector<CompareEntry>{{0, Bytes(32, 0x10)}, {1, Bytes(32, 0x11)}});
    const Bytes nonce(32, 0x7E);
    const auto report = c->iv.signReport(c->tx, *session, nonce, std::nullopt);

    integrity::DecisionClaims claims;
    claims.node = base::concat({Bytes{0x01}, sim.keys().nodeId});
    claims.nonce = nonce;
    claims.counter = report.counter;
    claims.verdict = integrity::Verdict::Partial;
    claims.allowed = {"/applications"};
    claims.iat = 1767225600;
    claims.exp = 1767225600 + 3600;
    const auto& policy = sim.signers().policy;

    const auto check =
        c->iv.verifyDecision(c->tx, *session, testsupport::signDecision(policy, claims));
    CHECK(check.verdict == 1);
    CHECK(check.counter == report.counter);

    // Signed by another key (the reference-value key is not the policy key).
    CHECK_THROWS_AS(
        c->iv.verifyDecision(c->tx, *session,
                             testsupport::signDecision(sim.signers().reference, claims)),
        IvSignatureInvalid);
    auto stale = claims;
    stale.nonce = Bytes(32, 0x7F);
    CHECK_THROWS_AS(c->iv.verifyDecision(c->tx, *session, testsupport::signDecision(policy, stale)),
                    IvDecisionNotFresh);
    stale = claims;
    stale.counter = report.counter - 1;
    CHECK_THROWS_AS(c->iv.verifyDecision(c->tx, *session, testsupport::signDecision(policy, stale)),
                    IvDecisionNotFresh);
    stale = claims;
    stale.node.back() ^= 0x01;
    CHECK_THROWS_AS(c->iv.verifyDecision(c->tx, *session, testsupport::signDecision(policy, stale)),
                    IvDecisionNotFresh);
    CHECK_THROWS_AS(
        c->iv.verifyDecision(c->tx, *session,
                             integrity::CoseSign1::sign(policy, fromHex("A0"), {}).encode()),
        IvMalformed);
    // A new report makes the old decision stale.
    c->iv.signReport(c->tx, *session, nonce, std::nullopt);
    CHECK_THROWS_AS(
        c->iv.verifyDecision(c->tx, *session, testsupport::signDecision(policy, claims)),
        IvDecisionNotFresh);
}

TEST_CASE("IV-SED: two reports' ECDSA r differ across cards too", "[integration][iv-sed][random]") {
    std::vector<Bytes> rs;
    for (int i = 0; i < 2; ++i) {
        IvSedCard sim;
        sim.personalise();
        auto c = sim.connect();
        auto tsed = sim.terminal();
        auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);
        c->iv.installManifest(c->tx, *session, sim.manifest(1, 1));
        const auto r = c->iv.signReport(c->tx, *session, Bytes(8, 1), std::nullopt);
        const auto sig = integrity::CoseSign1::decode(r.coseSign1).signature;
        rs.emplace_back(sig.begin(), sig.begin() + 32);
    }
    CHECK(rs[0] != rs[1]);
}

TEST_CASE("power loss at every APDU of manifest loading: the old manifest or the new one",
          "[integration][iv-sed][manifest][tear]") {
    IvSedCard sim;
    sim.personalise();
    {
        auto c = sim.connect();
        auto tsed = sim.terminal();
        auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);
        c->iv.installManifest(c->tx, *session, sim.manifest(1, 8));
    }
    // A clean run's APDU count (connection, session and loading), as the card counts them.
    std::uint64_t total = 0;
    const auto install = [&](std::uint32_t version) {
        auto c = sim.connect();
        auto tsed = sim.terminal();
        auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);
        c->iv.installManifest(c->tx, *session, sim.manifest(version, 8));
    };
    {
        const auto before = sim.card().status()["apdus"].get<std::uint64_t>();
        install(2);
        total = sim.card().status()["apdus"].get<std::uint64_t>() - before;
    }
    REQUIRE(total > 8);
    std::vector<std::string> tears;
    for (std::uint64_t n = 1; n <= total; ++n) {
        tears.push_back("tear apdu " + std::to_string(n));
    }
    tears.push_back("tear point iv-manifest");
    std::uint32_t version = 2;
    for (const std::string& tear : tears) {
        INFO(tear << " of " << total);
        Held before;
        {
            auto c = sim.connect();
            before = held(*c);
        }
        const Bytes next = sim.manifest(version + 1, 8);
        const Bytes nextDigest = sha256(integrity::CoseSign1::decode(next).payload);
        sim.card().control(tear);
        CHECK_THROWS(install(version + 1));
        sim.card().waitInserted();
        CHECK(sim.card().status()["tears"].get<int>() >= 1);
        auto c = sim.connect();
        const Held after = held(*c);
        const bool old = after == before;
        const bool fresh = after.version == version + 1 && after.digest == nextDigest &&
                           after.counter == before.counter;
        CHECK((old || fresh));
        version = after.version;
    }
    // And the card still takes the next one.
    install(version + 1);
    auto c = sim.connect();
    CHECK(held(*c).version == version + 1);
}

TEST_CASE("power loss after the counter moved: that counter value is never signed",
          "[integration][iv-sed][report][tear]") {
    IvSedCard sim;
    sim.personalise();
    auto open = [&](auto&& body) {
        auto c = sim.connect();
        auto tsed = sim.terminal();
        auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, IvSedClient::kAid);
        body(*c, *session);
    };
    open([&](IvConnection& c, SecureTunnel& s) {
        c.iv.installManifest(c.tx, s, sim.manifest(1, 1));
        CHECK(c.iv.signReport(c.tx, s, Bytes(8, 1), std::nullopt).counter == 1);
    });
    sim.card().control("tear point iv-counter");
    CHECK_THROWS(open([&](IvConnection& c, SecureTunnel& s) {
        c.iv.signReport(c.tx, s, Bytes(8, 2), std::nullopt);
    }));
    sim.card().waitInserted();
    open([&](IvConnection& c, SecureTunnel& s) {
        CHECK(held(c).counter == 2);  // moved, lost
        CHECK(c.iv.signReport(c.tx, s, Bytes(8, 3), std::nullopt).counter == 3);
    });
}
