// GBA keys and identifiers (TS 33.220 Annex B.3, B.4, H; 4.5.2 B-TID; TS 23.003 IMPI) against the
// computed vectors of testdata/vectors/gba-kdf.json and gba-digest-and-usim.json, and the NAF key
// against `openssl mac HMAC` over an S string this test assembles by hand from the Annex B rules.
#include <string>

#include <catch2/catch.hpp>

#include "base/base64.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/gba_kdf.hpp"
#include "test_support.hpp"

using namespace securechannel;
namespace gba = securechannel::gba;
using sctest::fromHex;
using sctest::loadSection;
using sctest::toHex;

namespace {

gba::UaProtocolId uaId(const std::string& hex) {
    const Bytes bytes = fromHex(hex);
    REQUIRE(bytes.size() == 5);
    gba::UaProtocolId id{};
    std::copy(bytes.begin(), bytes.end(), id.begin());
    return id;
}

SecretBuffer nafKey(const std::string& p0, ByteView ks, ByteView rand, const std::string& impi,
                    const gba::NafId& naf) {
    REQUIRE((p0 == "gba-me" || p0 == "gba-u"));
    return p0 == "gba-me" ? gba::ksExtNaf(ks, rand, impi, naf) : gba::ksIntNaf(ks, rand, impi, naf);
}

}  // namespace

TEST_CASE("GBA: Ks_ext_NAF and Ks_int_NAF for every vector case", "[gba]") {
    int count = 0;
    for (const auto& v : loadSection("gba-kdf.json", "/vectors")) {
        INFO(v["p0"].get<std::string>() << " " << v["naf_fqdn"].get<std::string>() << " "
                                        << v["ua_protocol_id"].get<std::string>());
        const gba::NafId naf{v["naf_fqdn"], uaId(v["ua_protocol_id"])};
        const SecretBuffer key = nafKey(v["p0"], fromHex(v["ks"].get<std::string>()),
                                        fromHex(v["rand"].get<std::string>()), v["impi"], naf);
        CHECK(toHex(key.view()) == v["output"]);
        ++count;
    }
    for (const auto& c : loadSection("gba-digest-and-usim.json", "/cases")) {
        INFO(c["name"].get<std::string>());
        const gba::NafId naf{c["NAF_FQDN"], uaId(c["Ua_protocol_id"])};
        CHECK(toHex(naf.encode()) == c["NAF_Id_hex"]);
        // Ks built from the test set's CK and IK, as a GBA_ME device and the BSF do.
        const Bytes ckIk = fromHex(c["Ks_CK_IK"].get<std::string>());
        const SecretBuffer ks = gba::makeKs(ByteView(ckIk).first(16), ByteView(ckIk).subspan(16));
        CHECK(toHex(ks.view()) == c["Ks_CK_IK"]);
        const SecretBuffer key =
            nafKey(c["P0"], ks.view(), fromHex(c["RAND"].get<std::string>()), c["IMPI"], naf);
        CHECK(toHex(key.view()) == c["output_hex"]);
        CHECK(base::base64Encode(key.view()) == c["output_b64"]);
        ++count;
    }
    CHECK(count == 11);
}

TEST_CASE("GBA: NAF_Id for a TLS-PSK Ua carries the negotiated cipher suite", "[gba]") {
    const gba::NafId naf = gba::tlsPskNafId("naf1.home1.net", 0x008C);
    CHECK(toHex(naf.encode()) == "6e6166312e686f6d65312e6e6574010001008c");
    CHECK(toHex(gba::tlsPskNafId("a", 0xC0A8).encode()) ==
          "610100"
          "01c0a8");
    CHECK(toHex(gba::NafId{"x", gba::kUaTls13Psk}.encode()) == "780100000007");
    CHECK(toHex(gba::NafId{"x", gba::kUaHttpDigest}.encode()) == "780100000002");
    for (const char* fqdn : {"",
                             "na\xC3\xAF"
                             "f",
                             "naf one"}) {
        const gba::NafId bad{fqdn, gba::kUaTls13Psk};
        CHECK_THROWS_AS(bad.encode(), gba::GbaError);
    }
}

