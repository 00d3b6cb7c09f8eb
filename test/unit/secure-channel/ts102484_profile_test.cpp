// Security profile v1 of the TS 102 484 channel (securechannel::profile::v1): known answers from
// testdata/vectors/ts102484-profile-v1.json (generated once with Python `cryptography`), each
// vector recomputed here with plain OpenSSL calls, round trips, and every rejection of a secured
// message.
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <string>

#include "rejection.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/ts102484/profile_v1.hpp"
#include "test_support.hpp"

using namespace securechannel;
namespace v1 = securechannel::profile::v1;
using sctest::fromHex;
using sctest::loadVectors;
using sctest::toHex;
using Reason = SecuredMessageRejected::Reason;
using sctest::rejection;

namespace {

// --- An independent implementation with plain OpenSSL calls (EVP_MAC, EVP_CIPHER) ------------

Bytes sslCmac(ByteView key, ByteView data) {
    std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "CMAC", nullptr),
                                                          EVP_MAC_free);
    REQUIRE(mac);
    std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(mac.get()),
                                                                  EVP_MAC_CTX_free);
    char cipher[] = "AES-128-CBC";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
                                 OSSL_PARAM_END};
    REQUIRE(EVP_MAC_init(ctx.get(), key.data(), key.size(), params) == 1);
    REQUIRE(EVP_MAC_update(ctx.get(), data.data(), data.size()) == 1);
    Bytes out(16);
    std::size_t outLen = 0;
    REQUIRE(EVP_MAC_final(ctx.get(), out.data(), &outLen, out.size()) == 1);
    REQUIRE(outLen == 16);
    return out;
}

Bytes sslAes(const EVP_CIPHER* cipher, ByteView key, const std::uint8_t* iv, ByteView in,
             bool encrypt) {
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        EVP_CIPHER_CTX_free);
    REQUIRE(EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), iv, encrypt ? 1 : 0) == 1);
    EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
    Bytes out(in.size() + 16);
    int n = 0;
    int m = 0;
    REQUIRE(EVP_CipherUpdate(ctx.get(), out.data(), &n, in.data(), static_cast<int>(in.size())) ==
            1);
    REQUIRE(EVP_CipherFinal_ex(ctx.get(), out.data() + n, &m) == 1);
    out.resize(static_cast<std::size_t>(n + m));
    return out;
}

using base::concat;

Bytes ascii(std::string_view s) {
    return Bytes(s.begin(), s.end());
}

Bytes hexOf(const nlohmann::json& j, const char* key) {
    return fromHex(j.at(key).get<std::string>());
}

v1::SessionKeys keysFromVectors(const nlohmann::json& doc) {
    return v1::deriveSessionKeys(hexOf(doc, "kmsa"), hexOf(doc, "terminal_nonce"),
                                 hexOf(doc, "uicc_nonce"), hexOf(doc, "csa_id"));
}

v1::SessionKeys randomKeys() {
    return v1::deriveSessionKeys(randomBytes(16), randomBytes(16), randomBytes(16),
                                 randomBytes(16));
}

Bytes copy(const SecretBuffer& s) {
    return Bytes(s.view().begin(), s.view().end());
}

}  // namespace

TEST_CASE("profile v1 session keys: KBKDF-CMAC known answers (kbkdf-cmac.json)",
          "[ts102484][profile]") {
    int checked = 0;
    for (const auto& v : sctest::loadSection("kbkdf-cmac.json", "/vectors")) {
        const v1::SessionKeys keys =
            v1::deriveSessionKeys(hexOf(v, "kmsa"), hexOf(v, "terminal_nonce"),
                                  hexOf(v, "uicc_nonce"), hexOf(v, "csa_id"));
        const std::string label = v["label"];
        const SecretBuffer& key = label == "S-ENC"   ? keys.enc
                                  : label == "S-MAC" ? keys.mac
                                                     : keys.rmac;
        INFO(label);
        CHECK(toHex(key.view()) == v["key"].get<std::string>());
        ++checked;
    }
    CHECK(checked == 6);
}

