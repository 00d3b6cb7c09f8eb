// IvSedClient: GET DATA parsing, the command coding of IV-SED.md §2-§4 (block loading, COMPARE
// packing, READ OUTPUT), trace redaction of Kmsa_iv, and the status word -> typed error table.
// The card is a MemoryTransport answering from a script; the IV-SED's channel is a fake
// SecureTunnel that records inner APDUs.
#include <catch2/catch.hpp>

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "log_capture.hpp"
#include "scripted_card.hpp"
#include "seuicc/iv_sed_client.hpp"
#include "seuicc/iv_sed_errors.hpp"
#include "seuicc/tlv.hpp"

using namespace seuicc;
using seuicc_test::ScriptedCard;
using seuicc_test::sw;

namespace {

class FakeTunnel final : public SecureTunnel {
public:
    std::function<ResponseApdu(const CommandApdu&)> respond = [](const CommandApdu&) {
        return sw(0x9000);
    };
    std::vector<CommandApdu> sent;

    ResponseApdu transmit(const Transaction&, const CommandApdu& inner) override {
        sent.push_back(inner);
        return respond(inner);
    }
};

template <typename Error>
void requireIvError(const std::function<void()>& call, std::uint16_t expectedSw) {
    try {
        call();
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.sw() == expectedSw);
    }
}

Bytes point(std::uint8_t fill) {
    Bytes p(65, fill);
    p[0] = 0x04;
    return p;
}

struct Fixture {
    ScriptedCard card;
    Transaction tx{card.transport};
    CardChannel channel{card.transport};
    IvSedClient client{channel};
    FakeTunnel tunnel;
};

}  // namespace

TEST_CASE("IV-SED AID follows the contract", "[iv-sed]") {
    CHECK(toHex(IvSedClient::kAid) == "F04D324D49565301");
    CHECK(std::string(IvSedClient::kAid.begin() + 1, IvSedClient::kAid.end() - 1) == "M2MIVS");
}

TEST_CASE("IV-SED GET DATA: every field parsed, sizes enforced", "[iv-sed][status]") {
    const Bytes all = base::concat({
        encodeTlv(0xC0, fromHex("03")),
        encodeTlv(0xCF, fromHex("02")),
        encodeTlv(0xC1, Bytes(16, 0x11)),
        encodeTlv(0xD0, fromHex("00000007")),
        encodeTlv(0xD1, fromHex("0000012C")),
        encodeTlv(0xD2, Bytes(32, 0x22)),
        encodeTlv(0xD3, point(0x33)),
        encodeTlv(0xD4, Bytes(8, 0x44)),
        encodeTlv(0xD5, Bytes(8, 0x55)),
        encodeTlv(0xE4, fromHex("A1A2A3")),
    });
    const IvSedStatus s = IvSedStatus::parse(all);
    CHECK(s.lifecycle == 0x03);
    CHECK(s.adminTriesLeft == 2u);
    CHECK(s.nodeId == Bytes(16, 0x11));
    CHECK(s.manifestVersion == 7);
    CHECK(s.reportCounter == 300);
    CHECK(s.manifestDigest == Bytes(32, 0x22));
    CHECK(s.attestationPublicKey == point(0x33));
    CHECK(s.referenceKeyId == Bytes(8, 0x44));
    CHECK(s.policyKeyId == Bytes(8, 0x55));
    CHECK(toHex(s.kmsaCheckValue) == "A1A2A3");

    CHECK_THROWS_AS(IvSedStatus::parse(fromHex("C00103D003000001")), IvMalformedResponse);
    CHECK_THROWS_AS(IvSedStatus::parse(fromHex("C00109")), IvMalformedResponse);
    CHECK_THROWS_AS(IvSedStatus::parse(fromHex("CF0103")), IvMalformedResponse);
    CHECK_THROWS_AS(IvSedStatus::parse(fromHex("C00103C1")), IvMalformedResponse);
    CHECK(IvSedStatus::parse(fromHex("C00101CF0103")).manifestVersion == 0);
}

