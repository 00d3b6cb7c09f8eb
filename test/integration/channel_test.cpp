// The card channel over real PC/SC: selection, logical channels, T=0 and extended length.
#include <catch2/catch.hpp>

#include "seuicc/apdu.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/uicc.hpp"
#include "shared_card.hpp"

using namespace seuicc;
using testsupport::kTestAppletAid;
using testsupport::sharedCard;

namespace {

std::unique_ptr<PcscCard> connectShared(PcscContext& context) {
    return context.connect(sharedCard().readerName());
}

// INS 30 of the test applet: the channel the command arrived on, and how many commands the
// applet has seen on that channel since the card was reset (its SELECT included).
std::pair<int, int> whoAmI(const Transaction& tx, CardChannel& channel) {
    const auto r = channel.transmit(tx, CommandApdu{0x80, 0x30, 0, 0, {}, 2});
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data.size() == 2);
    return {r.data[0], r.data[1]};
}

}  // namespace

TEST_CASE("select the test applet by AID", "[integration][channel]") {
    PcscContext context;
    auto card = connectShared(context);
    Transaction tx(*card);
    CardChannel basic(*card);
    const auto r = selectByAid(tx, basic, kTestAppletAid);
    CHECK(r.sw == 0x9000);
    // An application that is not on the card: the UICC's 6A82, not jCardSim's 6999.
    const auto missing = selectByAid(tx, basic, fromHex("A000000000DEADBEEF"));
    CHECK(missing.sw == 0x6A82);
}

TEST_CASE("three logical channels keep separate selections", "[integration][channel]") {
    PcscContext context;
    auto card = connectShared(context);
    Transaction tx(*card);
    CardChannel basic(*card);

    CardChannel one = CardChannel::open(tx, basic);
    CardChannel two = CardChannel::open(tx, basic);
    CardChannel three = CardChannel::open(tx, basic);
    CHECK(one.number() != two.number());
    CHECK(two.number() != three.number());

    REQUIRE(selectByAid(tx, one, kTestAppletAid).sw == 0x9000);
    REQUIRE(selectByFileId(tx, two, 0x2FE2).sw == 0x9000);  // EF_ICCID
    REQUIRE(selectByAid(tx, three, kTestAppletAid).sw == 0x9000);

    CHECK(whoAmI(tx, one) == std::pair{int(one.number()), 2});
    CHECK(whoAmI(tx, three) == std::pair{int(three.number()), 2});
    CHECK(whoAmI(tx, one) == std::pair{int(one.number()), 3});
    // Channel two still has EF_ICCID selected, whatever happened on the others.
    CHECK(decodeIccid(readBinary(tx, two, 0, 10)) == testsupport::kDefaultIccid);

    three.close(tx);
    two.close(tx);
    one.close(tx);
    // A closed channel is gone on the card too.
    const auto r =
        CardChannel(*card, one.number()).transmit(tx, CommandApdu{0x80, 0x30, 0, 0, {}, 2});
    CHECK(r.sw == 0x6881);
}

TEST_CASE("channels 4 to 19 use the further interindustry class byte", "[integration][channel]") {
    PcscContext context;
    auto card = connectShared(context);
    Transaction tx(*card);
    CardChannel basic(*card);
    // MANAGE CHANNEL open of a given channel number: 00 70 00 05.
    REQUIRE(basic.transmit(tx, CommandApdu{0x00, 0x70, 0x00, 0x05, {}, std::nullopt}).sw == 0x9000);
    CardChannel five(*card, 5);
    REQUIRE(selectByAid(tx, five, kTestAppletAid).sw == 0x9000);
    CHECK(whoAmI(tx, five).first == 5);
    five.close(tx);
}

TEST_CASE("T=0: 61xx is followed by GET RESPONSE in one place", "[integration][channel][t0]") {
    PcscContext context;
    auto card = connectShared(context);
    Transaction tx(*card);
    CardChannel basic(*card);
    REQUIRE(selectByAid(tx, basic, kTestAppletAid).sw == 0x9000);

    // On the wire, a case-4 command gets 61xx from a T=0 card...
    const Bytes data = fromHex("0102030405060708090A");
    const CommandApdu echo{0x80, 0x01, 0, 0, data, 256};
    const auto raw = ResponseApdu::parse(card->transmitRaw(echo.encode()));
    CHECK(raw.sw == 0x610A);
    CHECK(raw.data.empty());

    // ...and the channel turns it into the data with 9000, counting the GET RESPONSE.
    const auto before = basic.counters().apdus;
    const auto r = basic.transmit(tx, echo);
    CHECK(r.sw == 0x9000);
    CHECK(r.data == data);
    CHECK(basic.counters().apdus - before == 2);
}

TEST_CASE("T=0: 6Cxx makes the channel re-issue with the right Le", "[integration][channel][t0]") {
    PcscContext context;
    auto card = connectShared(context);
    Transaction tx(*card);
    CardChannel basic(*card);
    REQUIRE(selectByFileId(tx, basic, 0x2FE2).sw == 0x9000);
    const CommandApdu readTooMuch{0x00, 0xB0, 0, 0, {}, 0x20};
    const auto raw = ResponseApdu::parse(card->transmitRaw(readTooMuch.encode()));
    CHECK(raw.sw == 0x6C0A);
    const auto r = basic.transmit(tx, readTooMuch);
    CHECK(r.sw == 0x9000);
    CHECK(r.data.size() == 10);
}

TEST_CASE("an extended-length APDU crosses PC/SC both ways", "[integration][channel]") {
    PcscContext context;
    auto card = connectShared(context);
    Transaction tx(*card);
    CardChannel basic(*card);
    REQUIRE(selectByAid(tx, basic, kTestAppletAid).sw == 0x9000);
    Bytes data(3000);
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<std::uint8_t>(i * 7);
    }
    const CommandApdu echo{0x80, 0x02, 0, 0, data, 65536};
    REQUIRE(echo.isExtended());
    const auto r = basic.transmit(tx, echo);
    CHECK(r.sw == 0x9000);
    CHECK(r.data == data);
}
