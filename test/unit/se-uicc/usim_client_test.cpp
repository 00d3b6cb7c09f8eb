// seuicc::UsimClient without a card: the EF codings, the AUTHENTICATE answers it accepts and
// refuses, and which status word becomes which typed error (the card itself: usim_test.cpp).
#include <catch2/catch.hpp>

#include "seuicc/memory_transport.hpp"
#include "seuicc/usim_client.hpp"

using namespace seuicc;

namespace {

// A card that answers every command with the next scripted answer.
struct Scripted {
    explicit Scripted(std::vector<Bytes> answers)
        : answers_(std::move(answers)),
          transport(fromHex("3B00"), [this](ByteView) { return answers_.at(next_++); }),
          tx(transport),
          channel(transport),
          usim(channel) {}
    std::vector<Bytes> answers_;
    std::size_t next_ = 0;
    MemoryTransport transport;
    Transaction tx;
    CardChannel channel;
    UsimClient usim;
};

const Bytes kRand(16, 0x23);
const Bytes kAutn(16, 0x55);

}  // namespace

TEST_CASE("EF_IMSI coding (TS 31.102 4.2.2)", "[usim]") {
    CHECK(toHex(encodeImsi("001010123456789")) == "080910101032547698");
    CHECK(decodeImsi(encodeImsi("001010123456789")) == "001010123456789");
    CHECK(decodeImsi(encodeImsi("00101012345678")) == "00101012345678");
    CHECK(decodeImsi(Bytes(9, 0xFF)).empty());
    CHECK_THROWS_AS(encodeImsi("12345"), Error);
    CHECK_THROWS_AS(encodeImsi("00101012345678a"), Error);
}

TEST_CASE("EF_GBABP coding: L RAND L B-TID L lifetime", "[usim]") {
    const GbaBootstrapParams p{kRand, "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.home1.net",
                               "2030-01-01T00:00:00Z"};
    Bytes ef = p.encode();
    ef.resize(160, 0xFF);
    const auto back = GbaBootstrapParams::parse(ef);
    REQUIRE(back.has_value());
    CHECK(back->rand == kRand);
    CHECK(back->btid == p.btid);
    CHECK(back->lifetime == p.lifetime);
    CHECK_FALSE(GbaBootstrapParams::parse(Bytes(160, 0xFF)).has_value());
    CHECK_THROWS_AS(GbaBootstrapParams::parse(fromHex("0F0102")), UsimMalformedResponse);
    CHECK_THROWS_AS(GbaBootstrapParams::parse(fromHex("10" + std::string(32, '0') + "05AB")),
                    UsimMalformedResponse);
}

TEST_CASE("UsimClient AUTHENTICATE: answers and typed errors", "[usim]") {
    SECTION("3G: RES, CK, IK, Kc") {
        Scripted s({fromHex("DB08A54211D5E3BA50BF10" + std::string(32, '1') + "10" +
                            std::string(32, '2') + "08" + std::string(16, '3') + "9000")});
        const AkaOutcome out = s.usim.authenticate3g(s.tx, kRand, kAutn);
        CHECK(out.kind == AkaOutcome::Kind::Ok);
        CHECK(toHex(out.res.view()) == "A54211D5E3BA50BF");
        CHECK(out.ck.size() == 16);
        CHECK(out.kc.size() == 8);
        CHECK(toHex(s.transport.sent().at(0)) ==
              "0088008122"
              "10" +
                  toHex(kRand) + "10" + toHex(kAutn) + "00");
    }
    SECTION("GBA bootstrapping: RES only, tag DD") {
        Scripted s({fromHex("DB08A54211D5E3BA50BF9000")});
        const AkaOutcome out = s.usim.authenticateGbaBootstrap(s.tx, kRand, kAutn);
        CHECK(out.ck.empty());
        CHECK(toHex(s.transport.sent().at(0)).substr(0, 14) == "0088008423DD10");
    }
    SECTION("sync failure: AUTS") {
        Scripted s({fromHex("DC0EBA853F3C123CCF44E93596E355C69000")});
        const AkaOutcome out = s.usim.authenticate3g(s.tx, kRand, kAutn);
        CHECK(out.kind == AkaOutcome::Kind::SyncFailure);
        CHECK(toHex(out.auts) == "BA853F3C123CCF44E93596E355C6");
    }
    SECTION("98 62: UsimMacFailure; 69 85: not personalised / no bootstrap") {
        Scripted s({fromHex("9862"), fromHex("6985"), fromHex("6985")});
        CHECK_THROWS_AS(s.usim.authenticate3g(s.tx, kRand, kAutn), UsimMacFailure);
        CHECK_THROWS_AS(s.usim.authenticate3g(s.tx, kRand, kAutn), UsimNotPersonalised);
        CHECK_THROWS_AS(s.usim.nafDerivation(s.tx, fromHex("6E61660100000002"), "impi"),
                        UsimNoBootstrap);
    }
    SECTION("malformed answers") {
        Scripted s({fromHex("DB04A5429000"), fromHex("DC0DBA853F3C123CCF44E93596E3559000"),
                    fromHex("DB08A54211D5E3BA50BF10AA9000"),
                    fromHex("DB10" + std::string(32, '0') + "9000")});
        CHECK_THROWS_AS(s.usim.authenticate3g(s.tx, kRand, kAutn), UsimMalformedResponse);
        CHECK_THROWS_AS(s.usim.authenticate3g(s.tx, kRand, kAutn), UsimMalformedResponse);
        CHECK_THROWS_AS(s.usim.authenticate3g(s.tx, kRand, kAutn), UsimMalformedResponse);
        CHECK_THROWS_AS(s.usim.nafDerivation(s.tx, fromHex("6E61660100000002"), "impi"),
                        UsimMalformedResponse);
    }
    SECTION("arguments are checked before anything is sent") {
        Scripted s({});
        CHECK_THROWS_AS(s.usim.authenticate3g(s.tx, Bytes(15), kAutn), Error);
        CHECK(s.transport.sent().empty());
    }
}