TEST_CASE("IV-SED personalisation coding; Kmsa_iv never in clear in the trace", "[iv-sed][perso]") {
    Fixture f;
    f.card.respond = [](const CommandApdu& c) {
        return c.ins == 0x48 ? sw(0x9000, point(0x77)) : sw(0x9000);
    };
    const Bytes kmsa = fromHex("505152535455565758595A5B5C5D5E5F");
    LogCapture log("apdu=trace");
    f.client.verifyAdmin(f.tx, fromHex("3132333435363738"));
    f.client.storeData(f.tx, {.nodeId = Bytes(16, 0x01),
                              .kmsaIv = kmsa,
                              .referenceKeyPoint = point(0x0A),
                              .policyKeyPoint = point(0x0B)});
    CHECK(f.client.generateAttestationKey(f.tx) == point(0x77));
    f.client.commit(f.tx, /*lock=*/false);
    f.client.lock(f.tx);

    const auto& r = f.card.received;
    REQUIRE(r.size() == 6);
    CHECK(toHex(r[0].encode()) == "0020008108" + toHex(fromHex("3132333435363738")));
    // C1 + E1 + E2 = 18 + 67 + 67 in one public command; D4 alone, redacted.
    CHECK(r[1].ins == 0xE2);
    CHECK(r[1].data.size() == 152);
    const auto pub = parseTlvs(r[1].data);
    REQUIRE(pub.size() == 3);
    CHECK(pub[0].tag == 0xC1);
    CHECK(pub[1].tag == 0xE1);
    CHECK(pub[2].tag == 0xE2);
    CHECK(toHex(r[2].data) == "D410" + toHex(kmsa));
    CHECK(toHex(r[3].encode()) == "8048000041");
    CHECK(toHex(r[4].encode()) == "80E80100");
    CHECK(toHex(r[5].encode()) == "80E80200");
    const std::string trace = log.text();
    CHECK(trace.find(toHex(kmsa)) == std::string::npos);
    CHECK(trace.find("[18 bytes redacted]") != std::string::npos);

    CHECK_THROWS_AS(f.client.storeData(f.tx, {.nodeId = Bytes(15, 0x01)}), SedInvalidArgument);
    CHECK_THROWS_AS(f.client.storeData(f.tx, {}), SedInvalidArgument);
}

TEST_CASE("IV-SED personalisation status words map to typed errors", "[iv-sed][errors]") {
    Fixture f;
    const auto store = [&] { f.client.storeData(f.tx, {.nodeId = Bytes(16, 1)}); };
    const auto commit = [&] { f.client.commit(f.tx, false); };
    const auto select = [&] { f.client.select(f.tx); };
    const auto respondWith = [&](std::uint16_t w) {
        f.card.respond = [w](const CommandApdu&) { return sw(w); };
    };
    respondWith(0x6A82);
    requireIvError<IvSedNotInstalled>(select, 0x6A82);
    respondWith(0x63C1);
    requireIvError<AdminCodeRejected>([&] { f.client.verifyAdmin(f.tx, Bytes(8, 0x30)); }, 0x63C1);
    respondWith(0x6983);
    requireIvError<AdminBlocked>([&] { f.client.verifyAdmin(f.tx, Bytes(8, 0x30)); }, 0x6983);
    respondWith(0x6982);
    requireIvError<SedSecurityNotSatisfied>(store, 0x6982);
    respondWith(0x6985);
    requireIvError<IvWrongState>(commit, 0x6985);
    requireIvError<IvWrongState>([&] { f.client.generateAttestationKey(f.tx); }, 0x6985);
    respondWith(0x6A80);
    requireIvError<IvMalformed>(store, 0x6A80);
    respondWith(0x6700);
    requireIvError<SedWrongLength>(store, 0x6700);
}

TEST_CASE("INSTALL MANIFEST: 240-byte LOAD BLOCKs, then INSTALL with its exact Le",
          "[iv-sed][operational]") {
    Fixture f;
    Bytes answer = fromHex("00000009");
    answer.resize(36, 0xAB);
    f.tunnel.respond = [&](const CommandApdu& c) {
        return c.ins == 0x52 ? sw(0x9000, answer) : sw(0x9000);
    };
    const Bytes manifest(1000, 0x5C);
    const auto installed = f.client.installManifest(f.tx, f.tunnel, manifest);
    CHECK(installed.version == 9);
    CHECK(installed.payloadSha256 == Bytes(32, 0xAB));
    REQUIRE(f.tunnel.sent.size() == 6);  // ceil(1000 / 240) = 5 blocks + INSTALL
    Bytes joined;
    for (std::size_t i = 0; i < 5; ++i) {
        const CommandApdu& b = f.tunnel.sent[i];
        CHECK(b.cla == 0x80);
        CHECK(b.ins == 0x50);
        CHECK(b.p1 == (i == 0 ? 0x00 : 0x01));
        CHECK_FALSE(b.le);
        joined.insert(joined.end(), b.data.begin(), b.data.end());
    }
    CHECK(f.tunnel.sent[0].data.size() == 240);
    CHECK(joined == manifest);
    CHECK(toHex(f.tunnel.sent[5].encode()) == "8052000024");
    CHECK(f.card.received.empty());  // nothing in clear

    CHECK_THROWS_AS(f.client.installManifest(f.tx, f.tunnel, Bytes(4097, 1)), SedInvalidArgument);
    CHECK_THROWS_AS(f.client.installManifest(f.tx, f.tunnel, Bytes{}), SedInvalidArgument);

    for (const auto& [word, check] : std::vector<std::pair<std::uint16_t, std::function<void()>>>{
             {0x6300,
              [&] {
                  requireIvError<IvSignatureInvalid>(
                      [&] { f.client.installManifest(f.tx, f.tunnel, manifest); }, 0x6300);
              }},
             {0x6984,
              [&] {
                  requireIvError<IvVersionNotNewer>(
                      [&] { f.client.installManifest(f.tx, f.tunnel, manifest); }, 0x6984);
              }},
             {0x6A80,
              [&] {
                  requireIvError<IvMalformed>(
                      [&] { f.client.installManifest(f.tx, f.tunnel, manifest); }, 0x6A80);
              }},
             {0x6985,
              [&] {
                  requireIvError<IvWrongState>(
                      [&] { f.client.installManifest(f.tx, f.tunnel, manifest); }, 0x6985);
              }},
         }) {
        f.tunnel.respond = [w = word](const CommandApdu& c) {
            return c.ins == 0x52 ? sw(w) : sw(0x9000);
        };
        check();
    }
    f.tunnel.respond = [](const CommandApdu&) { return sw(0x6A84); };
    requireIvError<IvTooLarge>([&] { f.client.installManifest(f.tx, f.tunnel, manifest); }, 0x6A84);
}

