// M2mSedClient: GET DATA parsing, the command coding of M2M-SED.md §2-§4, trace redaction of
// key-bearing commands, and the status word -> typed error table. The card is a MemoryTransport
// answering from a script; the secure channel is a fake SecureTunnel that records inner APDUs.
#include <catch2/catch.hpp>

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "freed_memory_watch.hpp"
#include "log_capture.hpp"
#include "scripted_card.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/memory_transport.hpp"
#include "seuicc/tlv.hpp"

using namespace seuicc;
using seuicc_test::ScriptedCard;
using seuicc_test::sw;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {

// The inner APDUs a client sends through the tunnel, and scripted inner answers.
class FakeTunnel final : public SecureTunnel {
public:
    std::deque<ResponseApdu> answers;
    std::vector<CommandApdu> sent;

    ResponseApdu transmit(const Transaction&, const CommandApdu& inner) override {
        sent.push_back(inner);
        REQUIRE_FALSE(answers.empty());
        ResponseApdu r = answers.front();
        answers.pop_front();
        return r;
    }
};

Bytes tlv(std::uint32_t tag, const std::string& hex) {
    return encodeTlv(tag, fromHex(hex));
}

using base::concat;

Bytes text(std::string_view s) {
    return Bytes(s.begin(), s.end());
}

// A personalised and operational M2M-SED's GET DATA answer, every field present.
Bytes fullGetData() {
    return concat({
        tlv(0xC0, "07"), tlv(0xCF, "03"), tlv(0xC1, "000102030405060708090A0B0C0D0E0F"),
        tlv(0xC2, "0000012C"), tlv(0xC3, "0000000077359400"),  // 2000000000 s
        encodeTlv(0xC4, text("scl://node-1.m2m.example")),
        encodeTlv(0xC5, text("https://nscl-a.example/m2m https://nscl-b.example/m2m")),
        encodeTlv(0xC6, text("mas.m2m.example")), tlv(0xC7, "FFFFFFFE"),
        tlv(0xC8, "0102030405060708"), tlv(0xC9, "0000000077359464"),  // 2000000100 s
        tlv(0xE1, "A1A2A3"), tlv(0xE2, "B1B2B3"), tlv(0xE4, "D1D2D3"),
        tlv(0xEE, "CAFE"),  // a tag a later applet may add: skipped
    });
}

template <typename Error>
void requireSedError(const std::function<void()>& call, std::uint16_t expectedSw) {
    try {
        call();
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.sw() == expectedSw);
        CHECK(dynamic_cast<const CardStatusError*>(&e) != nullptr);
    }
}

}  // namespace

TEST_CASE("M2M-SED AID and command constants follow the contract", "[m2m-sed]") {
    CHECK(toHex(M2mSedClient::kAid) == "F04D324D53454401");
    CHECK(std::string(M2mSedClient::kAid.begin() + 1, M2mSedClient::kAid.end() - 1) == "M2MSED");
}

TEST_CASE("GET DATA: every field parsed", "[m2m-sed][status]") {
    const SedStatus s = SedStatus::parse(fullGetData());
    CHECK(s.lifecycle == SedLifecycle::Locked);
    CHECK(toString(s.lifecycle) == "LOCKED");
    CHECK(s.adminTriesLeft == 3u);
    REQUIRE(s.nodeId);
    CHECK(toHex(*s.nodeId) == "000102030405060708090A0B0C0D0E0F");
    CHECK(s.kmrIndex == 300u);
    REQUIRE(s.kmrExpiry);
    CHECK(*s.kmrExpiry == system_clock::time_point(seconds(2000000000)));
    CHECK(s.sclId == "scl://node-1.m2m.example");
    CHECK(s.nsclList ==
          std::vector<std::string>{"https://nscl-a.example/m2m", "https://nscl-b.example/m2m"});
    CHECK(s.masFqdn == "mas.m2m.example");
    CHECK(s.kmcIndex == 0xFFFFFFFEu);
    CHECK(s.connectionId == 0x0102030405060708u);
    REQUIRE(s.kmcExpiry);
    CHECK(*s.kmcExpiry == system_clock::time_point(seconds(2000000100)));
    REQUIRE(s.kcv.kmr);
    CHECK(toHex(*s.kcv.kmr) == "A1A2A3");
    CHECK(toHex(*s.kcv.kmc) == "B1B2B3");
    CHECK_FALSE(s.kcv.kbs);
    CHECK(toHex(*s.kcv.kmsa) == "D1D2D3");
    CHECK_FALSE(s.kcv.kiv);
}