TEST_CASE("profile v1 vectors agree with plain OpenSSL", "[ts102484][profile][vectors]") {
    const auto doc = loadVectors("ts102484-profile-v1.json");
    const Bytes kmsa = hexOf(doc, "kmsa");
    const Bytes tn = hexOf(doc, "terminal_nonce");
    const Bytes un = hexOf(doc, "uicc_nonce");
    const Bytes csa = hexOf(doc, "csa_id");
    const Bytes msa = hexOf(doc, "msa_id");
    const Bytes alg = hexOf(doc, "algorithms");
    const auto& sk = doc["session_keys"];
    const Bytes sEnc = hexOf(sk, "s_enc");
    const Bytes sMac = hexOf(sk, "s_mac");
    const Bytes sRmac = hexOf(sk, "s_rmac");

    // Session keys: CMAC(Kmsa, 00000001 ‖ label ‖ 00 ‖ TN ‖ UN ‖ CSA_ID ‖ 00000080).
    const Bytes ctx = concat({tn, un, csa});
    const Bytes counter1 = fromHex("00000001");
    const Bytes separator = fromHex("00");
    const Bytes bits128 = fromHex("00000080");
    const auto kdf = [&](std::string_view label) {
        return sslCmac(kmsa, concat({counter1, ascii(label), separator, ctx, bits128}));
    };
    CHECK(kdf("S-ENC") == sEnc);
    CHECK(kdf("S-MAC") == sMac);
    CHECK(kdf("S-RMAC") == sRmac);

    for (const auto& s : doc["sscmac"]) {
        const std::uint8_t size[] = {s["container_size"].get<std::uint8_t>()};
        CHECK(sslCmac(sMac, concat({ascii("T2U"), csa, alg, size})) == hexOf(s, "terminal"));
        CHECK(sslCmac(sMac, concat({ascii("U2T"), csa, alg, size})) == hexOf(s, "uicc"));
    }
    CHECK(sslCmac(sMac, concat({ascii("TERM"), csa})) == hexOf(doc["terminate"], "csa_mac"));
    CHECK(sslCmac(kmsa, concat({ascii("TERM"), msa})) == hexOf(doc["terminate"], "msa_mac"));

    int messages = 0;
    for (const auto& m : doc["messages"]) {
        const bool t2c = m["direction"] == "terminal-to-card";
        const auto counter = m["counter"].get<std::uint32_t>();
        const Bytes counterBytes{
            static_cast<std::uint8_t>(counter >> 24), static_cast<std::uint8_t>(counter >> 16),
            static_cast<std::uint8_t>(counter >> 8), static_cast<std::uint8_t>(counter)};
        Bytes ivIn(12, 0x00);
        ivIn.insert(ivIn.end(), counterBytes.begin(), counterBytes.end());
        if (!t2c) {
            ivIn[0] |= 0x80;
        }
        const Bytes iv = sslAes(EVP_aes_128_ecb(), sEnc, nullptr, ivIn, true);
        CHECK(iv == hexOf(m, "iv"));
        Bytes padded = hexOf(m, "plaintext");
        padded.push_back(0x80);
        while (padded.size() % 16 != 0) {
            padded.push_back(0x00);
        }
        const Bytes ct = sslAes(EVP_aes_128_cbc(), sEnc, iv.data(), padded, true);
        const Bytes header = concat({hexOf(m, "p1"), hexOf(m, "p2")});
        const Bytes mac =
            sslCmac(t2c ? sMac : sRmac, concat({hexOf(m, "chain_in"), header, counterBytes, ct}));
        CHECK(mac == hexOf(m, "full_mac"));
        const Bytes secured = concat({counterBytes, ct, ByteView(mac).first(8)});
        CHECK(secured == hexOf(m, "secured"));
        ++messages;
    }
    CHECK(messages == 4);
}

TEST_CASE("profile v1 known answers: keys, SSCMACs, terminate MACs",
          "[ts102484][profile][vectors]") {
    const auto doc = loadVectors("ts102484-profile-v1.json");
    const v1::SessionKeys keys = keysFromVectors(doc);
    CHECK(toHex(keys.enc.view()) == doc["session_keys"]["s_enc"].get<std::string>());
    CHECK(toHex(keys.mac.view()) == doc["session_keys"]["s_mac"].get<std::string>());
    CHECK(toHex(keys.rmac.view()) == doc["session_keys"]["s_rmac"].get<std::string>());
    const Bytes csa = hexOf(doc, "csa_id");
    const Bytes alg = hexOf(doc, "algorithms");
    for (const auto& s : doc["sscmac"]) {
        const auto size = s["container_size"].get<std::uint8_t>();
        CHECK(toHex(v1::terminalSscmac(keys, csa, alg, size)) == s["terminal"]);
        CHECK(toHex(v1::uiccSscmac(keys, csa, alg, size)) == s["uicc"]);
    }
    CHECK(toHex(v1::connectionSaTerminateMac(keys, csa)) == doc["terminate"]["csa_mac"]);
    CHECK(toHex(v1::masterSaTerminateMac(hexOf(doc, "kmsa"), hexOf(doc, "msa_id"))) ==
          doc["terminate"]["msa_mac"]);
}

