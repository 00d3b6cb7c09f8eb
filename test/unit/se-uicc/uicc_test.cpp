// UICC basics: FCP, ICCID, EF_DIR, SELECT/READ command coding, and readCardInfo against an
// emulated card.
#include <winscard.h>

#include <catch2/catch.hpp>

#include "fake_uicc.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/memory_transport.hpp"
#include "seuicc/tlv.hpp"
#include "seuicc/uicc.hpp"

using namespace seuicc;

namespace {

const Bytes kUsimAid = fromHex("A0000000871002FF49FF0589");
const Bytes kIsimAid = fromHex("A0000000871004FF49FF0589");
const Bytes kTestAppletAid = fromHex("F04D324D5445535401");

// A transparent EF of `size` bytes (byte i = i mod 256) behind READ BINARY, answering like a
// T=1 card: fewer bytes and 6282 at the end, 6B00 past it.
MemoryTransport transparentEf(std::size_t size) {
    return MemoryTransport(fromHex(fake::kAtr), [size](ByteView raw) {
        const CommandApdu c = CommandApdu::parse(raw);
        REQUIRE(c.ins == 0xB0);
        REQUIRE(c.le);
        REQUIRE(*c.le <= 255);
        const std::size_t offset = (std::size_t{c.p1} << 8) | c.p2;
        if (offset >= size) {
            return fromHex("6B00");
        }
        const std::size_t n = std::min<std::size_t>(*c.le, size - offset);
        Bytes out;
        for (std::size_t i = 0; i < n; ++i) {
            out.push_back(static_cast<std::uint8_t>(offset + i));
        }
        out.push_back(n < *c.le ? 0x62 : 0x90);
        out.push_back(n < *c.le ? 0x82 : 0x00);
        return out;
    });
}

MemoryTransport recordingCard(Bytes response) {
    return MemoryTransport(fromHex(fake::kAtr), [response](ByteView) { return response; });
}

}  // namespace

TEST_CASE("FCP of a linear fixed EF", "[uicc][fcp]") {
    const Fcp fcp = Fcp::parse(
        fromHex("621C 8205 42210026 04 83022F00 A5038001 71 8A0105 8B032F0602 800200 98"));
    CHECK(fcp.descriptor == 0x42);
    CHECK(fcp.recordLength == 0x26);
    CHECK(fcp.recordCount == 4);
    CHECK(fcp.fileId == 0x2F00);
    CHECK(fcp.fileSize == 0x98);
    CHECK(fcp.dfName.empty());
}

TEST_CASE("FCP of an ADF and of a transparent EF", "[uicc][fcp]") {
    const Fcp adf = Fcp::parse(encodeTlv(0x62, [] {
        Bytes b = encodeTlv(0x82, fromHex("7821"));
        const Bytes name = encodeTlv(0x84, kUsimAid);
        b.insert(b.end(), name.begin(), name.end());
        return b;
    }()));
    CHECK(adf.descriptor == 0x78);
    CHECK(adf.dfName == kUsimAid);
    CHECK_FALSE(adf.fileId);
    CHECK_FALSE(adf.recordCount);

    const Fcp ef = Fcp::parse(fromHex("620F 82024121 83022FE2 8002000A 8A0105"));
    CHECK(ef.descriptor == 0x41);
    CHECK(ef.fileSize == 10);
    CHECK_FALSE(ef.recordLength);
}

TEST_CASE("FCP parsing rejects what is not an FCP", "[uicc][fcp]") {
    CHECK_THROWS_AS(Fcp::parse(fromHex("6F09 8407A0000000871002")), TlvError);  // FCI, not FCP
    CHECK_THROWS_AS(Fcp::parse(fromHex("6204 83022F00")), TlvError);            // no 82
    CHECK_THROWS_AS(Fcp::parse(fromHex("6206 82024121 8000")), TlvError);       // empty size
    CHECK_THROWS_AS(Fcp::parse(Bytes{}), TlvError);
}

