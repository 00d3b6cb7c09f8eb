// The TS 102 484 command coding: MANAGE SECURE CHANNEL chaining (80/00, 63F1/62F3, A0/20, 62F1),
// TRANSACT DATA blocks and the response-block checks, endpoint parsing and the SW -> error table.
// Cards here are scripts on a MemoryTransport; ts102484_endpoint_test.cpp has a card simulator.
#include <catch2/catch.hpp>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "rejection.hpp"
#include "securechannel/ts102484/codec.hpp"
#include "securechannel/ts102484/steps.hpp"
#include "seuicc/memory_transport.hpp"
#include "seuicc/tlv.hpp"

using namespace securechannel;
using namespace securechannel::ts102484;
using base::fromHex;
using base::toHex;
using Reason = SecuredMessageRejected::Reason;
using sctest::rejection;

namespace {

const Bytes kAtr = fromHex("3B9A96803FC7888031E073FE211382900000");

// Answers each command with the next scripted response, whatever it is; records the commands.
struct Script {
    std::deque<Bytes> responses;
    std::vector<std::string> sent;
    seuicc::MemoryTransport transport{kAtr, [this](ByteView c) {
                                          sent.push_back(toHex(c));
                                          REQUIRE_FALSE(responses.empty());
                                          Bytes r = responses.front();
                                          responses.pop_front();
                                          return r;
                                      }};
    explicit Script(std::initializer_list<const char*> hex) {
        for (const char* h : hex) {
            responses.push_back(fromHex(h));
        }
    }
};

Bytes pattern(std::size_t n, std::uint8_t start = 0) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<std::uint8_t>(start + i);
    }
    return out;
}

}  // namespace

TEST_CASE("TLV size helpers", "[ts102484][codec]") {
    CHECK(tlvSize(0) == 2);
    CHECK(tlvSize(127) == 129);
    CHECK(tlvSize(128) == 131);
    CHECK(tlvSize(255) == 258);
    CHECK(tlvSize(256) == 260);
    CHECK(announcedTlvSize(fromHex("86"), 0x86) == std::nullopt);
    CHECK(announcedTlvSize(fromHex("8605"), 0x86) == std::optional<std::size_t>(7));
    CHECK(announcedTlvSize(fromHex("8681"), 0x86) == std::nullopt);
    CHECK(announcedTlvSize(fromHex("868180"), 0x86) == std::optional<std::size_t>(131));
    CHECK(announcedTlvSize(fromHex("86820100"), 0x86) == std::optional<std::size_t>(260));
    CHECK(announcedTlvSize(fromHex("7305"), 0x86) == std::nullopt);
    CHECK(announcedTlvSize(fromHex("8680"), 0x86) == std::nullopt);  // indefinite
    CHECK(exactTlvValue(fromHex("8602AABB"), 0x86).has_value());
    CHECK_FALSE(exactTlvValue(fromHex("8602AABBCC"), 0x86));   // trailing
    CHECK_FALSE(exactTlvValue(fromHex("8603AABB"), 0x86));     // truncated
    CHECK_FALSE(exactTlvValue(fromHex("0086 02AABB"), 0x86));  // padding is not allowed here
}

TEST_CASE("MSC command blocks: TLV 73, P2 80 then 00, at most 255 bytes", "[ts102484][codec]") {
    const auto one = mscCommandBlocks(MscOperation::EstablishConnectionSa, fromHex("8801AA"));
    REQUIRE(one.size() == 1);
    CHECK(toHex(one[0].encode()) == "007302800573038801AA");

    const Bytes payload = pattern(300);
    const auto blocks = mscCommandBlocks(MscOperation::EstablishMasterSa, payload);
    REQUIRE(blocks.size() == 2);  // 73 82 01 2C + 300 = 304 bytes
    CHECK(blocks[0].p1 == 0x01);
    CHECK(blocks[0].p2 == 0x80);
    CHECK(blocks[0].data.size() == 255);
    CHECK(toHex(ByteView(blocks[0].data).first(4)) == "7382012C");
    CHECK(blocks[1].p2 == 0x00);
    CHECK(blocks[1].data.size() == 49);
    CHECK_FALSE(blocks[0].le);
    CHECK(blocks[0].ins == 0x73);
    CHECK(blocks[0].cla == 0x00);

    const auto small = mscCommandBlocks(MscOperation::StartSecureChannel, pattern(20), 8);
    CHECK(small.size() == 3);  // 22 bytes in blocks of 8

    CHECK(toHex(mscResponseBlockRequest(MscOperation::RetrieveEndpoints, true, 256).encode()) ==
          "007300A000");
    CHECK(toHex(mscResponseBlockRequest(MscOperation::StartSecureChannel, false, 20).encode()) ==
          "0073032014");
}