TEST_CASE("COMPARE: entries packed up to 255 bytes, absent ones as index | 80",
          "[iv-sed][operational]") {
    Fixture f;
    f.tunnel.respond = [](const CommandApdu& c) { return sw(0x9000, Bytes(*c.le, 0x01)); };
    std::vector<CompareEntry> entries;
    for (std::uint8_t i = 0; i < 10; ++i) {
        entries.push_back({i, i == 3 ? std::nullopt : std::optional<Bytes>(Bytes(32, i))});
    }
    const auto results = f.client.compare(f.tx, f.tunnel, entries);
    CHECK(results.size() == 10);
    REQUIRE(f.tunnel.sent.size() == 2);
    // 7 entries: 3 × 33 + 1 + 3 × 33 = 199; the 8th (33) still fits (232); the 9th not.
    CHECK(f.tunnel.sent[0].p1 == 0x00);
    CHECK(f.tunnel.sent[0].data.size() == 232);
    CHECK(*f.tunnel.sent[0].le == 8);
    CHECK(f.tunnel.sent[0].data[99] == 0x83);
    CHECK(f.tunnel.sent[1].p1 == 0x01);
    CHECK(*f.tunnel.sent[1].le == 2);

    f.tunnel.respond = [](const CommandApdu&) { return sw(0x9000, Bytes{0x09}); };
    CHECK_THROWS_AS(f.client.compare(f.tx, f.tunnel, std::span(entries).first(1)),
                    IvMalformedResponse);
    CHECK_THROWS_AS(f.client.compare(f.tx, f.tunnel, std::vector<CompareEntry>{{0, Bytes(31)}}),
                    SedInvalidArgument);
    f.tunnel.respond = [](const CommandApdu&) { return sw(0x6985); };
    requireIvError<IvWrongState>([&] { f.client.compare(f.tx, f.tunnel, entries); }, 0x6985);
}

TEST_CASE("SIGN REPORT then READ OUTPUT in 256-byte pieces", "[iv-sed][operational]") {
    Fixture f;
    Bytes report(600);
    for (std::size_t i = 0; i < report.size(); ++i) {
        report[i] = static_cast<std::uint8_t>(i);
    }
    f.tunnel.respond = [&](const CommandApdu& c) {
        if (c.ins == 0x56) {
            return sw(0x9000, fromHex("025800000011"));
        }
        const std::size_t off = (std::size_t{c.p1} << 8) | c.p2;
        const std::size_t n = std::min<std::size_t>(*c.le, report.size() - off);
        return sw(0x9000, Bytes(report.begin() + static_cast<std::ptrdiff_t>(off),
                                report.begin() + static_cast<std::ptrdiff_t>(off + n)));
    };
    const Bytes nonce = fromHex("0102030405060708");
    const auto signedReport = f.client.signReport(f.tx, f.tunnel, nonce, 1700000000u);
    CHECK(signedReport.coseSign1 == report);
    CHECK(signedReport.counter == 0x11);
    REQUIRE(f.tunnel.sent.size() == 4);
    CHECK(toHex(f.tunnel.sent[0].encode()) == "8056000011080102030405060708000000006553F10006");
    CHECK(toHex(f.tunnel.sent[1].encode()) == "8058000000");
    CHECK(toHex(f.tunnel.sent[2].encode()) == "8058010000");
    CHECK(toHex(f.tunnel.sent[3].encode()) == "8058020058");

    CHECK_THROWS_AS(f.client.signReport(f.tx, f.tunnel, Bytes(7), std::nullopt),
                    SedInvalidArgument);
    CHECK_THROWS_AS(f.client.signReport(f.tx, f.tunnel, Bytes(65), std::nullopt),
                    SedInvalidArgument);
    f.tunnel.respond = [](const CommandApdu&) { return sw(0x6985); };
    requireIvError<IvWrongState>([&] { f.client.signReport(f.tx, f.tunnel, nonce, {}); }, 0x6985);
}