TEST_CASE("GBA: B-TID, TMPI and IMPI from the IMSI", "[gba]") {
    const auto btid = loadSection("gba-digest-and-usim.json", "/btid");
    CHECK(gba::makeBtid(fromHex(btid["RAND"].get<std::string>()), btid["BSF"].get<std::string>()) ==
          btid["value"]);
    CHECK_THROWS_AS(gba::makeBtid(Bytes(15), "bsf.home1.net"), gba::GbaError);
    CHECK_THROWS_AS(gba::makeBtid(Bytes(16), ""), gba::GbaError);

    const auto tmpi = loadSection("gba-digest-and-usim.json", "/tmpi");
    const auto set1 = loadSection("gba-digest-and-usim.json", "/cases/0");
    const Bytes ks = fromHex(set1["Ks_CK_IK"].get<std::string>());
    const Bytes rand = fromHex(set1["RAND"].get<std::string>());
    CHECK(gba::makeTmpi(ks, rand, tmpi["IMPI"].get<std::string>(),
                        tmpi["BSF"].get<std::string>()) == tmpi["value"]);
    // The TMPI's S string as the vector gives it, through plain HMAC: the same first 24 octets.
    const Bytes s = fromHex(tmpi["S_hex"].get<std::string>());
    CHECK(base::base64Encode(ByteView(hmacSha256(ks, s)).first(24)) + "@tmpi.bsf.3gppnetwork.org" ==
          tmpi["value"]);

    const auto first = loadSection("gba-kdf.json", "/vectors/0");
    CHECK(gba::impiFromImsi("001010123456789") == first["impi"]);
    CHECK(gba::impiFromImsi("001010123456789", 3) ==
          "001010123456789@ims.mnc010.mcc001.3gppnetwork.org");
    CHECK(gba::impiFromImsi("234150999999999") ==
          "234150999999999@ims.mnc015.mcc234.3gppnetwork.org");
    CHECK(gba::impiFromImsi("310150123456789", 3) ==
          "310150123456789@ims.mnc150.mcc310.3gppnetwork.org");
    CHECK_THROWS_AS(gba::impiFromImsi("00101012345678901"), gba::GbaError);  // 17 digits
    CHECK_THROWS_AS(gba::impiFromImsi("00101"), gba::GbaError);
    CHECK_THROWS_AS(gba::impiFromImsi("00101012345678a"), gba::GbaError);
    CHECK_THROWS_AS(gba::impiFromImsi("001010123456789", 4), gba::GbaError);
}

TEST_CASE("GBA: wrong sizes and identities are refused", "[gba]") {
    const Bytes ks(32, 0x11);
    const Bytes rand(16, 0x22);
    const gba::NafId naf{"naf.example", gba::kUaTls13Psk};
    CHECK_THROWS_AS(gba::ksExtNaf(Bytes(31), rand, "impi@x", naf), gba::GbaError);
    CHECK_THROWS_AS(gba::ksIntNaf(ks, Bytes(17), "impi@x", naf), gba::GbaError);
    CHECK_THROWS_AS(gba::ksIntNaf(ks, rand, "", naf), gba::GbaError);
    CHECK_THROWS_AS(gba::ksIntNaf(ks, rand, "imp\ni@x", naf), gba::GbaError);
    CHECK_THROWS_AS(gba::makeKs(Bytes(16), Bytes(15)), gba::GbaError);
    // "gba-me" and "gba-u" give different keys for the same inputs.
    CHECK_FALSE(
        gba::ksExtNaf(ks, rand, "impi@x", naf).equals(gba::ksIntNaf(ks, rand, "impi@x", naf)));
}

TEST_CASE("openssl mac HMAC agrees with Ks_(ext/int)_NAF over an S string built by hand",
          "[openssl-cli][gba]") {
    const auto openssl = sctest::findExecutable("openssl");
    if (!openssl) {
        WARN(
            "the `openssl` command is not installed: cross-check skipped (apt-get install "
            "openssl)");
        return;
    }
    const sctest::TempDir dir;
    for (int round = 0; round < 4; ++round) {
        const Bytes ks = randomBytes(32);
        const Bytes rand = randomBytes(16);
        const std::string impi = "00101" + std::to_string(1000000000 + round) + "@ims.example";
        const gba::NafId naf = gba::tlsPskNafId("naf" + std::to_string(round) + ".example", 0x00AE);
        for (const char* labelText : {"gba-me", "gba-u"}) {
            const std::string label = labelText;
            // S = 01 || label || L0 || RAND || 00 10 || IMPI || L2 || FQDN Ua-id || L3, written out
            // as hex text from the Annex B.2/B.3 rules.
            auto length = [](std::size_t n) {
                return toHex(
                    Bytes{static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
            };
            const std::string nafHex = toHex(asBytes(naf.fqdn)) +
                                       "010001"
                                       "00ae";
            const std::string sHex = "01" + toHex(asBytes(label)) + length(label.size()) +
                                     toHex(rand) + "0010" + toHex(asBytes(impi)) +
                                     length(impi.size()) + nafHex + length(naf.fqdn.size() + 5);
            sctest::writeFile(dir / "s", fromHex(sHex));
            const sctest::CommandResult mac =
                sctest::runCommand({openssl->string(), "mac", "-digest", "SHA256", "-macopt",
                                    "hexkey:" + toHex(ks), "-in", (dir / "s").string(), "HMAC"});
            INFO("openssl: " << mac.err);
            REQUIRE(mac.exitCode == 0);
            CHECK(sctest::hexDigitsOf(mac.out) == toHex(nafKey(label, ks, rand, impi, naf).view()));
        }
    }
}
