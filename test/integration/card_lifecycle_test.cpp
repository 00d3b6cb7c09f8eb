// What happens to the card itself: pulled mid-transaction, emulator restarts, power cut
// mid-command. Each test runs its own emulated card on slot 1 so the shared one stays intact.
#include <catch2/catch.hpp>
#include <thread>

#include "seuicc/apdu.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/uicc.hpp"
#include "shared_card.hpp"

using namespace seuicc;
using testsupport::EmulatedCard;
using testsupport::kTestAppletAid;

namespace {

EmulatedCard::Options ownSlot() {
    EmulatedCard::Options o;
    o.slot = 1;
    return o;
}

std::uint32_t counterOf(const Transaction& tx, CardChannel& ch, std::uint8_t ins) {
    const auto r = ch.transmit(tx, CommandApdu{0x80, ins, 0, 0, {}, 4});
    REQUIRE(r.sw == 0x9000);
    REQUIRE(r.data.size() == 4);
    return (std::uint32_t{r.data[0]} << 24) | (std::uint32_t{r.data[1]} << 16) |
           (std::uint32_t{r.data[2]} << 8) | r.data[3];
}

Bytes readPair(const Transaction& tx, CardChannel& ch) {
    const auto r = ch.transmit(tx, CommandApdu{0x80, 0x21, 0, 0, {}, 32});
    REQUIRE(r.sw == 0x9000);
    return r.data;
}

// Connects, selects the test applet and runs `body` inside one PC/SC transaction.
template <typename F>
void withTestApplet(EmulatedCard& card, F&& body) {
    PcscContext context;
    auto pcscCard = context.connect(card.readerName());
    Transaction tx(*pcscCard);
    CardChannel ch(*pcscCard);
    REQUIRE(selectByAid(tx, ch, kTestAppletAid).sw == 0x9000);
    body(tx, ch);
}

}  // namespace

TEST_CASE("card pulled mid-transaction: typed error, no crash, usable after re-insertion",
          "[integration][lifecycle]") {
    EmulatedCard card(ownSlot());
    PcscContext context;
    auto pcscCard = context.connect(card.readerName());
    {
        Transaction tx(*pcscCard);
        CardChannel ch(*pcscCard);
        REQUIRE(selectByAid(tx, ch, kTestAppletAid).sw == 0x9000);
        card.control("remove");
        CHECK_THROWS_AS(ch.transmit(tx, CommandApdu{0x80, 0x11, 0, 0, {}, 4}), PcscError);
    }  // the transaction guard ends on a dead card without throwing
    CHECK(card.waitRemoved());
    card.control("insert");
    card.waitInserted();
    withTestApplet(
        card, [](const Transaction& tx, CardChannel& ch) { CHECK(counterOf(tx, ch, 0x11) == 0); });
}

TEST_CASE("card state persists across emulator restarts", "[integration][lifecycle]") {
    EmulatedCard card(ownSlot());
    withTestApplet(card, [](const Transaction& tx, CardChannel& ch) {
        CHECK(counterOf(tx, ch, 0x10) == 1);
        CHECK(counterOf(tx, ch, 0x10) == 2);
        CHECK(counterOf(tx, ch, 0x10) == 3);
    });
    card.restart();
    withTestApplet(
        card, [](const Transaction& tx, CardChannel& ch) { CHECK(counterOf(tx, ch, 0x11) == 3); });
}

TEST_CASE("power loss inside a transaction rolls the update back",
          "[integration][lifecycle][tear]") {
    EmulatedCard card(ownSlot());
    const Bytes oldPair(32, 0x11);
    Bytes newPair(16, 0xAA);
    newPair.resize(32, 0xBB);
    withTestApplet(card, [&](const Transaction& tx, CardChannel& ch) {
        REQUIRE(ch.transmit(tx, CommandApdu{0x80, 0x20, 0, 0, oldPair, std::nullopt}).sw == 0x9000);
    });

    // The cut falls between the two fields of WRITE_PAIR, after A was written and before B was.
    card.control("tear point pair-between");
    {
        PcscContext context;
        auto pcscCard = context.connect(card.readerName());
        Transaction tx(*pcscCard);
        CardChannel ch(*pcscCard);
        REQUIRE(selectByAid(tx, ch, kTestAppletAid).sw == 0x9000);
        CHECK_THROWS_AS(ch.transmit(tx, CommandApdu{0x80, 0x20, 0, 0, newPair, std::nullopt}),
                        PcscError);
    }
    card.waitInserted();
    CHECK(card.status()["tears"] == 1);
    withTestApplet(
        card, [&](const Transaction& tx, CardChannel& ch) { CHECK(readPair(tx, ch) == oldPair); });

    // Torn state also survives an emulator restart unchanged (the image holds the rollback).
    card.restart();
    withTestApplet(card, [&](const Transaction& tx, CardChannel& ch) {
        CHECK(readPair(tx, ch) == oldPair);
        // And the same command without a tear completes.
        REQUIRE(ch.transmit(tx, CommandApdu{0x80, 0x20, 0, 0, newPair, std::nullopt}).sw == 0x9000);
        CHECK(readPair(tx, ch) == newPair);
    });
}

TEST_CASE("power loss after a non-transactional write keeps the write",
          "[integration][lifecycle][tear]") {
    EmulatedCard card(ownSlot());
    // APDU 1 after arming is the SELECT (no FCP asked, so no GET RESPONSE), APDU 2 the increment:
    // it has no tear point, so the cut comes after it ran and before it answered.
    card.control("tear apdu 2");
    {
        PcscContext context;
        auto pcscCard = context.connect(card.readerName());
        Transaction tx(*pcscCard);
        CardChannel ch(*pcscCard);
        REQUIRE(selectByAid(tx, ch, kTestAppletAid, false).sw == 0x9000);
        CHECK_THROWS_AS(ch.transmit(tx, CommandApdu{0x80, 0x10, 0, 0, {}, 4}), PcscError);
    }
    card.waitInserted();
    withTestApplet(
        card, [](const Transaction& tx, CardChannel& ch) { CHECK(counterOf(tx, ch, 0x11) == 1); });
}