TEST_CASE("ICCID: swapped-nibble BCD, F-padded", "[uicc][iccid]") {
    CHECK(toHex(encodeIccid("8988211000000000018")) == "988812010000000010F8");
    CHECK(decodeIccid(fromHex("988812010000000010F8")) == "8988211000000000018");
    CHECK(decodeIccid(encodeIccid("89882110000000000185")) == "89882110000000000185");  // 20
    CHECK(toHex(encodeIccid("12")) == "21FFFFFFFFFFFFFFFFFF");
    CHECK(decodeIccid(fromHex("21FFFFFFFFFFFFFFFFFF")) == "12");
    CHECK(decodeIccid(fromHex("2143F5")) == "12345");  // stops at the F nibble
    CHECK(decodeIccid(fromHex("A1")) == "1A");         // not BCD, but shown rather than lost
    CHECK(decodeIccid(Bytes{}).empty());
    CHECK_THROWS_AS(encodeIccid(""), Error);
    CHECK_THROWS_AS(encodeIccid("8988A1"), Error);
    CHECK_THROWS_AS(encodeIccid("898821100000000001855"), Error);  // 21 digits
}

TEST_CASE("EF_DIR records", "[uicc][efdir]") {
    Bytes record = fake::efDirRecord(kUsimAid, "USIM");
    record.resize(38, 0xFF);
    const auto apps = parseEfDirRecord(record);
    REQUIRE(apps.size() == 1);
    CHECK(apps[0].aid == kUsimAid);
    CHECK(apps[0].label == "USIM");

    CHECK(parseEfDirRecord(Bytes(38, 0xFF)).empty());
    // No label is fine; two templates in one record are both returned.
    Bytes two = encodeTlv(0x61, encodeTlv(0x4F, kIsimAid));
    const Bytes second = fake::efDirRecord(kTestAppletAid, "M2M-SED");
    two.insert(two.end(), second.begin(), second.end());
    const auto both = parseEfDirRecord(two);
    REQUIRE(both.size() == 2);
    CHECK(both[0].label.empty());
    CHECK(both[1].label == "M2M-SED");

    CHECK_THROWS_AS(parseEfDirRecord(encodeTlv(0x61, encodeTlv(0x50, fromHex("41")))), TlvError);
    CHECK_THROWS_AS(parseEfDirRecord(fromHex("6110 4F10 A0")), TlvError);
}

TEST_CASE("SELECT command coding", "[uicc][select]") {
    auto card = recordingCard(fromHex("9000"));
    Transaction tx(card);
    CardChannel basic(card);
    // Without a request for the FCP, nothing comes back (P2 0C, case 3): one APDU under T=0.
    selectByAid(tx, basic, kUsimAid, true);
    selectByAid(tx, basic, kUsimAid);
    selectByFileId(tx, basic, 0x2FE2, true);
    selectByFileId(tx, basic, 0x3F00);
    selectByPath(tx, basic, fromHex("7FFF6F07"), true);
    selectByPath(tx, basic, fromHex("3F007FFF6F07"));  // a leading MF is dropped
    std::vector<std::string> sent;
    for (const auto& c : card.sent()) {
        sent.push_back(toHex(c));
    }
    CHECK(sent == std::vector<std::string>{
                      "00A404040CA0000000871002FF49FF058900",
                      "00A4040C0CA0000000871002FF49FF0589",
                      "00A40004022FE200",
                      "00A4000C023F00",
                      "00A40804047FFF6F0700",
                      "00A4080C047FFF6F07",
                  });
    CHECK_THROWS_AS(selectByPath(tx, basic, fromHex("7FFF6F")), ApduFormatError);
    CHECK_THROWS_AS(selectByPath(tx, basic, fromHex("3F00")), ApduFormatError);
}

