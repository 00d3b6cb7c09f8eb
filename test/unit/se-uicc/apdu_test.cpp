#include <catch2/catch.hpp>

#include "seuicc/apdu.hpp"
#include "seuicc/errors.hpp"

using namespace seuicc;

namespace {

Bytes filled(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) {
        b[i] = static_cast<std::uint8_t>(i);
    }
    return b;
}

// Encodes, checks the expected wire bytes, and parses back to the same command.
void roundTrip(const CommandApdu& apdu, const Bytes& wire) {
    CHECK(apdu.encode() == wire);
    const CommandApdu back = CommandApdu::parse(wire);
    CHECK(back.cla == apdu.cla);
    CHECK(back.ins == apdu.ins);
    CHECK(back.p1 == apdu.p1);
    CHECK(back.p2 == apdu.p2);
    CHECK(back.data == apdu.data);
    CHECK(back.le == apdu.le);
}

using base::concat;

}  // namespace

TEST_CASE("short APDUs of all four cases", "[apdu]") {
    SECTION("case 1: header only") {
        const CommandApdu a{0x00, 0x70, 0x80, 0x01, {}, std::nullopt};
        CHECK(a.apduCase() == ApduCase::Case1);
        CHECK_FALSE(a.isExtended());
        roundTrip(a, fromHex("00708001"));
    }
    SECTION("case 2: Le only; Ne 256 is Le 00") {
        const CommandApdu a{0x00, 0xB0, 0x00, 0x00, {}, 10};
        CHECK(a.apduCase() == ApduCase::Case2);
        roundTrip(a, fromHex("00B000000A"));
        roundTrip(CommandApdu{0x00, 0xC0, 0, 0, {}, 256}, fromHex("00C0000000"));
    }
    SECTION("case 3: Lc and data") {
        const CommandApdu a{0x00, 0xA4, 0x00, 0x0C, fromHex("3F00"), std::nullopt};
        CHECK(a.apduCase() == ApduCase::Case3);
        roundTrip(a, fromHex("00A4000C023F00"));
        roundTrip(CommandApdu{0x80, 0x20, 0, 0, filled(255), std::nullopt},
                  concat({fromHex("80200000FF"), filled(255)}));
    }
    SECTION("case 4: Lc, data, Le") {
        const CommandApdu a{0x00, 0xA4, 0x04, 0x04, fromHex("A0000000871002"), 256};
        CHECK(a.apduCase() == ApduCase::Case4);
        CHECK_FALSE(a.isExtended());
        roundTrip(a, fromHex("00A4040407A000000087100200"));
        CHECK(a.dataOffset() == 5);
    }
}

TEST_CASE("extended APDUs of cases 2 to 4", "[apdu]") {
    SECTION("case 2E: 00 marker and two Le bytes; 65536 is 0000") {
        const CommandApdu a{0x00, 0xB0, 0, 0, {}, 257};
        CHECK(a.isExtended());
        roundTrip(a, fromHex("00B00000000101"));
        roundTrip(CommandApdu{0x00, 0xB0, 0, 0, {}, 65536}, fromHex("00B00000000000"));
    }
    SECTION("case 3E: data longer than 255 bytes") {
        const CommandApdu a{0x80, 0x02, 0, 0, filled(300), std::nullopt};
        CHECK(a.isExtended());
        CHECK(a.apduCase() == ApduCase::Case3);
        roundTrip(a, concat({fromHex("8002000000012C"), filled(300)}));
        CHECK(a.dataOffset() == 7);
    }
    SECTION("case 4E: long data, or short data with a long Le, use extended for both") {
        roundTrip(CommandApdu{0x80, 0x02, 0, 0, filled(300), 65536},
                  concat({fromHex("8002000000012C"), filled(300), fromHex("0000")}));
        const CommandApdu shortDataLongLe{0x80, 0x02, 0, 0, filled(3), 1000};
        CHECK(shortDataLongLe.isExtended());
        roundTrip(shortDataLongLe, concat({fromHex("80020000000003"), filled(3), fromHex("03E8")}));
        roundTrip(CommandApdu{0x80, 0x02, 0, 0, filled(65535), 65536},
                  concat({fromHex("8002000000FFFF"), filled(65535), fromHex("0000")}));
    }
}

TEST_CASE("encode rejects out-of-range Nc and Ne", "[apdu]") {
    CHECK_THROWS_AS((CommandApdu{0, 0xB0, 0, 0, {}, 0}.encode()), ApduFormatError);
    CHECK_THROWS_AS((CommandApdu{0, 0xB0, 0, 0, {}, 65537}.encode()), ApduFormatError);
    CHECK_THROWS_AS((CommandApdu{0, 0xD6, 0, 0, filled(65536), std::nullopt}.encode()),
                    ApduFormatError);
}

TEST_CASE("parse rejects inconsistent lengths", "[apdu]") {
    const char* bad = GENERATE("",                         // nothing
                               "00A400",                   // shorter than a header
                               "00A4000C033F00",           // short Lc 3, only 2 data bytes
                               "00A4000C023F000000",       // short Lc 2, then 3 more bytes
                               "00B0000000FF",             // 00 marker followed by a single byte
                               "80020000000000AA",         // extended Lc 0000
                               "8002000000000311",         // extended Lc 3, only 1 data byte
                               "8002000000000311223344",   // extended Lc 3, then 1 stray byte
                               "80020000000003112233AA");  // extended Lc 3, then a 1-byte Le
    INFO(bad);
    CHECK_THROWS_AS(CommandApdu::parse(fromHex(bad)), ApduFormatError);
}

TEST_CASE("response APDUs", "[apdu]") {
    const ResponseApdu r = ResponseApdu::parse(fromHex("6F1A9000"));
    CHECK(r.data == fromHex("6F1A"));
    CHECK(r.sw == 0x9000);
    CHECK(r.ok());
    CHECK(r.encode() == fromHex("6F1A9000"));

    const ResponseApdu swOnly = ResponseApdu::parse(fromHex("6A82"));
    CHECK(swOnly.data.empty());
    CHECK(swOnly.sw1() == 0x6A);
    CHECK(swOnly.sw2() == 0x82);
    CHECK_FALSE(swOnly.ok());

    CHECK_THROWS_AS(ResponseApdu::parse(fromHex("90")), ApduFormatError);
    CHECK_THROWS_AS(ResponseApdu::parse(Bytes{}), ApduFormatError);
}

TEST_CASE("requireOk turns a failure status word into CardStatusError", "[apdu]") {
    CHECK_NOTHROW(ResponseApdu{{}, 0x9000}.requireOk("SELECT MF"));
    try {
        ResponseApdu{{}, 0x6A82}.requireOk("SELECT EF_DIR");
        FAIL("no exception");
    } catch (const CardStatusError& e) {
        CHECK(e.sw() == 0x6A82);
        CHECK_THAT(e.what(), Catch::Contains("SELECT EF_DIR") && Catch::Contains("6A82") &&
                                 Catch::Contains("not found"));
    }
}
