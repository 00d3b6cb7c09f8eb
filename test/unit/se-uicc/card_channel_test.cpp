// CardChannel over a MemoryTransport: CLA coding, 61xx/6Cxx, counters, logical channels,
// the transaction rule, and transport failures.
#include <winscard.h>

#include <catch2/catch.hpp>
#include <deque>

#include "freed_memory_watch.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/memory_transport.hpp"

using namespace seuicc;

namespace {

const Bytes kAtr = fromHex("3B9A96803FC7888031E073FE211382900000");

// A card that answers each command with the next response of a script (hex), whatever the
// command; the test then checks what was sent.
MemoryTransport scriptedCard(std::vector<std::string> responses) {
    auto queue = std::make_shared<std::deque<std::string>>(responses.begin(), responses.end());
    return MemoryTransport(kAtr, [queue](ByteView) {
        REQUIRE_FALSE(queue->empty());
        const Bytes response = fromHex(queue->front());
        queue->pop_front();
        return response;
    });
}

std::vector<std::string> sentHex(const MemoryTransport& t) {
    std::vector<std::string> out;
    for (const auto& c : t.sent()) {
        out.push_back(toHex(c));
    }
    return out;
}

}  // namespace

TEST_CASE("CLA coding for logical channels 0 to 19", "[channel][cla]") {
    for (std::uint8_t ch = 0; ch <= 3; ++ch) {
        INFO("channel " << int(ch));
        CHECK(claForChannel(0x00, ch) == ch);
        CHECK(claForChannel(0x80, ch) == 0x80 + ch);
    }
    for (std::uint8_t ch = 4; ch <= 19; ++ch) {
        INFO("channel " << int(ch));
        CHECK(claForChannel(0x00, ch) == 0x40 + (ch - 4));
        CHECK(claForChannel(0x80, ch) == 0xC0 + (ch - 4));  // the proprietary bit survives
    }
    CHECK_THROWS_AS(claForChannel(0x00, 20), ApduFormatError);
    CHECK_THROWS_AS(claForChannel(0x00, 255), ApduFormatError);
}

TEST_CASE("CLA re-coding keeps class, chaining and secure messaging", "[channel][cla]") {
    CHECK(claForChannel(0x03, 1) == 0x01);  // an old channel number is replaced
    CHECK(claForChannel(0x4F, 2) == 0x02);  // further -> first coding
    CHECK(claForChannel(0x41, 6) == 0x42);
    CHECK(claForChannel(0xC3, 0) == 0x80);
    CHECK(claForChannel(0x10, 5) == 0x51);  // command chaining bit b5 in both codings
    CHECK(claForChannel(0x51, 2) == 0x12);
    CHECK(claForChannel(0x08, 4) == 0x60);  // SM, header not processed: b4-b3 10 <-> b6
    CHECK(claForChannel(0x60, 1) == 0x09);
    CHECK(claForChannel(0xA0, 0) == 0xA0);  // GSM class on the basic channel stays as it is
    CHECK_THROWS_AS(claForChannel(0x0C, 4), ApduFormatError);  // header-authenticated SM
    CHECK_THROWS_AS(claForChannel(0x04, 4), ApduFormatError);  // proprietary SM
    CHECK_THROWS_AS(claForChannel(0xA0, 4), ApduFormatError);  // GSM class has no channel 4
}

TEST_CASE("61xx: GET RESPONSE until the card is done, data concatenated", "[channel]") {
    auto card =
        scriptedCard({"6110", "000102030405060708090A0B0C0D0E0F 6108", "1011121314151617 9000"});
    Transaction tx(card);
    CardChannel basic(card);
    const auto r = basic.transmit(tx, CommandApdu{0x80, 0x01, 0, 0, fromHex("AABB"), 256});
    CHECK(r.sw == 0x9000);
    CHECK(toHex(r.data) == "000102030405060708090A0B0C0D0E0F1011121314151617");
    CHECK(sentHex(card) ==
          std::vector<std::string>{"8001000002AABB00", "00C0000010", "00C0000008"});
    // Counters see all three APDUs on the wire, both ways.
    CHECK(basic.counters().apdus == 3);
    CHECK(basic.counters().bytesSent == 8 + 5 + 5);
    CHECK(basic.counters().bytesReceived == 2 + 18 + 10);
}

TEST_CASE("61 00 asks for 256 bytes", "[channel]") {
    auto card = scriptedCard({"6100", std::string(512, 'A') + "9000"});
    Transaction tx(card);
    CardChannel basic(card);
    const auto r = basic.transmit(tx, CommandApdu{0x00, 0xCA, 0, 0, {}, 256});
    CHECK(r.data.size() == 256);
    CHECK(sentHex(card).back() == "00C0000000");
}