TEST_CASE("GET DATA: a blank applet has only its lifecycle and tries", "[m2m-sed][status]") {
    const SedStatus s = SedStatus::parse(concat({tlv(0xC0, "01"), tlv(0xCF, "03")}));
    CHECK(s.lifecycle == SedLifecycle::Installed);
    CHECK(s.adminTriesLeft == 3u);
    CHECK_FALSE(s.nodeId);
    CHECK_FALSE(s.kmrIndex);
    CHECK_FALSE(s.kmrExpiry);
    CHECK(s.nsclList.empty());
    CHECK_FALSE(s.kcv.kmsa);
}

TEST_CASE("GET DATA: malformed answers are SedMalformedResponse", "[m2m-sed][status]") {
    const auto bad = [](const Bytes& data) {
        CHECK_THROWS_AS(SedStatus::parse(data), SedMalformedResponse);
    };
    bad(tlv(0xCF, "03"));                                           // no lifecycle
    bad(tlv(0xC0, "05"));                                           // unknown lifecycle
    bad(tlv(0xC0, "0307"));                                         // lifecycle of 2 bytes
    bad(concat({tlv(0xC0, "03"), tlv(0xC1, "0001")}));              // short node id
    bad(concat({tlv(0xC0, "03"), tlv(0xC2, "000001")}));            // 3-byte index
    bad(concat({tlv(0xC0, "03"), tlv(0xE4, "D1D2")}));              // 2-byte KCV
    bad(concat({tlv(0xC0, "03"), tlv(0xC3, "FFFFFFFFFFFFFFFF")}));  // beyond the clock
    bad(concat({tlv(0xC0, "03"), encodeTlv(0xC5, text("a  b"))}));  // empty NSCL entry
    bad(concat({tlv(0xC0, "03"), encodeTlv(0xC5, text("a "))}));
    bad(concat({tlv(0xC0, "03"), encodeTlv(0xC4, Bytes(129, 'x'))}));  // SCL-ID too long
    bad(fromHex("C0 02 03"));                                          // truncated TLV
}

TEST_CASE("status() sends GET DATA 80 CA 00 FF 00 and maps its status word", "[m2m-sed][status]") {
    ScriptedCard card;
    card.respond = [](const CommandApdu&) { return sw(0x9000, fullGetData()); };
    Transaction tx(card.transport);
    CardChannel channel(card.transport);
    M2mSedClient client(channel);
    CHECK(client.status(tx).lifecycle == SedLifecycle::Locked);
    REQUIRE(card.received.size() == 1);
    CHECK(toHex(card.received[0].encode()) == "80CA00FF00");
    // The next GET DATA asks for the length of the last answer: no 6Cxx round on a T=0 card
    // while the public data keep their size.
    CHECK(client.status(tx).lifecycle == SedLifecycle::Locked);
    CHECK(toHex(card.received[1].encode()) ==
          "80CA00FF" + toHex(Bytes{static_cast<std::uint8_t>(fullGetData().size())}));

    card.respond = [](const CommandApdu&) { return sw(0x6D00); };
    requireSedError<SedNotSupported>([&] { client.status(tx); }, 0x6D00);
}

TEST_CASE("select(): SELECT by AID without FCP; 6A82 is SedNotInstalled", "[m2m-sed]") {
    ScriptedCard card;
    card.respond = [](const CommandApdu&) { return sw(0x9000); };
    Transaction tx(card.transport);
    CardChannel channel(card.transport);
    M2mSedClient client(channel);
    client.select(tx);
    CHECK(toHex(card.received.back().encode()) == "00A4040C08F04D324D53454401");

    card.respond = [](const CommandApdu&) { return sw(0x6A82); };
    requireSedError<SedNotInstalled>([&] { client.select(tx); }, 0x6A82);
}

