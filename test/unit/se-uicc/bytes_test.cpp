#include <catch2/catch.hpp>

#include "seuicc/bytes.hpp"
#include "seuicc/errors.hpp"

using namespace seuicc;

TEST_CASE("toHex is uppercase, optionally spaced", "[bytes]") {
    const Bytes b{0x00, 0xA4, 0x04, 0x0c, 0xff};
    CHECK(toHex(b) == "00A4040CFF");
    CHECK(toHex(b, true) == "00 A4 04 0C FF");
    CHECK(toHex(Bytes{}) == "");
    CHECK(toHex(Bytes{}, true) == "");
}

TEST_CASE("fromHex accepts either case, spaces and colons", "[bytes]") {
    CHECK(fromHex("00a4040C") == Bytes{0x00, 0xA4, 0x04, 0x0C});
    CHECK(fromHex("3B:9A 96\t80\n") == Bytes{0x3B, 0x9A, 0x96, 0x80});
    CHECK(fromHex("") == Bytes{});
    CHECK(fromHex("  ") == Bytes{});
    const Bytes all = [] {
        Bytes b;
        for (int i = 0; i < 256; ++i) {
            b.push_back(static_cast<std::uint8_t>(i));
        }
        return b;
    }();
    CHECK(fromHex(toHex(all)) == all);
    CHECK(fromHex(toHex(all, true)) == all);
}

TEST_CASE("fromHex rejects odd lengths and non-hex characters", "[bytes]") {
    CHECK_THROWS_AS(fromHex("ABC"), HexError);
    CHECK_THROWS_AS(fromHex("A B C"), HexError);
    CHECK_THROWS_AS(fromHex("0G"), HexError);
    CHECK_THROWS_AS(fromHex("0x00"), HexError);
    CHECK_THROWS_AS(fromHex("00-11"), HexError);
    // A HexError is a seuicc::Error, so one catch covers every library failure.
    CHECK_THROWS_AS(fromHex("Z"), Error);
}