TEST_CASE("MSC exchange: 63F1 while chaining, 62F3, A0 with the expected Le, 62F1, 20",
          "[ts102484][codec]") {
    // The response: 73 1A + 26 bytes = 28 bytes, sent by the card in blocks of 10 (T=1 style).
    const Bytes content = pattern(26, 0x40);
    const Bytes response = seuicc::encodeTlv(0x73, content);
    Script card{"63F1",
                "63F1",
                "62F3",
                (toHex(ByteView(response).first(10)) + "62F1").c_str(),
                (toHex(ByteView(response).subspan(10, 10)) + "62F1").c_str(),
                (toHex(ByteView(response).subspan(20)) + "9000").c_str()};
    seuicc::Transaction tx(card.transport);
    seuicc::CardChannel channel(card.transport);
    const MscResult r = manageSecureChannel(tx, channel, MscOperation::EstablishMasterSa,
                                            ByteView(pattern(20)), std::size_t{40}, 8);
    REQUIRE(r.ok());
    REQUIRE(r.response);
    CHECK(*r.response == content);
    REQUIRE(card.sent.size() == 6);
    CHECK(card.sent[0].substr(0, 10) == "0073018008");
    CHECK(card.sent[1].substr(0, 10) == "0073010008");
    CHECK(card.sent[2].substr(0, 10) == "0073010006");
    CHECK(card.sent[3] == "007301A028");  // the step's expectation: 40 bytes
    CHECK(card.sent[4] == "0073012012");  // the TLV header says 28 in all: 18 left
    CHECK(card.sent[5] == "0073012008");
}

TEST_CASE("MSC exchange: no response, error status words, broken sequences",
          "[ts102484][codec][negative]") {
    SECTION("9000 after the last block: no response") {
        Script card{"9000"};
        seuicc::Transaction tx(card.transport);
        seuicc::CardChannel channel(card.transport);
        const MscResult r =
            manageSecureChannel(tx, channel, MscOperation::TerminateSa, ByteView(pattern(34)));
        CHECK(r.ok());
        CHECK_FALSE(r.response);
    }
    SECTION("an error status word ends the exchange and comes back") {
        Script card{"63F1", "6A80"};
        seuicc::Transaction tx(card.transport);
        seuicc::CardChannel channel(card.transport);
        const MscResult r = manageSecureChannel(tx, channel, MscOperation::EstablishMasterSa,
                                                ByteView(pattern(20)), std::nullopt, 16);
        CHECK(r.sw == 0x6A80);
        CHECK_FALSE(r.response);
        CHECK(card.sent.size() == 2);
    }
    SECTION("an error in the response phase") {
        Script card{"62F3", "6985"};
        seuicc::Transaction tx(card.transport);
        seuicc::CardChannel channel(card.transport);
        CHECK(
            manageSecureChannel(tx, channel, MscOperation::StartSecureChannel, ByteView(pattern(5)))
                .sw == 0x6985);
    }
    SECTION("9000 before the last command block") {
        Script card{"9000"};
        seuicc::Transaction tx(card.transport);
        seuicc::CardChannel channel(card.transport);
        CHECK_THROWS_AS(manageSecureChannel(tx, channel, MscOperation::EstablishMasterSa,
                                            ByteView(pattern(20)), std::nullopt, 8),
                        ProtocolError);
    }
    SECTION("63F1 after the last command block") {
        Script card{"63F1"};
        seuicc::Transaction tx(card.transport);
        seuicc::CardChannel channel(card.transport);
        CHECK_THROWS_AS(
            manageSecureChannel(tx, channel, MscOperation::EstablishMasterSa, ByteView(pattern(5))),
            ProtocolError);
    }
    SECTION("62F1 without data, or after the TLV is complete") {
        Script card{"62F3", "62F1"};
        seuicc::Transaction tx(card.transport);
        seuicc::CardChannel channel(card.transport);
        CHECK_THROWS_AS(
            manageSecureChannel(tx, channel, MscOperation::EstablishMasterSa, ByteView(pattern(5))),
            ProtocolError);
        Script card2{"7302AABB62F1"};
        seuicc::Transaction tx2(card2.transport);
        seuicc::CardChannel channel2(card2.transport);
        CHECK_THROWS_AS(
            manageSecureChannel(tx2, channel2, MscOperation::RetrieveEndpoints, std::nullopt),
            ProtocolError);
    }
    SECTION("a response that is not exactly one TLV 73") {
        for (const char* bad : {"8302AABB9000", "7303AABB9000", "7301AABB9000"}) {
            Script card{bad};
            seuicc::Transaction tx(card.transport);
            seuicc::CardChannel channel(card.transport);
            CHECK_THROWS_AS(
                manageSecureChannel(tx, channel, MscOperation::RetrieveEndpoints, std::nullopt),
                ProtocolError);
        }
    }
}