TEST_CASE("VERIFY ADMIN: coding, redaction, tries left, blocked", "[m2m-sed][perso]") {
    ScriptedCard card;
    Transaction tx(card.transport);
    CardChannel channel(card.transport);
    M2mSedClient client(channel);
    const Bytes code = fromHex("3132333435363738");

    card.respond = [](const CommandApdu&) { return sw(0x9000); };
    {
        LogCapture log("apdu=trace");
        client.verifyAdmin(tx, code);
        CHECK(log.text().find("3132333435363738") == std::string::npos);
        CHECK(log.text().find("[8 bytes redacted]") != std::string::npos);
    }
    CHECK(toHex(card.received.back().encode()) == "0020008108" + toHex(code));

    card.respond = [](const CommandApdu&) { return sw(0x63C2); };
    try {
        client.verifyAdmin(tx, code);
        FAIL("accepted");
    } catch (const AdminCodeRejected& e) {
        CHECK(e.triesLeft() == 2);
        CHECK(e.sw() == 0x63C2);
    }
    card.respond = [](const CommandApdu&) { return sw(0x63C0); };
    try {
        client.verifyAdmin(tx, code);
        FAIL("accepted");
    } catch (const AdminCodeRejected& e) {
        CHECK(e.triesLeft() == 0);
    }
    card.respond = [](const CommandApdu&) { return sw(0x6983); };
    requireSedError<AdminBlocked>([&] { client.verifyAdmin(tx, code); }, 0x6983);
    card.respond = [](const CommandApdu&) { return sw(0x6985); };
    requireSedError<SedLocked>([&] { client.verifyAdmin(tx, code); }, 0x6985);

    const std::size_t sent = card.received.size();
    CHECK_THROWS_AS(client.verifyAdmin(tx, fromHex("31323334")), SedInvalidArgument);
    CHECK(card.received.size() == sent);
}

TEST_CASE("STORE DATA: packing, P1 clear-first, keys never in clear in the trace",
          "[m2m-sed][perso]") {
    ScriptedCard card;
    card.respond = [](const CommandApdu&) { return sw(0x9000); };
    Transaction tx(card.transport);
    CardChannel channel(card.transport);
    M2mSedClient client(channel);

    const Bytes kmr(32, 0xA5);
    const Bytes kmsa = fromHex("404142434445464748494A4B4C4D4E4F");
    const Bytes kiv(32, 0x5A);
    const std::vector<std::string> nscl{std::string(120, 'n'), std::string(100, 'm')};
    const std::vector<SedItem> items{
        SedItem::nodeId(fromHex("000102030405060708090A0B0C0D0E0F")),
        SedItem::key(SedKeySlot::Kmr, kmr),
        SedItem::kmrIndex(7),
        SedItem::kmrExpiry(system_clock::time_point(seconds(0x01020304))),
        SedItem::sclId(std::string(100, 's')),
        SedItem::nsclList(nscl),
        SedItem::masFqdn("mas.example"),
        SedItem::key(SedKeySlot::Kmsa, kmsa),
        SedItem::key(SedKeySlot::Kiv, kiv),
    };
    LogCapture log("apdu=trace");
    const std::size_t commands = client.storeData(tx, items, /*clearFirst=*/true);

    // Public: C1 (18) + C2 (6) + C3 (10) + C4 (102) = 136; C5 (224) alone; C6 (13) after it.
    // Keys: D1 (34) + D4 (18) + D5 (34) = 86 in one redacted command.
    REQUIRE(commands == 3);
    REQUIRE(card.received.size() == 3);
    CHECK(card.received[0].p1 == 0x01);
    CHECK(card.received[1].p1 == 0x00);
    CHECK(card.received[2].p1 == 0x00);
    for (const CommandApdu& c : card.received) {
        CHECK(c.cla == 0x80);
        CHECK(c.ins == 0xE2);
        CHECK(c.p2 == 0x00);
        CHECK(c.data.size() <= 255);
        CHECK_FALSE(c.le);
    }
    const auto tlvs0 = parseTlvs(card.received[0].data);
    REQUIRE(tlvs0.size() == 4);
    CHECK(tlvs0[0].tag == 0xC1);
    CHECK(toHex(tlvs0[1].value) == "00000007");
    CHECK(toHex(tlvs0[2].value) == "0000000001020304");
    CHECK(tlvs0[3].tag == 0xC4);
    const auto tlvs1 = parseTlvs(card.received[1].data);
    REQUIRE(tlvs1.size() == 2);
    CHECK(tlvs1[0].tag == 0xC5);
    CHECK(tlvs1[0].value.size() == 221);
    CHECK(tlvs1[0].value[120] == ' ');
    CHECK(tlvs1[1].tag == 0xC6);
    const auto keys = parseTlvs(card.received[2].data);
    REQUIRE(keys.size() == 3);
    CHECK(keys[0].tag == 0xD1);
    CHECK(keys[0].value == kmr);
    CHECK(keys[1].tag == 0xD4);
    CHECK(keys[1].value == kmsa);
    CHECK(keys[2].tag == 0xD5);

    const std::string trace = log.text();
    CHECK(trace.find(toHex(kmsa)) == std::string::npos);
    CHECK(trace.find("A5A5A5A5") == std::string::npos);
    CHECK(trace.find("[86 bytes redacted]") != std::string::npos);
    CHECK(trace.find("C110000102030405060708090A0B0C0D0E0F") != std::string::npos);
}

