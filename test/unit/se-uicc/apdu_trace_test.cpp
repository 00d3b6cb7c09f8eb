// The APDU trace: its format, and that redacted secrets never reach any log output.
#include <catch2/catch.hpp>
#include <deque>

#include "log_capture.hpp"
#include "seuicc/apdu_trace.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/memory_transport.hpp"

using namespace seuicc;

TEST_CASE("trace lines show header, data and Le as separate groups", "[trace]") {
    const TraceRedaction none;
    CHECK(formatCommandTrace(CommandApdu{0x00, 0x70, 0x80, 0x01, {}, std::nullopt}, none) ==
          "> 00708001");
    CHECK(formatCommandTrace(CommandApdu{0x00, 0xB0, 0, 0, {}, 10}, none) == "> 00B00000 0A");
    CHECK(formatCommandTrace(
              CommandApdu{0x00, 0xA4, 0x04, 0x0C, fromHex("A0000000871002"), std::nullopt}, none) ==
          "> 00A4040C07 A0000000871002");
    CHECK(formatCommandTrace(CommandApdu{0x00, 0xA4, 0x04, 0x04, fromHex("A0000000871002"), 256},
                             none) == "> 00A4040407 A0000000871002 00");
    CHECK(formatCommandTrace(CommandApdu{0x80, 0x02, 0, 0, fromHex("112233"), 1000}, none) ==
          "> 80020000000003 112233 03E8");
    CHECK(formatResponseTrace(ResponseApdu{{}, 0x9000}, none) == "< 9000");
    CHECK(formatResponseTrace(ResponseApdu{fromHex("6F1A"), 0x6282}, none) == "< 6F1A 6282");
}

TEST_CASE("redacted data fields show only their length", "[trace]") {
    const Bytes key = fromHex("000102030405060708090A0B0C0D0E0F");
    CHECK(formatCommandTrace(CommandApdu{0x80, 0xE2, 0, 0, key, 256}, {.commandData = true}) ==
          "> 80E2000010 [16 bytes redacted] 00");
    CHECK(formatResponseTrace(ResponseApdu{key, 0x9000}, {.responseData = true}) ==
          "< [16 bytes redacted] 9000");
    // Redacting the other direction leaves this one visible.
    CHECK(formatResponseTrace(ResponseApdu{key, 0x9000}, {.commandData = true}) ==
          "< " + toHex(key) + " 9000");
}

TEST_CASE("exchanges are logged at trace level on category apdu", "[trace]") {
    MemoryTransport card(fromHex("3B9A96803FC7888031E073FE211382900000"),
                         [](ByteView) { return fromHex("9000"); });
    Transaction tx(card);
    CardChannel basic(card);
    const CommandApdu select{0x00, 0xA4, 0x00, 0x0C, fromHex("3F00"), std::nullopt};
    {
        LogCapture capture("apdu=trace");
        basic.transmit(tx, select);
        CHECK_THAT(capture.text(), Catch::Contains("apdu trace > 00A4000C02 3F00") &&
                                       Catch::Contains("apdu trace < 9000"));
    }
    {
        LogCapture capture("apdu=debug");
        basic.transmit(tx, select);
        CHECK(capture.text().empty());
    }
}

TEST_CASE("secrets never reach the log when redaction is asked, even at trace level",
          "[trace][security]") {
    const Bytes secretIn = fromHex("5EC2E7000000000000000000000000AA");  // sent to the card
    const Bytes secretOut = fromHex("C0FFEE1122334455667788990011BB");   // returned by it
    // A T=0 card that makes the host send the command twice (6Cxx) and fetch the answer in two
    // GET RESPONSEs, so every path through CardChannel runs with the secret.
    auto script = std::make_shared<std::deque<Bytes>>(
        std::deque<Bytes>{fromHex("6C00"), fromHex("6110"),
                          [&] {
                              Bytes b(secretOut.begin(), secretOut.begin() + 8);
                              b.push_back(0x61);
                              b.push_back(0x07);
                              return b;
                          }(),
                          [&] {
                              Bytes b(secretOut.begin() + 8, secretOut.end());
                              b.push_back(0x90);
                              b.push_back(0x00);
                              return b;
                          }()});
    MemoryTransport card(fromHex("3B9A96803FC7888031E073FE211382900000"), [script](ByteView) {
        Bytes r = script->front();
        script->pop_front();
        return r;
    });
    Transaction tx(card);
    CardChannel basic(card);

    LogCapture capture("*=trace");
    const auto r = basic.transmit(tx, CommandApdu{0x80, 0xE2, 0, 0, secretIn, 0x20},
                                  {.commandData = true, .responseData = true});
    REQUIRE(r.data == secretOut);
    REQUIRE(card.sent().size() == 4);

    const std::string log = capture.text();
    CHECK_THAT(log, Catch::Contains("[16 bytes redacted]"));  // command, twice
    CHECK_THAT(log, Catch::Contains("[8 bytes redacted] 6107"));
    CHECK_THAT(log, Catch::Contains("[7 bytes redacted] 9000"));
    for (const Bytes* secret : {&secretIn, &secretOut}) {
        CHECK_THAT(log, !Catch::Contains(toHex(*secret)));
        CHECK_THAT(log, !Catch::Contains(toHex(*secret, true)));
        // Nor any 4-byte piece of it, in case a part was formatted on its own.
        for (std::size_t i = 0; i + 4 <= secret->size(); ++i) {
            const std::string piece = toHex(ByteView(*secret).subspan(i, 4));
            if (piece != "00000000") {
                CHECK_THAT(log, !Catch::Contains(piece));
            }
        }
    }
}