TEST_CASE("TRANSACT DATA command blocks, response requests, abort", "[ts102484][codec]") {
    const Bytes encoded = pattern(100);
    const auto blocks = transactCommandBlocks(encoded, 32);
    REQUIRE(blocks.size() == 4);
    CHECK(toHex(blocks[0].encode()).substr(0, 10) == "0075040320");
    CHECK(toHex(blocks[1].encode()).substr(0, 10) == "0075040220");
    CHECK(toHex(blocks[2].encode()).substr(0, 10) == "0075040120");
    CHECK(toHex(blocks[3].encode()) == "0075040004" + toHex(ByteView(encoded).subspan(96)));
    CHECK(transactCommandBlocks(pattern(32), 32).size() == 1);
    CHECK(transactCommandBlocks(pattern(33), 32).size() == 2);
    CHECK(blockCount(0, 32) == 1);
    CHECK(blockCount(64, 32) == 2);
    CHECK(blockCount(65, 32) == 3);
    CHECK(toHex(transactResponseBlockRequest(0x4E).encode()) == "007500004E");
    CHECK(toHex(transactResponseBlockRequest(256).encode()) == "0075000000");
    CHECK(toHex(transactAbort().encode()) == "00750200");
}

TEST_CASE("Response blocks: sequence, sizes and the Le asked for", "[ts102484][codec]") {
    // 86 81 A0 + 160 bytes = 163 bytes in containers of 64: 64, 64, 35.
    const Bytes encoded = seuicc::encodeTlv(0x86, pattern(160));
    SecuredDataAssembler a(3, 64);
    CHECK(a.nextLe() == 64);
    a.add(ByteView(encoded).first(64), 0x9202);
    CHECK(a.nextLe() == 64);
    a.add(ByteView(encoded).subspan(64, 64), 0x9201);
    CHECK(a.nextLe() == 35);  // known from the TLV header
    a.add(ByteView(encoded).subspan(128), 0x9000);
    REQUIRE(a.complete());
    CHECK(Bytes(a.securedValue().begin(), a.securedValue().end()) == pattern(160));

    SecuredDataAssembler single(1, 255);
    CHECK(single.nextLe() == 255);  // unknown: the container size
}