TEST_CASE("VERIFY ADMIN and STORE DATA free no unwiped copy of the code or a key",
          "[m2m-sed][perso][secret]") {
    // A card that answers 9000 and copies nothing (the transport's own record of what was sent
    // outlives the watches).
    MemoryTransport transport(seuicc_test::kScriptedAtr, [](ByteView) {
        return Bytes{0x90, 0x00};
    });
    Transaction tx(transport);
    CardChannel channel(transport);
    M2mSedClient client(channel);
    const Bytes code = fromHex("8A3F1C5E77D20B49");
    {
        testsupport::FreedMemoryWatch watch(code);
        client.verifyAdmin(tx, code);
        CHECK(watch.frees() > 0);
        CHECK(watch.unwipedFrees() == 0);
    }
    const Bytes kmr = fromHex("D1C2B3A4958677685A4B3C2D1E0F11223344556677889900AABBCCDDEEFF0102");
    const Bytes kmsa = fromHex("404142434445464748494A4B4C4D4E4F");
    const std::vector<SedItem> items{
        SedItem::nodeId(fromHex("000102030405060708090A0B0C0D0E0F")),
        SedItem::sclId("m2m:scl/device-0001"),
        SedItem::key(SedKeySlot::Kmr, kmr),
        SedItem::key(SedKeySlot::Kmsa, kmsa),
    };
    for (const Bytes* key : {&kmr, &kmsa}) {
        testsupport::FreedMemoryWatch watch(*key);
        CHECK(client.storeData(tx, items, /*clearFirst=*/true) == 2);
        CHECK(watch.frees() > 0);
        CHECK(watch.unwipedFrees() == 0);
    }
    CHECK(transport.sent().size() == 5);
}

TEST_CASE("STORE DATA items refuse what the contract does not allow", "[m2m-sed][perso]") {
    CHECK_THROWS_AS(SedItem::nodeId(Bytes(15)), SedInvalidArgument);
    CHECK_THROWS_AS(SedItem::key(SedKeySlot::Kmr, Bytes(16)), SedInvalidArgument);
    CHECK_THROWS_AS(SedItem::key(SedKeySlot::Kmsa, Bytes(32)), SedInvalidArgument);
    CHECK_THROWS_AS(SedItem::sclId(""), SedInvalidArgument);
    CHECK_THROWS_AS(SedItem::sclId(std::string(129, 'x')), SedInvalidArgument);
    CHECK_THROWS_AS(SedItem::masFqdn(std::string(129, 'x')), SedInvalidArgument);
    const std::vector<std::string> spaced{"a b"};
    CHECK_THROWS_AS(SedItem::nsclList(spaced), SedInvalidArgument);
    const std::vector<std::string> tooLong{std::string(200, 'a'), std::string(55, 'b')};
    CHECK_THROWS_AS(SedItem::nsclList(tooLong), SedInvalidArgument);
    CHECK_THROWS_AS(SedItem::kmrExpiry(system_clock::time_point(seconds(-1))), SedInvalidArgument);
    const Bytes key(16, 1);
    const SedItem item = SedItem::key(SedKeySlot::Kmsa, key);
    CHECK(item.sensitive());
    CHECK(item.value().data() == key.data());  // a view: no copy of the key is kept
}

TEST_CASE("A 255-byte NSCL list goes alone in an extended STORE DATA", "[m2m-sed][perso]") {
    ScriptedCard card;
    card.respond = [](const CommandApdu&) { return sw(0x9000); };
    Transaction tx(card.transport);
    CardChannel channel(card.transport);
    M2mSedClient client(channel);
    const std::vector<std::string> nscl{std::string(255, 'n')};
    const std::vector<SedItem> items{SedItem::nsclList(nscl), SedItem::masFqdn("m")};
    CHECK(client.storeData(tx, items, false) == 2);
    CHECK(card.received[0].data.size() == 258);
    CHECK(card.received[0].isExtended());
    CHECK(card.received[1].data.size() == 3);
}