TEST_CASE("GET RESPONSE goes out on the command's logical channel", "[channel]") {
    auto card = scriptedCard({"6102", "AABB9000", "6102", "CCDD9000"});
    Transaction tx(card);
    CardChannel two(card, 2);
    CardChannel seven(card, 7);
    two.transmit(tx, CommandApdu{0x80, 0x30, 0, 0, fromHex("01"), 2});
    seven.transmit(tx, CommandApdu{0x80, 0x30, 0, 0, fromHex("01"), 2});
    CHECK(sentHex(card) ==
          std::vector<std::string>{"82300000010102", "02C0000002", "C3300000010102", "43C0000002"});
}

TEST_CASE("6Cxx: the command is re-issued once with Le = SW2", "[channel]") {
    SECTION("then answered") {
        auto card = scriptedCard({"6C0A", "00112233445566778899 9000"});
        Transaction tx(card);
        CardChannel basic(card);
        const auto r = basic.transmit(tx, CommandApdu{0x00, 0xB0, 0, 0, {}, 0x20});
        CHECK(r.sw == 0x9000);
        CHECK(r.data.size() == 10);
        CHECK(sentHex(card) == std::vector<std::string>{"00B0000020", "00B000000A"});
        CHECK(basic.counters().apdus == 2);
    }
    SECTION("a second 6Cxx comes back as it is, no loop") {
        auto card = scriptedCard({"6C0A", "6C05"});
        Transaction tx(card);
        CardChannel basic(card);
        CHECK(basic.transmit(tx, CommandApdu{0x00, 0xB0, 0, 0, {}, 0x20}).sw == 0x6C05);
        CHECK(card.sent().size() == 2);
    }
    SECTION("a GET RESPONSE answered 6Cxx is fixed in the same place") {
        auto card = scriptedCard({"6120", "6C10", "00112233445566778899AABBCCDDEEFF 9000"});
        Transaction tx(card);
        CardChannel basic(card);
        const auto r = basic.transmit(tx, CommandApdu{0x00, 0xCA, 0, 0, {}, 256});
        CHECK(r.data.size() == 16);
        CHECK(sentHex(card) == std::vector<std::string>{"00CA000000", "00C0000020", "00C0000010"});
    }
}

TEST_CASE("warnings and errors come back as values, without GET RESPONSE", "[channel]") {
    for (const char* word : {"62F1", "63F1", "62F3", "6A82", "6982"}) {
        auto card = scriptedCard({word});
        Transaction tx(card);
        CardChannel basic(card);
        const auto r =
            basic.transmit(tx, CommandApdu{0x80, 0x73, 0x01, 0x80, fromHex("7300"), std::nullopt});
        CHECK(toHex(ResponseApdu{{}, r.sw}.encode()) == word);
        CHECK(card.sent().size() == 1);
    }
}

TEST_CASE("MANAGE CHANNEL open and close", "[channel]") {
    auto card = scriptedCard({"019000", "9000", "9000"});
    Transaction tx(card);
    CardChannel basic(card);
    CardChannel one = CardChannel::open(tx, basic);
    CHECK(one.number() == 1);
    one.transmit(tx, CommandApdu{0x00, 0xA4, 0x04, 0x0C, fromHex("A0000000871002"), std::nullopt});
    one.close(tx);
    CHECK(sentHex(card) ==
          std::vector<std::string>{"0070000001", "01A4040C07A0000000871002", "01708001"});
    CHECK(basic.counters().apdus == 1);  // each channel object counts its own traffic
    CHECK(one.counters().apdus == 2);
}

TEST_CASE("MANAGE CHANNEL refusals and bad answers", "[channel]") {
    SECTION("no channel free: the card's status word") {
        auto card = scriptedCard({"6A81"});
        Transaction tx(card);
        CardChannel basic(card);
        try {
            CardChannel::open(tx, basic);
            FAIL("no exception");
        } catch (const CardStatusError& e) {
            CHECK(e.sw() == 0x6A81);
        }
    }
    SECTION("a channel number out of range") {
        auto card = scriptedCard({"149000"});
        Transaction tx(card);
        CardChannel basic(card);
        CHECK_THROWS_AS(CardChannel::open(tx, basic), ApduFormatError);
    }
    SECTION("the basic channel cannot be closed, channel 20 does not exist") {
        auto card = scriptedCard({});
        Transaction tx(card);
        CardChannel basic(card);
        CHECK_THROWS_AS(basic.close(tx), std::logic_error);
        CHECK_THROWS_AS(CardChannel(card, 20), ApduFormatError);
        CHECK(card.sent().empty());
    }
}