TEST_CASE("a failed SELECT is an answer, not an exception", "[uicc][select]") {
    auto card = recordingCard(fromHex("6A82"));
    Transaction tx(card);
    CardChannel basic(card);
    CHECK(selectByAid(tx, basic, fromHex("A000000000DEADBEEF")).sw == 0x6A82);
}

TEST_CASE("READ BINARY in chunks of at most 255 bytes, up to the end of the file", "[uicc][read]") {
    auto card = transparentEf(600);
    Transaction tx(card);
    CardChannel basic(card);

    const Bytes all = readBinary(tx, basic, 0, 600);
    REQUIRE(all.size() == 600);
    CHECK(all[599] == static_cast<std::uint8_t>(599));
    CHECK(toHex(card.sent()[0]) == "00B00000FF");
    CHECK(toHex(card.sent()[1]) == "00B000FFFF");
    CHECK(toHex(card.sent()[2]) == "00B001FE5A");

    CHECK(readBinary(tx, basic, 590, 100).size() == 10);  // 6282: the file ends first
    CHECK(readBinary(tx, basic, 0, 1000).size() == 600);  // short answers end it too
    CHECK(readBinary(tx, basic, 10, 0).empty());
    try {
        readBinary(tx, basic, 600, 10);  // nothing at all there: the card's error
        FAIL("no exception");
    } catch (const CardStatusError& e) {
        CHECK(e.sw() == 0x6B00);
    }
    CHECK_THROWS_AS(readBinary(tx, basic, 0x8000, 1), ApduFormatError);
}

TEST_CASE("UPDATE BINARY: chunks of 255 bytes at increasing offsets", "[uicc][update]") {
    auto card = recordingCard(fromHex("9000"));
    Transaction tx(card);
    CardChannel basic(card);
    Bytes data(300);
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<std::uint8_t>(i);
    }
    updateBinary(tx, basic, 0x10, data);
    REQUIRE(card.sent().size() == 2);
    CHECK(toHex(card.sent()[0]).substr(0, 10) == "00D60010FF");
    CHECK(card.sent()[0].size() == 5 + 255);
    CHECK(toHex(card.sent()[1]).substr(0, 12) == "00D6010F2DFF");
    CHECK(card.sent()[1].size() == 5 + 45);
    updateBinary(tx, basic, 0, {});
    CHECK(card.sent().size() == 2);  // nothing to write, nothing sent
    CHECK_THROWS_AS(updateBinary(tx, basic, 0x8000, data), ApduFormatError);

    auto refusing = recordingCard(fromHex("6982"));
    Transaction tx2(refusing);
    CardChannel basic2(refusing);
    try {
        updateBinary(tx2, basic2, 0, data);
        FAIL("no exception");
    } catch (const CardStatusError& e) {
        CHECK(e.sw() == 0x6982);
    }
    CHECK(refusing.sent().size() == 1);
}

TEST_CASE("READ RECORD", "[uicc][read]") {
    auto card = recordingCard(fromHex("01029000"));
    Transaction tx(card);
    CardChannel basic(card);
    CHECK(readRecord(tx, basic, 3, 2) == fromHex("0102"));
    CHECK(readRecord(tx, basic, 1, 0) == fromHex("0102"));
    CHECK(toHex(card.sent()[0]) == "00B2030402");
    CHECK(toHex(card.sent()[1]) == "00B2010400");

    auto missing = recordingCard(fromHex("6A83"));
    Transaction tx2(missing);
    CardChannel basic2(missing);
    CHECK_THROWS_AS(readRecord(tx2, basic2, 9, 38), CardStatusError);
}