TEST_CASE("COMMIT and LOCK coding", "[m2m-sed][perso]") {
    ScriptedCard card;
    card.respond = [](const CommandApdu&) { return sw(0x9000); };
    Transaction tx(card.transport);
    CardChannel channel(card.transport);
    M2mSedClient client(channel);
    client.commit(tx, false);
    client.commit(tx, true);
    client.lock(tx);
    REQUIRE(card.received.size() == 3);
    CHECK(toHex(card.received[0].encode()) == "80E80100");
    CHECK(toHex(card.received[1].encode()) == "80E80300");
    CHECK(toHex(card.received[2].encode()) == "80E80200");
}

TEST_CASE("Personalisation status words map to typed errors", "[m2m-sed][perso][errors]") {
    ScriptedCard card;
    Transaction tx(card.transport);
    CardChannel channel(card.transport);
    M2mSedClient client(channel);
    const std::vector<SedItem> items{SedItem::masFqdn("mas.example")};
    std::uint16_t answer = 0x9000;
    card.respond = [&answer](const CommandApdu&) { return sw(answer); };

    const auto store = [&] { client.storeData(tx, items, false); };
    const auto commit = [&] { client.commit(tx, false); };
    const auto lock = [&] { client.lock(tx); };

    answer = 0x6982;
    requireSedError<SedSecurityNotSatisfied>(store, 0x6982);
    requireSedError<SedSecurityNotSatisfied>(commit, 0x6982);
    requireSedError<SedSecurityNotSatisfied>(lock, 0x6982);
    answer = 0x6985;
    requireSedError<SedLocked>(store, 0x6985);
    requireSedError<SedIncomplete>(commit, 0x6985);
    requireSedError<SedWrongState>(lock, 0x6985);
    answer = 0x6A80;
    requireSedError<SedWrongData>(store, 0x6A80);
    answer = 0x6A86;
    requireSedError<SedWrongParameters>(commit, 0x6A86);
    answer = 0x6700;
    requireSedError<SedWrongLength>(store, 0x6700);
    answer = 0x6E00;
    requireSedError<SedNotSupported>(lock, 0x6E00);
    answer = 0x6F00;
    try {
        store();
        FAIL("accepted");
    } catch (const SedError& e) {
        CHECK(e.sw() == 0x6F00);
        CHECK(typeid(e) == typeid(SedError));
        CHECK(std::string(e.what()).find("STORE DATA") != std::string::npos);
    }
}

TEST_CASE("COMPUTE MASTER SECRET goes through the tunnel only", "[m2m-sed][operational]") {
    ScriptedCard card;
    card.respond = [](const CommandApdu&) { return sw(0x6F00); };
    Transaction tx(card.transport);
    CardChannel channel(card.transport);
    M2mSedClient client(channel);
    FakeTunnel tunnel;

    Bytes seed(64);
    for (std::size_t i = 0; i < seed.size(); ++i) {
        seed[i] = static_cast<std::uint8_t>(i);
    }
    Bytes secret(48, 0x42);
    tunnel.answers.push_back(sw(0x9000, secret));
    const base::SecretBuffer ms =
        client.computeMasterSecret(tx, tunnel, KeySlot::Kmr, MasterSecretMode::Plain, seed);
    CHECK(ms.size() == 48);
    CHECK(Bytes(ms.view().begin(), ms.view().end()) == secret);
    REQUIRE(tunnel.sent.size() == 1);
    // Le 30: the exact answer, so the tunnel reads the protected response in one go.
    CHECK(toHex(tunnel.sent[0].encode()) == "8040010040" + toHex(seed) + "30");
    CHECK(card.received.empty());  // nothing went to the card in clear

    const Bytes hash(32, 0x11);
    tunnel.answers.push_back(sw(0x9000, secret));
    (void)client.computeMasterSecret(tx, tunnel, KeySlot::Kbs, MasterSecretMode::Extended, hash);
    CHECK(toHex(tunnel.sent[1].encode()) == "8040030120" + toHex(hash) + "30");

    tunnel.answers.push_back(sw(0x6A88));
    requireSedError<SedKeyMissing>(
        [&] {
            (void)client.computeMasterSecret(tx, tunnel, KeySlot::Kmc, MasterSecretMode::Plain,
                                             seed);
        },
        0x6A88);
    tunnel.answers.push_back(sw(0x6985));
    requireSedError<SedNotPersonalised>(
        [&] {
            (void)client.computeMasterSecret(tx, tunnel, KeySlot::Kmr, MasterSecretMode::Plain,
                                             seed);
        },
        0x6985);
    tunnel.answers.push_back(sw(0x9000, Bytes(47)));
    CHECK_THROWS_AS(
        client.computeMasterSecret(tx, tunnel, KeySlot::Kmr, MasterSecretMode::Plain, seed),
        SedMalformedResponse);

    const std::size_t sent = tunnel.sent.size();
    CHECK_THROWS_AS(
        client.computeMasterSecret(tx, tunnel, KeySlot::Kmr, MasterSecretMode::Plain, Bytes(63)),
        SedInvalidArgument);
    CHECK_THROWS_AS(
        client.computeMasterSecret(tx, tunnel, KeySlot::Kmr, MasterSecretMode::Extended, Bytes(19)),
        SedInvalidArgument);
    CHECK_THROWS_AS(
        client.computeMasterSecret(tx, tunnel, KeySlot::Kmr, MasterSecretMode::Extended, Bytes(65)),
        SedInvalidArgument);
    CHECK(tunnel.sent.size() == sent);
}