TEST_CASE("SIGN REPORT with submods: LOAD BLOCKs, then P1 01", "[iv-sed][operational]") {
    Fixture f;
    f.tunnel.respond = [](const CommandApdu& c) {
        if (c.ins == 0x56) {
            return sw(0x9000, fromHex("000400000012"));
        }
        return c.ins == 0x58 ? sw(0x9000, fromHex("D2840000")) : sw(0x9000);
    };
    const Bytes nonce = fromHex("0102030405060708");
    const Bytes submods(300, 0xA1);  // the card checks it; the client only carries it
    const auto signedReport = f.client.signReport(f.tx, f.tunnel, nonce, std::nullopt, submods);
    CHECK(signedReport.counter == 0x12);
    REQUIRE(f.tunnel.sent.size() == 4);
    CHECK(f.tunnel.sent[0].ins == 0x50);
    CHECK(f.tunnel.sent[0].p1 == 0x00);
    CHECK(f.tunnel.sent[0].data == Bytes(240, 0xA1));
    CHECK(f.tunnel.sent[1].ins == 0x50);
    CHECK(f.tunnel.sent[1].p1 == 0x01);
    CHECK(f.tunnel.sent[1].data.size() == 60);
    CHECK(toHex(f.tunnel.sent[2].encode()) ==
          "8056010009080102030405060708"
          "06");
    CHECK(f.tunnel.sent[3].ins == 0x58);

    CHECK_THROWS_AS(f.client.signReport(f.tx, f.tunnel, nonce, std::nullopt, Bytes{}),
                    SedInvalidArgument);
    CHECK_THROWS_AS(f.client.signReport(f.tx, f.tunnel, nonce, std::nullopt, Bytes(4097)),
                    SedInvalidArgument);
    f.tunnel.respond = [](const CommandApdu& c) { return c.ins == 0x56 ? sw(0x6A80) : sw(0x9000); };
    requireIvError<IvMalformed>(
        [&] { f.client.signReport(f.tx, f.tunnel, nonce, std::nullopt, submods); }, 0x6A80);
    f.tunnel.respond = [](const CommandApdu& c) { return c.ins == 0x56 ? sw(0x6A84) : sw(0x9000); };
    requireIvError<IvTooLarge>(
        [&] { f.client.signReport(f.tx, f.tunnel, nonce, std::nullopt, submods); }, 0x6A84);
}

TEST_CASE("VERIFY DECISION coding and its typed errors", "[iv-sed][operational]") {
    Fixture f;
    f.tunnel.respond = [](const CommandApdu& c) {
        return c.ins == 0x5A ? sw(0x9000, fromHex("0100000011")) : sw(0x9000);
    };
    const auto check = f.client.verifyDecision(f.tx, f.tunnel, Bytes(300, 0xD2));
    CHECK(check.verdict == 1);
    CHECK(check.counter == 0x11);
    REQUIRE(f.tunnel.sent.size() == 3);
    CHECK(toHex(f.tunnel.sent[2].encode()) == "805A000005");

    f.tunnel.respond = [](const CommandApdu& c) { return c.ins == 0x5A ? sw(0x6984) : sw(0x9000); };
    requireIvError<IvDecisionNotFresh>(
        [&] { f.client.verifyDecision(f.tx, f.tunnel, Bytes(10, 1)); }, 0x6984);
    f.tunnel.respond = [](const CommandApdu& c) { return c.ins == 0x5A ? sw(0x6300) : sw(0x9000); };
    requireIvError<IvSignatureInvalid>(
        [&] { f.client.verifyDecision(f.tx, f.tunnel, Bytes(10, 1)); }, 0x6300);
    f.tunnel.respond = [](const CommandApdu& c) {
        return c.ins == 0x5A ? sw(0x9000, fromHex("0300000001")) : sw(0x9000);
    };
    CHECK_THROWS_AS(f.client.verifyDecision(f.tx, f.tunnel, Bytes(10, 1)), IvMalformedResponse);
}