TEST_CASE("Response blocks: every broken sequence is rejected", "[ts102484][codec][negative]") {
    const Bytes encoded = seuicc::encodeTlv(0x86, pattern(60));  // 62 bytes
    const ByteView all(encoded);
    SECTION("oversize block") {
        SecuredDataAssembler a(1, 32);
        CHECK(rejection([&] { a.add(all, 0x9000); }) == Reason::Malformed);
    }
    SECTION("empty block") {
        SecuredDataAssembler a(2, 32);
        CHECK(rejection([&] { a.add({}, 0x9201); }) == Reason::Malformed);
    }
    SECTION("truncated: the blocks end before the TLV does") {
        SecuredDataAssembler a(2, 32);
        a.add(all.first(32), 0x9201);
        CHECK(rejection([&] { a.add(all.subspan(32, 20), 0x9000); }) == Reason::Malformed);
    }
    SECTION("trailing bytes after the TLV") {
        Bytes longer = encoded;
        longer.push_back(0x00);
        SecuredDataAssembler a(1, 255);
        CHECK(rejection([&] { a.add(longer, 0x9000); }) == Reason::Malformed);
    }
    SECTION("not a TLV 86") {
        Bytes other = encoded;
        other[0] = 0x87;
        SecuredDataAssembler a(1, 255);
        CHECK(rejection([&] { a.add(other, 0x9000); }) == Reason::Malformed);
    }
    SECTION("status words out of sequence") {
        SecuredDataAssembler a(2, 32);
        CHECK(rejection([&] { a.add(all.first(32), 0x9000); }) == Reason::Malformed);
        SecuredDataAssembler b(2, 32);
        CHECK(rejection([&] { b.add(all.first(32), 0x9202); }) == Reason::Malformed);
        SecuredDataAssembler c(1, 255);
        CHECK(rejection([&] { c.add(all, 0x9201); }) == Reason::Malformed);
    }
    SECTION("a block after the last") {
        SecuredDataAssembler a(1, 255);
        a.add(all, 0x9000);
        CHECK(rejection([&] { a.add(all, 0x9000); }) == Reason::Malformed);
    }
    SECTION("an impossible block count") {
        CHECK(rejection([] { (void)SecuredDataAssembler(0, 32); }) == Reason::Malformed);
    }
}

TEST_CASE("Endpoint '82' parsing and the endpoint this terminal can use", "[ts102484][endpoint]") {
    const Bytes aid = fromHex("F04D324D53454401");
    const Endpoint e = Endpoint::parse(fromHex("02 01 14 02 FF 1234 F04D324D53454401"));
    CHECK(e.applicationLevel());
    CHECK(e.apduInterface());
    CHECK(e.apduSecureChannel());
    CHECK(e.strongPskProprietary());
    CHECK(e.maxContainerSize == 255);
    CHECK(e.port == 0x1234);
    CHECK(e.aid == aid);
    CHECK(e.maxConnectionSas() == 2);
    CHECK(Endpoint::parse(fromHex("02 01 04 02 FF 0000")).maxConnectionSas() == 1);
    CHECK_THROWS_AS(Endpoint::parse(fromHex("02 01 04 02 FF 00")), ProtocolError);

    const auto with = [&](const char* hex) {
        UiccEndpoints endpoints;
        endpoints.endpoints.push_back(Endpoint::parse(fromHex(hex)));
        return endpoints;
    };
    const auto good = with("02 01 04 02 FF 0000 F04D324D53454401");
    CHECK(&usableEndpoint(good, aid) == &good.endpoints[0]);
    CHECK_THROWS_AS(usableEndpoint(good, fromHex("A0000000871002")), EndpointUnsupported);
    for (const char* bad : {
             "02 01 01 02 FF 0000 F04D324D53454401",  // TLS only, no APDU secure channel
             "02 01 04 01 FF 0000 F04D324D53454401",  // GBA only, no proprietary strong PSK
             "02 01 04 04 FF 0000 F04D324D53454401",  // weak PSK only
             "01 01 04 02 FF 0000 F04D324D53454401",  // platform level
             "02 02 04 02 FF 0000 F04D324D53454401",  // USB IP only
             "02 01 04 02 1F 0000 F04D324D53454401",  // container below 32
         }) {
        INFO(bad);
        const auto endpoints = with(bad);
        CHECK_THROWS_AS(usableEndpoint(endpoints, aid), EndpointUnsupported);
    }
}

TEST_CASE("MSC status words become typed errors", "[ts102484][errors]") {
    const auto check = [](std::uint16_t sw, auto typeTag) {
        using Expected = decltype(typeTag);
        try {
            throwStepError(MscOperation::StartSecureChannel, sw);
        } catch (const Expected& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(sw));
            return;
        } catch (...) {
        }
        FAIL("wrong exception type for " << std::hex << sw);
    };
    check(0x9862, AuthenticationFailed("x"));
    check(0x9863, SessionExpired("x"));
    check(0x6A88, CardRefused("x"));
    check(0x6A80, CardRefused("x"));
    check(0x6982, CardRefused("x"));
}
