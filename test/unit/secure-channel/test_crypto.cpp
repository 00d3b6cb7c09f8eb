// Known-answer and negative tests of the OpenSSL wrappers, driven by testdata/vectors/*.json.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "securechannel/crypto.hpp"
#include "test_support.hpp"

using namespace securechannel;
using sctest::fromHex;
using sctest::loadSection;
using sctest::loadVectors;
using sctest::toHex;

namespace {

std::string hexOf(const SecretBuffer& secret) {
    return toHex(secret.view());
}

using base::concat;

Bytes uint32Be(std::uint32_t value) {
    return {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
            static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

}  // namespace

TEST_CASE("AES-CMAC known answers (RFC 4493, SP 800-38B AES-256)", "[crypto][cmac]") {
    int count = 0;
    for (const auto& v : loadSection("aes-cmac.json", "/vectors")) {
        INFO("RFC 4493, message " << v["message"].get<std::string>());
        CHECK(toHex(aesCmac(fromHex(v["key"].get<std::string>()),
                            fromHex(v["message"].get<std::string>()))) == v["mac"]);
        ++count;
    }
    for (const auto& v : loadSection("primitives.json", "/aes_cmac_256/vectors")) {
        INFO("SP 800-38B AES-256, message " << v["message"].get<std::string>());
        CHECK(toHex(aesCmac(fromHex(v["key"].get<std::string>()),
                            fromHex(v["message"].get<std::string>()))) == v["mac"]);
        ++count;
    }
    CHECK(count == 8);
}

TEST_CASE("KBKDF counter mode with AES-128-CMAC (security-profile.md §2 session keys)",
          "[crypto][kbkdf]") {
    const auto vectors = loadSection("kbkdf-cmac.json", "/vectors");
    REQUIRE(vectors.size() == 6);
    for (const auto& v : vectors) {
        const std::string label = v["label"];
        INFO("label " << label << ", Kmsa " << v["kmsa"].get<std::string>());
        const Bytes kmsa = fromHex(v["kmsa"].get<std::string>());
        const Bytes context = fromHex(v["context"].get<std::string>());
        // The vector's context is terminal nonce ‖ UICC nonce ‖ CSA_ID.
        CHECK(toHex(context) == v["terminal_nonce"].get<std::string>() +
                                    v["uicc_nonce"].get<std::string>() +
                                    v["csa_id"].get<std::string>());

        const SecretBuffer key = kbkdfCounterCmac(kmsa, asBytes(label), context, 16);
        CHECK(hexOf(key) == v["key"]);

        // The same key by the profile's literal formula CMAC(K, 00000001 ‖ label ‖ 00 ‖ context ‖
        // 00000080), computed with the plain CMAC.
        const Bytes formula = aesCmac(
            kmsa, concat({uint32Be(1), asBytes(label), Bytes{0x00}, context, uint32Be(128)}));
        CHECK(key.equals(formula));
    }
}

TEST_CASE("KBKDF longer outputs chain the counter and encode L in bits", "[crypto][kbkdf]") {
    const Bytes key = fromHex("404142434445464748494a4b4c4d4e4f");
    const Bytes context = fromHex("000102030405060708090a0b0c0d0e0f");
    const SecretBuffer out = kbkdfCounterCmac(key, asBytes("S-ENC"), context, 24);
    REQUIRE(out.size() == 24);
    const Bytes block1 =
        aesCmac(key, concat({uint32Be(1), asBytes("S-ENC"), Bytes{0}, context, uint32Be(192)}));
    const Bytes block2 =
        aesCmac(key, concat({uint32Be(2), asBytes("S-ENC"), Bytes{0}, context, uint32Be(192)}));
    CHECK(toHex(out.view().first(16)) == toHex(block1));
    CHECK(toHex(out.view().subspan(16)) == toHex(block2).substr(0, 16));

    // Empty label and context keep the separator byte and L.
    CHECK(kbkdfCounterCmac(key, {}, {}, 16)
              .equals(aesCmac(key, concat({uint32Be(1), Bytes{0}, uint32Be(128)}))));
}

TEST_CASE("TLS 1.2 PRF, PSK premaster, master secrets and exporters", "[crypto][tls]") {
    const auto file = loadVectors("tls12-prf.json");

    SECTION("PRF known answer (P_SHA256, 100 bytes)") {
        const auto& kat = file.at("prf_kat");
        const Bytes expected = fromHex(kat["output"].get<std::string>());
        const SecretBuffer out =
            tls12Prf(fromHex(kat["secret"].get<std::string>()), kat["label"].get<std::string>(),
                     fromHex(kat["seed"].get<std::string>()), expected.size());
        CHECK(out.equals(expected));
    }
    SECTION("handshakes") {
        REQUIRE_FALSE(file.at("handshakes").empty());
        for (const auto& h : file.at("handshakes")) {
            const SecretBuffer premaster = tlsPskPremaster(fromHex(h["psk"].get<std::string>()));
            CHECK(hexOf(premaster) == h["premaster"]);

            const Bytes randoms = fromHex(h["client_random"].get<std::string>() +
                                          h["server_random"].get<std::string>());
            const SecretBuffer master = tls12Prf(premaster.view(), "master secret", randoms, 48);
            CHECK(hexOf(master) == h["master_secret"]);
            const SecretBuffer extended =
                tls12Prf(premaster.view(), "extended master secret",
                         fromHex(h["session_hash"].get<std::string>()), 48);
            CHECK(hexOf(extended) == h["extended_master_secret"]);

            REQUIRE(h["exporters"].size() == 4);
            for (const auto& e : h["exporters"]) {
                const std::string label = e["label"];
                INFO("exporter " << label << " from " << e["from"].get<std::string>());
                const SecretBuffer& from = e["from"] == "master_secret" ? master : extended;
                const SecretBuffer exported =
                    tls12Prf(from.view(), label, randoms, e["length"].get<std::size_t>());
                CHECK(hexOf(exported) == e["output"]);
            }
        }
    }
}

TEST_CASE("TLS-PSK premaster layout (RFC 4279 §2)", "[crypto][tls]") {
    CHECK(hexOf(tlsPskPremaster(fromHex("aabbcc"))) == "00030000000003aabbcc");
    CHECK(hexOf(tlsPskPremaster({})) == "00000000");
    const Bytes longPsk(0xFFFF, 0x11);
    CHECK(tlsPskPremaster(longPsk).size() == 2 * 0xFFFF + 4);
    const Bytes tooLong(0x10000, 0x11);
    CHECK_THROWS_AS(tlsPskPremaster(tooLong), CryptoError);
}

TEST_CASE("3GPP TS 33.220 Annex B KDF", "[crypto][gba]") {
    int count = 0;
    for (const auto& v : loadSection("gba-kdf.json", "/vectors")) {
        INFO(v["p0"].get<std::string>() << " for " << v["naf_fqdn"].get<std::string>());
        const Bytes ks = fromHex(v["ks"].get<std::string>());
        const Bytes rand = fromHex(v["rand"].get<std::string>());
        const std::string impi = v["impi"];
        const Bytes nafId = concat({asBytes(v["naf_fqdn"].get<std::string>()),
                                    fromHex(v["ua_protocol_id"].get<std::string>())});
        const std::string p0 = v["p0"];
        const SecretBuffer out = kdf33220(ks, fromHex(v["fc"].get<std::string>()).at(0),
                                          {asBytes(p0), rand, asBytes(impi), nafId});
        CHECK(hexOf(out) == v["output"]);
        // The vector's S string gives the same output through plain HMAC-SHA-256.
        CHECK(toHex(hmacSha256(ks, fromHex(v["s"].get<std::string>()))) == v["output"]);
        ++count;
    }
    for (const auto& c : loadSection("gba-digest-and-usim.json", "/cases")) {
        INFO(c["name"].get<std::string>());
        const Bytes ks = fromHex(c["Ks_CK_IK"].get<std::string>());
        const std::string p0 = c["P0"];
        const std::string impi = c["IMPI"];
        const Bytes rand = fromHex(c["RAND"].get<std::string>());
        const Bytes nafId = fromHex(c["NAF_Id_hex"].get<std::string>());
        const std::vector<ByteView> all{asBytes(p0), rand, asBytes(impi), nafId};
        CHECK(hexOf(kdf33220(ks, 0x01, all)) == c["output_hex"]);  // the span overload
        ++count;
    }
    CHECK(count == 11);
}

TEST_CASE("TS 33.220 KDF encoding: empty and maximal parameters", "[crypto][gba]") {
    const Bytes key(32, 0x42);
    // No parameters: S = FC only. One empty parameter: S = FC ‖ 00 00.
    CHECK(kdf33220(key, 0x01, {}).equals(hmacSha256(key, Bytes{0x01})));
    CHECK(kdf33220(key, 0x01, {ByteView{}}).equals(hmacSha256(key, Bytes{0x01, 0x00, 0x00})));
    const Bytes big(0xFFFF, 0x00);
    CHECK(kdf33220(key, 0x01, {big}).size() == 32);
    const Bytes tooBig(0x10000, 0x00);
    CHECK_THROWS_AS(kdf33220(key, 0x01, {tooBig}), CryptoError);
}

TEST_CASE("AES-ECB and AES-CBC known answers (SP 800-38A)", "[crypto][aes]") {
    int ecb = 0;
    for (const auto& v : loadSection("primitives.json", "/aes_ecb/vectors")) {
        CHECK(toHex(aesEcbEncryptBlock(fromHex(v["key"].get<std::string>()),
                                       fromHex(v["plaintext"].get<std::string>()))) ==
              v["ciphertext"]);
        ++ecb;
    }
    CHECK(ecb == 8);
    int cbc = 0;
    for (const auto& v : loadSection("primitives.json", "/aes_cbc/vectors")) {
        const Bytes key = fromHex(v["key"].get<std::string>());
        const Bytes iv = fromHex(v["iv"].get<std::string>());
        const Bytes plaintext = fromHex(v["plaintext"].get<std::string>());
        const Bytes ciphertext = aesCbcEncrypt(key, iv, plaintext);
        CHECK(toHex(ciphertext) == v["ciphertext"]);
        CHECK(aesCbcDecrypt(key, iv, ciphertext).equals(plaintext));
        ++cbc;
    }
    CHECK(cbc == 1);
    // Empty input is a multiple of the block size.
    const Bytes key(16, 1);
    const Bytes iv(16, 2);
    CHECK(aesCbcEncrypt(key, iv, {}).empty());
    CHECK(aesCbcDecrypt(key, iv, {}).empty());
}

TEST_CASE("HMAC-SHA-256 and SHA-256 known answers (RFC 4231, FIPS 180-2)", "[crypto][hash]") {
    int count = 0;
    for (const auto& v : loadSection("primitives.json", "/hmac_sha256/vectors")) {
        CHECK(toHex(hmacSha256(fromHex(v["key"].get<std::string>()),
                               fromHex(v["data"].get<std::string>()))) == v["mac"]);
        ++count;
    }
    for (const auto& v : loadSection("primitives.json", "/sha256/vectors")) {
        CHECK(toHex(sha256(fromHex(v["message"].get<std::string>()))) == v["digest"]);
        ++count;
    }
    CHECK(count == 4);
    // HMAC accepts an empty key (RFC 2104).
    CHECK(hmacSha256({}, asBytes("x")).size() == 32);
}

TEST_CASE("Key check values", "[crypto][kcv]") {
    for (const auto& v : loadSection("primitives.json", "/kcv/vectors")) {
        const Bytes key = fromHex(v["key"].get<std::string>());
        INFO("key of " << key.size() << " bytes");
        const Bytes kcv = keyCheckValue(key);
        CHECK(toHex(kcv) == v["kcv"]);
        CHECK(toHex(kcv) == toHex(aesEcbEncryptBlock(key, Bytes(16, 0))).substr(0, 6));
    }
    CHECK_THROWS_AS(keyCheckValue(Bytes(24, 0)), CryptoError);
    CHECK_THROWS_AS(keyCheckValue(Bytes(8, 0)), CryptoError);
}

TEST_CASE("ISO/IEC 9797-1 method 2 padding", "[crypto][padding]") {
    SECTION("pad always adds 0x80 then zeros up to the block") {
        CHECK(hexOf(iso9797M2Pad({})) == "80000000000000000000000000000000");
        CHECK(hexOf(iso9797M2Pad(fromHex("01"))) == "01800000000000000000000000000000");
        CHECK(hexOf(iso9797M2Pad(Bytes(15, 0xAA))) == std::string(30, 'a') + "80");
        CHECK(iso9797M2Pad(Bytes(16, 0xAA)).size() == 32);
        CHECK(iso9797M2Pad(Bytes(17, 0xAA)).size() == 32);
        CHECK(hexOf(iso9797M2Pad(fromHex("0102"), 8)) == "0102800000000000");
    }
    SECTION("unpad returns the original prefix for every length") {
        for (std::size_t n = 0; n <= 40; ++n) {
            Bytes data(n);
            for (std::size_t i = 0; i < n; ++i) {
                data[i] = static_cast<std::uint8_t>(i % 3 == 0 ? 0x80 : i % 3 == 1 ? 0x00 : i);
            }
            const SecretBuffer padded = iso9797M2Pad(data);
            const ByteView unpadded = iso9797M2Unpad(padded.view());
            CHECK(unpadded.data() == padded.data());  // a view into the caller's buffer
            CHECK(toHex(unpadded) == toHex(data));
        }
    }
    SECTION("malformed padding is refused") {
        CHECK_THROWS_AS(iso9797M2Unpad({}), CryptoError);
        CHECK_THROWS_AS(iso9797M2Unpad(fromHex("01800000")), CryptoError);  // not a whole block
        CHECK_THROWS_AS(iso9797M2Unpad(Bytes(16, 0)), CryptoError);         // no 0x80
        CHECK_THROWS_AS(iso9797M2Unpad(fromHex("0102030405060708090a0b0c0d0e0f10")),
                        CryptoError);  // no padding at all
        CHECK_THROWS_AS(iso9797M2Unpad(fromHex("01020304050607080980000000000001")),
                        CryptoError);  // non-zero after 0x80
        // 0x80 at the end of the previous block and a whole zero block: the padding would be
        // longer than a block.
        Bytes twoBlocks(32, 0);
        twoBlocks[15] = 0x80;
        CHECK_THROWS_AS(iso9797M2Unpad(twoBlocks), CryptoError);
        CHECK_THROWS_AS(iso9797M2Pad(fromHex("01"), 0), CryptoError);
        CHECK_THROWS_AS(iso9797M2Unpad(fromHex("80"), 0), CryptoError);
    }
}

TEST_CASE("Wrong key, IV, block and output sizes throw CryptoError", "[crypto][negative]") {
    const Bytes k16(16, 0x2B);
    const Bytes k32(32, 0x2B);
    const Bytes iv(16, 0);
    const Bytes block(16, 0);
    for (const std::size_t bad : {0, 8, 15, 17, 24, 31, 33}) {
        INFO("key of " << bad << " bytes");
        const Bytes key(bad, 0x77);
        CHECK_THROWS_AS(aesCmac(key, block), CryptoError);
        CHECK_THROWS_AS(aesEcbEncryptBlock(key, block), CryptoError);
        CHECK_THROWS_AS(kbkdfCounterCmac(key, asBytes("S-ENC"), block, 16), CryptoError);
        CHECK_THROWS_AS(aesCbcEncrypt(key, iv, block), CryptoError);
        CHECK_THROWS_AS(aesCbcDecrypt(key, iv, block), CryptoError);
    }
    // AES-128 only for the profile's CBC and KBKDF.
    CHECK_THROWS_AS(aesCbcEncrypt(k32, iv, block), CryptoError);
    CHECK_THROWS_AS(kbkdfCounterCmac(k32, asBytes("S-ENC"), block, 16), CryptoError);
    // IV and input sizes.
    CHECK_THROWS_AS(aesCbcEncrypt(k16, Bytes(15, 0), block), CryptoError);
    CHECK_THROWS_AS(aesCbcDecrypt(k16, Bytes(17, 0), block), CryptoError);
    for (const std::size_t bad : {1, 15, 17, 31}) {
        INFO("input of " << bad << " bytes");
        CHECK_THROWS_AS(aesCbcEncrypt(k16, iv, Bytes(bad, 0)), CryptoError);
        CHECK_THROWS_AS(aesCbcDecrypt(k16, iv, Bytes(bad, 0)), CryptoError);
        CHECK_THROWS_AS(aesEcbEncryptBlock(k16, Bytes(bad, 0)), CryptoError);
    }
    CHECK_THROWS_AS(aesEcbEncryptBlock(k16, Bytes(32, 0)), CryptoError);
    // Output lengths.
    CHECK_THROWS_AS(kbkdfCounterCmac(k16, asBytes("S-ENC"), block, 0), CryptoError);
    CHECK_THROWS_AS(tls12Prf(k16, "master secret", block, 0), CryptoError);

    SECTION("messages name the problem, never the key") {
        const Bytes secretKey = fromHex("00112233445566778899aabbccddeeff0011");  // 18 bytes
        try {
            static_cast<void>(aesCmac(secretKey, block));
            FAIL("no exception");
        } catch (const CryptoError& e) {
            const std::string message = e.what();
            CHECK_THAT(message, Catch::Contains("16 or 32 bytes"));
            CHECK_THAT(message, !Catch::Contains("00112233"));
        }
    }
}

TEST_CASE("Random bytes and constant-time comparison", "[crypto][random]") {
    const Bytes a = randomBytes(32);
    const Bytes b = randomBytes(32);
    CHECK(a.size() == 32);
    CHECK_FALSE(constantTimeEqual(a, b));
    CHECK(randomBytes(0).empty());
    const SecretBuffer s = randomSecret(16);
    CHECK(s.size() == 16);
    CHECK_FALSE(s.equals(Bytes(16, 0)));
    CHECK(randomSecret(0).empty());

    CHECK(constantTimeEqual(a, a));
    CHECK(constantTimeEqual({}, {}));
    CHECK_FALSE(constantTimeEqual(fromHex("0001"), fromHex("000100")));
    CHECK_FALSE(constantTimeEqual(fromHex("0001"), fromHex("0002")));
}
