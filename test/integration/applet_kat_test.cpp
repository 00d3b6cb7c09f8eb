// Known answers for the card's own cryptography (the classes the M2M-SED uses), run through the
// whole stack: the vectors of testdata/vectors/ sent to the test applet's diagnostic commands.
#include <catch2/catch.hpp>

#include "securechannel/crypto.hpp"
#include "sed_fixture.hpp"
#include "seuicc/apdu.hpp"
#include "seuicc/card_channel.hpp"
#include "shared_card.hpp"

using namespace seuicc;

namespace {

class TestApplet {
public:
    TestApplet()
        : card_(context_.connect(testsupport::sharedCard().readerName())),
          tx_(*card_),
          channel_(*card_) {
        REQUIRE(selectByAid(tx_, channel_, testsupport::kTestAppletAid, false).sw == 0x9000);
    }
    Bytes run(std::uint8_t ins, std::uint8_t p1, const Bytes& data, std::uint32_t le) {
        const auto r = channel_.transmit(tx_, CommandApdu{0x80, ins, p1, 0x00, data, le});
        REQUIRE(r.sw == 0x9000);
        return r.data;
    }

private:
    PcscContext context_;
    std::unique_ptr<PcscCard> card_;
    Transaction tx_;
    CardChannel channel_;
};

using base::concat;
Bytes hex(const nlohmann::json& j) {
    return fromHex(j.get<std::string>());
}
Bytes ascii(const std::string& s) {
    return Bytes(s.begin(), s.end());
}
Bytes lengthPrefixed(const Bytes& b) {
    return concat({Bytes{static_cast<std::uint8_t>(b.size())}, b});
}

}  // namespace

TEST_CASE("card AES-CMAC: RFC 4493 vectors", "[integration][kat]") {
    TestApplet applet;
    const auto vectors = testsupport::loadVectors("aes-cmac.json");
    for (const auto& v : vectors["vectors"]) {
        const Bytes key = hex(v["key"]);
        CHECK(toHex(applet.run(0x50, 0, concat({lengthPrefixed(key), hex(v["message"])}), 16)) ==
              toHex(hex(v["mac"])));
    }
}

TEST_CASE("card KBKDF-CMAC: the profile's session-key vectors", "[integration][kat]") {
    TestApplet applet;
    const auto vectors = testsupport::loadVectors("kbkdf-cmac.json");
    for (const auto& v : vectors["vectors"]) {
        const Bytes label = ascii(v["label"]);
        const Bytes out = applet.run(
            0x51, 1, concat({hex(v["kmsa"]), lengthPrefixed(label), hex(v["context"])}), 16);
        CHECK(toHex(out) == toHex(hex(v["key"])));
    }
}

TEST_CASE("card TLS 1.2 PRF: KAT, PSK master secrets and exporters", "[integration][kat]") {
    TestApplet applet;
    const auto vectors = testsupport::loadVectors("tls12-prf.json");
    auto prf = [&](const Bytes& secret, const std::string& label, const Bytes& seed,
                   std::size_t length) {
        return applet.run(0x52, static_cast<std::uint8_t>(length <= 255 ? length : 0),
                          concat({lengthPrefixed(secret), lengthPrefixed(ascii(label)), seed}),
                          static_cast<std::uint32_t>(length));
    };
    const auto& kat = vectors["prf_kat"];
    const Bytes expected = hex(kat["output"]);
    CHECK(toHex(prf(hex(kat["secret"]), kat["label"], hex(kat["seed"]), expected.size())) ==
          toHex(expected));

    for (const auto& h : vectors["handshakes"]) {
        const Bytes premaster = hex(h["premaster"]);
        const Bytes randoms = concat({hex(h["client_random"]), hex(h["server_random"])});
        const Bytes ms = prf(premaster, "master secret", randoms, 48);
        CHECK(toHex(ms) == toHex(hex(h["master_secret"])));
        const Bytes ems = prf(premaster, "extended master secret", hex(h["session_hash"]), 48);
        CHECK(toHex(ems) == toHex(hex(h["extended_master_secret"])));
        for (const auto& e : h["exporters"]) {
            const Bytes& from = e["from"] == "master_secret" ? ms : ems;
            CHECK(toHex(prf(from, e["label"], randoms, e["length"])) == toHex(hex(e["output"])));
        }
    }
}

TEST_CASE("card key check values agree with the terminal's", "[integration][kat]") {
    TestApplet applet;
    const auto keys = testsupport::vectorKeys();
    for (const Bytes& key : {keys.kmr, keys.kmsa, keys.kiv}) {
        CHECK(toHex(applet.run(0x53, 0, key, 3)) == toHex(securechannel::keyCheckValue(key)));
    }
}