TEST_CASE("readCardInfo against an emulated UICC", "[uicc][cardinfo]") {
    const bool t0 = GENERATE(true, false);
    INFO((t0 ? "T=0 style card" : "T=1 style card"));
    fake::Uicc::Options options;
    options.t0 = t0;
    options.dirRecords = {fake::efDirRecord(kUsimAid, "USIM"), Bytes{},  // record 2 empty
                          fake::efDirRecord(kIsimAid, "ISIM"),
                          fake::efDirRecord(kTestAppletAid, "M2M-SED")};
    fake::Uicc uicc(options);
    MemoryTransport card(
        fromHex(fake::kAtr), [&uicc](ByteView c) { return uicc(c); }, "fake");

    const CardInfo info = readCardInfo(card);
    CHECK(toHex(info.atr.raw) == fake::kAtr);
    CHECK(info.atr.secureChannelSupported());
    CHECK(info.iccid == "8988211000000000018");
    CHECK(toHex(info.iccidRaw) == "988812010000000010F8");
    REQUIRE(info.applications.size() == 3);
    CHECK(info.applications[0].aid == kUsimAid);
    CHECK(info.applications[0].label == "USIM");
    CHECK(info.applications[1].label == "ISIM");
    CHECK(info.applications[2].aid == kTestAppletAid);
    CHECK(info.counters.apdus == card.sent().size());
    // SELECT EF_ICCID by path without FCP (its size is fixed), READ BINARY, SELECT EF_DIR by path
    // with its FCP (+ GET RESPONSE under T=0: the FCP gives the records), 4 READ RECORDs. No
    // SELECT MF, no 6Cxx.
    CHECK(info.counters.apdus == (t0 ? 8u : 7u));
    CHECK(toHex(card.sent()[0]) == "00A4080C022FE2");
    CHECK(toHex(card.sent()[1]) == "00B000000A");
    CHECK(toHex(card.sent()[2]) == "00A40804022F0000");
    CHECK(card.transactionsBegun() == 1);
    CHECK_FALSE(card.inTransaction());
}

TEST_CASE("readEfIccid: two APDUs, from any current DF", "[uicc][iccid]") {
    fake::Uicc uicc(fake::Uicc::Options{});
    MemoryTransport card(fromHex(fake::kAtr), [&uicc](ByteView c) { return uicc(c); });
    Transaction tx(card);
    CardChannel basic(card);
    CHECK(toHex(readEfIccid(tx, basic)) == "988812010000000010F8");
    CHECK(basic.counters().apdus == 2u);

    auto refusing = recordingCard(fromHex("6A82"));
    Transaction tx2(refusing);
    CardChannel basic2(refusing);
    CHECK_THROWS_AS(readEfIccid(tx2, basic2), CardStatusError);
}

TEST_CASE("readCardInfo on a card without EF_DIR lists no applications", "[uicc][cardinfo]") {
    fake::Uicc::Options options;
    options.withEfDir = false;
    fake::Uicc uicc(options);
    MemoryTransport card(fromHex(fake::kAtr), [&uicc](ByteView c) { return uicc(c); });
    const CardInfo info = readCardInfo(card);
    CHECK(info.iccid == "8988211000000000018");
    CHECK(info.applications.empty());
}

TEST_CASE("readCardInfo inside the caller's transaction uses it", "[uicc][cardinfo]") {
    fake::Uicc uicc(fake::Uicc::Options{});
    MemoryTransport card(fromHex(fake::kAtr), [&uicc](ByteView c) { return uicc(c); });
    Transaction outer(card);
    readCardInfo(card);
    CHECK(card.transactionsBegun() == 1);
    CHECK(card.inTransaction());
}

TEST_CASE("a card pulled during readCardInfo: typed error, transaction released",
          "[uicc][cardinfo]") {
    fake::Uicc uicc(fake::Uicc::Options{});
    MemoryTransport card(fromHex(fake::kAtr), [&uicc](ByteView c) { return uicc(c); });
    card.failNextTransmit(SCARD_W_REMOVED_CARD, 3);
    CHECK_THROWS_AS(readCardInfo(card), PcscCardRemoved);
    CHECK_FALSE(card.inTransaction());
    CHECK(card.sent().size() == 4);
}