TEST_CASE("profile v1 known answers: secured messages both ways, with chaining",
          "[ts102484][profile][vectors]") {
    const auto doc = loadVectors("ts102484-profile-v1.json");
    const v1::SessionKeys keys = keysFromVectors(doc);
    v1::DirectionState terminalSends;  // the terminal's view of its own messages
    v1::DirectionState cardSends;      // the card's view of its own messages
    v1::DirectionState terminalReceives;
    v1::DirectionState cardReceives;
    for (const auto& m : doc["messages"]) {
        const bool t2c = m["direction"] == "terminal-to-card";
        const auto direction = t2c ? v1::Direction::TerminalToCard : v1::Direction::CardToTerminal;
        const Bytes plaintext = hexOf(m, "plaintext");
        const std::size_t blocks = m["blocks"].size();
        const v1::MacHeader header = v1::macHeader(direction, blocks);
        CHECK(header.p1 == hexOf(m, "p1")[0]);
        CHECK(header.p2 == hexOf(m, "p2")[0]);
        CHECK(v1::securedValueSize(plaintext.size()) == hexOf(m, "secured").size());

        v1::DirectionState& sender = t2c ? terminalSends : cardSends;
        v1::DirectionState& receiver = t2c ? cardReceives : terminalReceives;
        CHECK(toHex(sender.chain) == m["chain_in"]);
        const Bytes secured = v1::protect(keys, direction, sender, header.p1, header.p2, plaintext);
        CHECK(toHex(secured) == m["secured"]);
        CHECK(sender.counter == m["counter"].get<std::uint32_t>());
        CHECK(toHex(sender.chain) == m["full_mac"]);

        const SecretBuffer opened =
            v1::unprotect(keys, direction, receiver, header.p1, header.p2, secured);
        CHECK(copy(opened) == plaintext);
        CHECK(receiver.counter == sender.counter);
        CHECK(receiver.chain == sender.chain);
    }
}

TEST_CASE("profile v1 round trips of every plaintext size", "[ts102484][profile]") {
    const v1::SessionKeys keys = randomKeys();
    v1::DirectionState tx[2];
    v1::DirectionState rx[2];
    std::mt19937 rng(1234);
    for (std::size_t size = 0; size <= v1::kMaxPlaintext; size += (size < 40 ? 1 : 37)) {
        for (int d = 0; d < 2; ++d) {
            const auto direction =
                d == 0 ? v1::Direction::TerminalToCard : v1::Direction::CardToTerminal;
            Bytes plaintext(size);
            for (auto& b : plaintext) {
                b = static_cast<std::uint8_t>(rng());
            }
            const auto p2 = static_cast<std::uint8_t>(size % 5);
            const Bytes secured =
                v1::protect(keys, direction, tx[d], d == 0 ? 4 : 0, p2, plaintext);
            REQUIRE(secured.size() == v1::securedValueSize(size));
            REQUIRE(secured.size() % 16 == 12);
            const SecretBuffer opened =
                v1::unprotect(keys, direction, rx[d], d == 0 ? 4 : 0, p2, secured);
            REQUIRE(copy(opened) == plaintext);
        }
    }
    CHECK(v1::securedValueSize(v1::kMaxPlaintext) == 4 + 1040 + 8);
    v1::DirectionState s;
    CHECK_THROWS_AS(v1::protect(keys, v1::Direction::TerminalToCard, s, 4, 0, Bytes(1025)),
                    CryptoError);
    CHECK(s.counter == 0);
}

