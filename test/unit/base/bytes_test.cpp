#include <catch2/catch.hpp>

#include "base/big_endian.hpp"
#include "base/bytes.hpp"

using namespace base;

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
    // A HexError is a base::Error, so one catch covers every failure of the project.
    CHECK_THROWS_AS(fromHex("Z"), Error);
    // The message names the position, never the text (it may be a key).
    CHECK_THROWS_WITH(fromHex("00112233445566778899AABBCCDDEEFZ"),
                      "not a hex digit at position 31");
}

TEST_CASE("toLowerHex and encodeLowerHex are lowercase without separators", "[bytes]") {
    CHECK(toLowerHex(fromHex("00A4FF")) == "00a4ff");
    CHECK(toLowerHex({}).empty());
    std::array<std::uint8_t, 6> out{};
    encodeLowerHex(fromHex("00A4FF"), out);
    CHECK(std::string(out.begin(), out.end()) == "00a4ff");
    CHECK_THROWS_AS(encodeLowerHex(fromHex("00A4"), out), HexError);
}

TEST_CASE("countHexDigits and decodeHex read hex into caller storage", "[bytes]") {
    CHECK(countHexDigits("0a:0B 0c\t\r\n") == 6u);
    CHECK(countHexDigits("") == 0u);
    CHECK(countHexDigits("0a0") == 3u);  // counted; decodeHex refuses it
    CHECK(countHexDigits("0x0a") == std::nullopt);
    CHECK(countHexDigits("0a-0b") == std::nullopt);

    std::array<std::uint8_t, 3> out{};
    decodeHex("0a:0B 0c", out);
    CHECK(out == std::array<std::uint8_t, 3>{0x0A, 0x0B, 0x0C});
    CHECK_THROWS_AS(decodeHex("0a0b", out), HexError);      // too short
    CHECK_THROWS_AS(decodeHex("0a0b0c0d", out), HexError);  // too long
    CHECK_THROWS_AS(decodeHex("0a0b0", out), HexError);     // odd
    CHECK_THROWS_AS(decodeHex("0a0b0g", out), HexError);    // not hex
}

TEST_CASE("big-endian packing round-trips and refuses more than 8 bytes", "[bytes]") {
    CHECK(toBigEndian<4>(0x01020304) == std::array<std::uint8_t, 4>{1, 2, 3, 4});
    CHECK(toBigEndian<2>(0x01020304) == std::array<std::uint8_t, 2>{3, 4});
    Bytes out{0xFF};
    appendBigEndian<8>(out, 0x0102030405060708ULL);
    CHECK(toHex(out) == "FF0102030405060708");
    CHECK(readBigEndian(ByteView(out).subspan(1)) == 0x0102030405060708ULL);
    CHECK(readBigEndian({}) == 0);
    CHECK(readBigEndian(fromHex("FFFFFFFFFFFFFFFF")) == UINT64_MAX);
    CHECK_THROWS_AS(readBigEndian(fromHex("010203040506070809")), Error);
}