TEST_CASE("transmit requires a transaction on the same transport", "[channel][transaction]") {
    auto card = scriptedCard({"9000"});
    auto other = scriptedCard({});
    CardChannel basic(card);
    {
        Transaction wrong(other);
        CHECK_THROWS_AS(basic.transmit(wrong, CommandApdu{0x00, 0x70, 0, 0, {}, 1}),
                        std::logic_error);
    }
    // The raw transport refuses too, outside any transaction.
    CHECK_FALSE(card.inTransaction());
    CHECK_THROWS_AS(card.transmitRaw(fromHex("00A40000023F00")), std::logic_error);
    CHECK(card.sent().empty());

    Transaction tx(card);
    CHECK(card.inTransaction());
    CHECK(basic.transmit(tx, CommandApdu{0x00, 0xA4, 0, 0x0C, fromHex("3F00"), std::nullopt}).ok());
}

TEST_CASE("Transaction guards nest, move, and end once", "[transaction]") {
    auto card = scriptedCard({});
    {
        Transaction outer(card);
        {
            Transaction inner(card);
            CHECK(card.transactionsBegun() == 1);  // the inner guard reuses the backend's
        }
        CHECK(card.inTransaction());
        Transaction moved(std::move(outer));
        CHECK(moved.holds(card));
        CHECK_FALSE(outer.holds(card));
        CHECK(card.inTransaction());
    }
    CHECK_FALSE(card.inTransaction());
    Transaction again(card);
    CHECK(card.transactionsBegun() == 2);
}

TEST_CASE("a transport failure mid-command surfaces as the typed PC/SC error", "[channel]") {
    SECTION("the card is pulled between the command and its GET RESPONSE") {
        auto card = scriptedCard({"6110"});
        card.failNextTransmit(SCARD_W_REMOVED_CARD, 1);
        Transaction tx(card);
        CardChannel basic(card);
        CHECK_THROWS_AS(basic.transmit(tx, CommandApdu{0x80, 0x01, 0, 0, fromHex("AA"), 256}),
                        PcscCardRemoved);
        CHECK(sentHex(card) == std::vector<std::string>{"8001000001AA00", "00C0000010"});
        CHECK(basic.counters().apdus == 1);  // only the exchange that completed
    }
    SECTION("the reader stops answering on the first exchange") {
        auto card = scriptedCard({});
        card.failNextTransmit(SCARD_E_NOT_TRANSACTED);
        Transaction tx(card);
        CardChannel basic(card);
        try {
            basic.transmit(tx, CommandApdu{0x00, 0xB0, 0, 0, {}, 1});
            FAIL("no exception");
        } catch (const PcscTransmitFailed& e) {
            CHECK(e.name() == "SCARD_E_NOT_TRANSACTED");
        }
    }
}

TEST_CASE("a response without a status word is a format error", "[channel]") {
    auto card = scriptedCard({"90"});
    Transaction tx(card);
    CardChannel basic(card);
    CHECK_THROWS_AS(basic.transmit(tx, CommandApdu{0x00, 0xB0, 0, 0, {}, 1}), ApduFormatError);
}

TEST_CASE("a key-bearing command's copies are wiped before they are freed, a 6Cxx re-issue too",
          "[channel][secret]") {
    // The card answers 6C10 first, so the command goes out twice. It only answers: it keeps no
    // copy of the data but the transport's record of what was sent, which outlives the watch.
    const Bytes key = fromHex("4B4D5241A5C3E1F00F1E2D3C4B5A6978");
    const auto transmitWatched = [&key](TraceRedaction redaction) {
        auto card = scriptedCard({"6C10", "9000"});
        Transaction tx(card);
        CardChannel channel(card, 2);
        std::size_t unwiped = 0;
        {
            testsupport::FreedMemoryWatch watch(key);
            CommandApdu command{0x80, 0xE2, 0x00, 0x00, key, std::nullopt};
            CHECK(channel.transmit(tx, std::move(command), redaction).sw == 0x9000);
            CHECK(watch.frees() > 0);
            unwiped = watch.unwipedFrees();
        }
        REQUIRE(card.sent().size() == 2);
        CHECK(toHex(card.sent()[1]).find(toHex(key)) != std::string::npos);
        return unwiped;
    };
    // Sensitive: the command's data and both encodings are wiped before they are freed.
    CHECK(transmitWatched({.commandData = true}) == 0);
    // Public data are not wiped, and the watch sees those copies: it would see a key's.
    CHECK(transmitWatched({.commandData = false}) >= 2);
}