TEST_CASE("profile v1 rejects every tampered, replayed, reordered or malformed message",
          "[ts102484][profile][negative]") {
    const v1::SessionKeys keys = randomKeys();
    const auto t2c = v1::Direction::TerminalToCard;
    v1::DirectionState sender;
    const Bytes m1 = v1::protect(keys, t2c, sender, 4, 0, fromHex("80CA00FF00"));
    const Bytes m2 = v1::protect(keys, t2c, sender, 4, 0, Bytes(40, 0x33));
    const Bytes m3 = v1::protect(keys, t2c, sender, 4, 1, Bytes(3, 0x44));

    v1::DirectionState receiver;
    const auto open = [&](const Bytes& m, std::uint8_t p2 = 0) {
        return v1::unprotect(keys, t2c, receiver, 4, p2, m);
    };

    SECTION("tampered ciphertext") {
        Bytes bad = m1;
        bad[4 + 3] ^= 0x01;
        CHECK(rejection([&] { (void)open(bad); }) == Reason::Mac);
    }
    SECTION("tampered MAC") {
        Bytes bad = m1;
        bad.back() ^= 0x80;
        CHECK(rejection([&] { (void)open(bad); }) == Reason::Mac);
    }
    SECTION("tampered counter (forward) breaks the MAC") {
        Bytes bad = m1;
        bad[3] = 0x09;
        CHECK(rejection([&] { (void)open(bad); }) == Reason::Mac);
    }
    SECTION("wrong P1/P2 or wrong direction breaks the MAC") {
        CHECK(rejection([&] { (void)open(m1, 1); }) == Reason::Mac);
        CHECK(rejection([&] {
                  (void)v1::unprotect(keys, v1::Direction::CardToTerminal, receiver, 4, 0, m1);
              }) == Reason::Mac);
    }
    SECTION("replayed counter") {
        CHECK(copy(open(m1)) == fromHex("80CA00FF00"));
        CHECK(rejection([&] { (void)open(m1); }) == Reason::Counter);
    }
    SECTION("reordered counter") {
        // Skipping ahead is allowed (strictly increasing, not consecutive), but then the MAC
        // chain differs; and going back is a counter failure.
        CHECK(rejection([&] { (void)open(m2); }) == Reason::Mac);
        CHECK(copy(open(m1)).size() == 5);
        CHECK(copy(open(m2)).size() == 40);
        CHECK(rejection([&] { (void)open(m1); }) == Reason::Counter);
        CHECK(copy(open(m3, 1)).size() == 3);
    }
    SECTION("truncated: short, not whole blocks, empty") {
        CHECK(rejection([&] { (void)open(Bytes(m1.begin(), m1.end() - 1)); }) == Reason::Malformed);
        CHECK(rejection([&] { (void)open(Bytes(m1.begin(), m1.begin() + 27)); }) ==
              Reason::Malformed);
        CHECK(rejection([&] { (void)open(Bytes(m2.begin(), m2.end() - 16)); }) == Reason::Mac);
        CHECK(rejection([&] { (void)open(Bytes{}); }) == Reason::Malformed);
    }
    SECTION("oversize: more than a 1024-byte plaintext needs") {
        Bytes big(4 + 1056 + 8, 0x00);
        big[3] = 1;
        CHECK(rejection([&] { (void)open(big); }) == Reason::Malformed);
    }
    SECTION("bad padding under a valid MAC") {
        // Built by hand: a plaintext block without 80 00.. padding, correctly encrypted and MACed.
        const Bytes counter = fromHex("00000001");
        const Bytes iv = aesEcbEncryptBlock(keys.enc.view(), concat({Bytes(12, 0), counter}));
        const Bytes ct = aesCbcEncrypt(keys.enc.view(), iv, Bytes(16, 0x41));
        const Bytes mac =
            aesCmac(keys.mac.view(), concat({Bytes(16, 0), fromHex("0400"), counter, ct}));
        const Bytes bad = concat({counter, ct, ByteView(mac).first(8)});
        CHECK(rejection([&] { (void)open(bad); }) == Reason::Padding);
    }
    SECTION("a rejected message does not advance the state") {
        Bytes bad = m1;
        bad.back() ^= 1;
        CHECK(rejection([&] { (void)open(bad); }) == Reason::Mac);
        CHECK(receiver.counter == 0);
        CHECK(copy(open(m1)).size() == 5);
        CHECK(receiver.counter == 1);
    }
}

TEST_CASE("profile v1 MAC header, sizes and the 92 XX status words", "[ts102484][profile]") {
    const auto cmd = v1::macHeader(v1::Direction::TerminalToCard, 3);
    CHECK(cmd.p1 == 0x04);
    CHECK(cmd.p2 == 0x02);
    const auto rsp = v1::macHeader(v1::Direction::CardToTerminal, 1);
    CHECK(rsp.p1 == 0x00);
    CHECK(rsp.p2 == 0x00);
    CHECK_THROWS_AS(v1::macHeader(v1::Direction::TerminalToCard, 0), CryptoError);
    CHECK(v1::securedValueSize(0) == 28);
    CHECK(v1::securedValueSize(15) == 28);
    CHECK(v1::securedValueSize(16) == 44);
    static_assert(v1::blocksPendingStatus(0) == 0x9200);
    static_assert(v1::blocksPendingStatus(3) == 0x9203);
    CHECK(v1::blocksPending(0x9205) == std::optional<std::uint8_t>(5));
    CHECK(v1::blocksPending(0x9200) == std::optional<std::uint8_t>(0));
    CHECK_FALSE(v1::blocksPending(0x9000));
    CHECK_FALSE(v1::blocksPending(0x6982));
    CHECK_THROWS_AS(v1::deriveSessionKeys(Bytes(32), Bytes(16), Bytes(16), Bytes(16)), CryptoError);
    CHECK_THROWS_AS(v1::deriveSessionKeys(Bytes(16), Bytes(8), Bytes(16), Bytes(16)), CryptoError);
}