TEST_CASE("DERIVE EXPORTED KEY and ACTIVATE KEY coding and errors", "[m2m-sed][operational]") {
    ScriptedCard card;
    Transaction tx(card.transport);
    CardChannel channel(card.transport);
    M2mSedClient client(channel);
    FakeTunnel tunnel;
    const Bytes clientRandom(32, 0xC1);
    const Bytes serverRandom(32, 0x5E);

    tunnel.answers.push_back(sw(0x9000, fromHex("ABCDEF")));
    const KeyCheckValue kcv =
        client.deriveExportedKey(tx, tunnel, ExportTarget::Kmc, clientRandom, serverRandom);
    CHECK(toHex(kcv) == "ABCDEF");
    CHECK(toHex(tunnel.sent.back().encode()) ==
          "8042020040" + toHex(clientRandom) + toHex(serverRandom) + "03");  // Le: a KCV

    tunnel.answers.push_back(sw(0x6985));
    requireSedError<SedNoMasterSecret>(
        [&] {
            (void)client.deriveExportedKey(tx, tunnel, ExportTarget::Kmr, clientRandom,
                                           serverRandom);
        },
        0x6985);
    tunnel.answers.push_back(sw(0x9000, fromHex("ABCD")));
    CHECK_THROWS_AS(
        client.deriveExportedKey(tx, tunnel, ExportTarget::Kmr, clientRandom, serverRandom),
        SedMalformedResponse);

    tunnel.answers.push_back(sw(0x9000));
    client.activateKey(tx, tunnel, ExportTarget::Kmc, 0x11223344,
                       system_clock::time_point(seconds(0x0A0B0C0D)), 0x0102030405060708);
    CHECK(toHex(tunnel.sent.back().encode()) ==
          "8044020014"
          "11223344"
          "000000000A0B0C0D"
          "0102030405060708");
    tunnel.answers.push_back(sw(0x9000));
    client.activateKey(tx, tunnel, ExportTarget::Kmr, 1, system_clock::time_point(seconds(2)),
                       std::nullopt);
    CHECK(toHex(tunnel.sent.back().encode()) == "804401000C000000010000000000000002");

    tunnel.answers.push_back(sw(0x6985));
    requireSedError<SedNoPendingKey>(
        [&] {
            client.activateKey(tx, tunnel, ExportTarget::Kmr, 1, system_clock::time_point{},
                               std::nullopt);
        },
        0x6985);
    CHECK_THROWS_AS(client.activateKey(tx, tunnel, ExportTarget::Kmc, 1, system_clock::time_point{},
                                       std::nullopt),
                    SedInvalidArgument);
    CHECK_THROWS_AS(
        client.activateKey(tx, tunnel, ExportTarget::Kmr, 1, system_clock::time_point{}, 5),
        SedInvalidArgument);
    CHECK(card.received.empty());
}
