#include <sys/resource.h>

#include <catch2/catch.hpp>

#include "seuicc/errors.hpp"
#include "seuicc/tlv.hpp"

using namespace seuicc;

namespace {

// The process's peak resident memory so far.
long peakRssKiB() {
    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

}  // namespace

TEST_CASE("single-byte tags and short lengths", "[tlv]") {
    const auto tlvs = parseTlvs(fromHex("4F07A0000000871002 5005 5553494D31"));
    REQUIRE(tlvs.size() == 2);
    CHECK(tlvs[0].tag == 0x4F);
    CHECK(tlvs[0].value == fromHex("A0000000871002"));
    CHECK_FALSE(tlvs[0].constructed());
    CHECK(tlvs[1].tag == 0x50);
    CHECK(std::string(tlvs[1].value.begin(), tlvs[1].value.end()) == "USIM1");
    CHECK(parseTlvs(Bytes{}).empty());
    CHECK(parseTlvs(fromHex("8000")).front().value.empty());  // zero-length value
}

TEST_CASE("multi-byte tags", "[tlv]") {
    const auto tlvs = parseTlvs(fromHex("9F7002 0102  BF2D03 800100  5F2001 41  7F218102 AABB"));
    REQUIRE(tlvs.size() == 4);
    CHECK(tlvs[0].tag == 0x9F70);
    CHECK(tlvs[1].tag == 0xBF2D);
    CHECK(tlvs[1].constructed());
    CHECK(tlvs[2].tag == 0x5F20);
    CHECK_FALSE(tlvs[2].constructed());
    CHECK(tlvs[3].tag == 0x7F21);
    CHECK(tlvs[3].value == fromHex("AABB"));
    // Three-byte tag: the second byte has b8 set, so a third follows.
    const auto three = parseTlvs(fromHex("DF8F0101FF"));
    REQUIRE(three.size() == 1);
    CHECK(three[0].tag == 0xDF8F01);
    CHECK_FALSE(three[0].constructed());  // DF: b6 = 0
    CHECK(three[0].value == fromHex("FF"));
}

TEST_CASE("long length forms 81 to 84", "[tlv]") {
    for (const std::size_t n : {0x7Fu, 0x80u, 0xFFu, 0x100u, 0xFFFFu, 0x10000u}) {
        const Bytes value(n, 0x5A);
        const Bytes encoded = encodeTlv(0x53, value);
        const std::size_t lengthBytes = n < 0x80 ? 1 : n <= 0xFF ? 2 : n <= 0xFFFF ? 3 : 4;
        CHECK(encoded.size() == 1 + lengthBytes + n);
        const auto back = parseTlvs(encoded);
        REQUIRE(back.size() == 1);
        CHECK(back[0].tag == 0x53);
        CHECK(back[0].value == value);
    }
    CHECK(toHex(encodeTlv(0x73, Bytes(0x80, 0))).substr(0, 6) == "738180");
    // A 4-byte length field, read as such (non-minimal encodings are accepted).
    CHECK(parseTlvs(fromHex("84840000000211 22")).front().value == fromHex("1122"));
}

TEST_CASE("encodeTlv writes multi-byte tags without leading zeros", "[tlv]") {
    CHECK(encodeTlv(0x4F, fromHex("A000")) == fromHex("4F02A000"));
    CHECK(encodeTlv(0x9F70, fromHex("01")) == fromHex("9F700101"));
    CHECK(encodeTlv(0xDF8F01, Bytes{}) == fromHex("DF8F0100"));
    CHECK_THROWS_AS(encodeTlv(0, Bytes{}), TlvError);
}

TEST_CASE("truncated and overlong encodings are rejected", "[tlv]") {
    const char* bad = GENERATE("4F",                 // tag without length
                               "4F05A000",           // value shorter than announced
                               "9F",                 // multi-byte tag cut after its first byte
                               "9F8F",               // ... and after a continuation byte
                               "9F8F8F8F0100",       // tag longer than 4 bytes
                               "4F81",               // 81 without its length byte
                               "4F8201",             // 82 with one length byte
                               "4F80",               // indefinite length
                               "4F850000000001AA");  // 5 length bytes
    INFO(bad);
    CHECK_THROWS_AS(parseTlvs(fromHex(bad)), TlvError);
}

TEST_CASE("00 and FF padding between objects is skipped", "[tlv]") {
    const auto tlvs = parseTlvs(fromHex("00 4F01AA FFFF 5001BB FFFFFFFF"));
    REQUIRE(tlvs.size() == 2);
    CHECK(tlvs[0].tag == 0x4F);
    CHECK(tlvs[1].tag == 0x50);
    CHECK(parseTlvs(fromHex("FFFFFFFF")).empty());
}

TEST_CASE("nesting: findTlv at the top, findTlvRecursive at any depth", "[tlv]") {
    // An FCP: 62 { 82 .., 83 2F00, A5 { 80 .., C0 { 83 0A } } }, then a top-level 83.
    const Bytes inner = encodeTlv(0xC0, encodeTlv(0x83, fromHex("0A")));
    const Bytes proprietary = [&] {
        Bytes b = encodeTlv(0x80, fromHex("71"));
        b.insert(b.end(), inner.begin(), inner.end());
        return encodeTlv(0xA5, b);
    }();
    Bytes fcpBody = encodeTlv(0x82, fromHex("4221"));
    const Bytes fid = encodeTlv(0x83, fromHex("2F00"));
    fcpBody.insert(fcpBody.end(), fid.begin(), fid.end());
    fcpBody.insert(fcpBody.end(), proprietary.begin(), proprietary.end());
    Bytes data = encodeTlv(0x62, fcpBody);
    const Bytes trailer = encodeTlv(0x83, fromHex("3F00"));
    data.insert(data.end(), trailer.begin(), trailer.end());

    const auto top = findTlv(data, 0x62);
    REQUIRE(top);
    CHECK(top->constructed());
    CHECK(findTlv(data, 0x83)->value == fromHex("3F00"));  // the top-level one
    CHECK(findTlv(data, 0x82) == std::nullopt);            // only inside 62
    CHECK(findTlvRecursive(data, 0x82)->value == fromHex("4221"));
    CHECK(findTlvRecursive(data, 0x83)->value == fromHex("2F00"));  // first in document order
    CHECK(findTlvRecursive(data, 0xC0)->value == fromHex("83010A"));
    CHECK(findTlvRecursive(data, 0x99) == std::nullopt);
    // A malformed nested object is an error, not "not found".
    CHECK_THROWS_AS(findTlvRecursive(fromHex("6203 8205 00"), 0x99), TlvError);
}

TEST_CASE("findTlvRecursive: a deep nesting costs neither a copy per level nor a call per level",
          "[tlv]") {
    // Found by fuzzing (tlv): 64 KiB of nested constructed objects used to be copied once per
    // level (546 MB) and walked by recursion as deep as the nesting (a stack overflow).
    Bytes data = encodeTlv(0x80, fromHex("01"));
    std::size_t levels = 0;
    while (data.size() < 64 * 1024 - 8) {
        data = encodeTlv(0x62, data);
        ++levels;
    }
    REQUIRE(levels > 16000);
    const auto peakBefore = peakRssKiB();
    const auto found = findTlvRecursive(data, 0x80);
    REQUIRE(found);
    CHECK(found->value == fromHex("01"));
    CHECK(findTlvRecursive(data, 0x99) == std::nullopt);
    // The one value copied out, and a few bytes of bookkeeping per level.
    CHECK(peakRssKiB() - peakBefore < 32 * 1024);
    // A malformed innermost object is still found out, however deep.
    data[data.size() - 2] = 0x05;
    CHECK_THROWS_AS(findTlvRecursive(data, 0x99), TlvError);
}
