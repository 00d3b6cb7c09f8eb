// COSE_Sign1/ES256: the published COSE WG example verified, our own messages checked by the
// `openssl` command as an independent verifier, and every refusal of the strict reader.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include "integrity/cose.hpp"
#include "test_support.hpp"

using integrity::CoseSign1;
using integrity::PrivateKey;
using integrity::PublicKey;

namespace {

PublicKey exampleKey() {
    const auto key = sctest::loadSection("cose-sign1-es256.json", "/key");
    const auto x = integrity::fromBase64Url(key["x"].get<std::string>());
    const auto y = integrity::fromBase64Url(key["y"].get<std::string>());
    return PublicKey::fromPoint(base::concat({base::Bytes{0x04}, x, y}));
}

}  // namespace

TEST_CASE("the COSE WG ES256 COSE_Sign1 example decodes and verifies", "[integrity][cose][kat]") {
    const PublicKey key = exampleKey();
    for (const auto& v : sctest::loadSection("cose-sign1-es256.json", "/accepted")) {
        INFO(v["name"].get<std::string>());
        const auto message = CoseSign1::decode(base::fromHex(v["cbor_hex"].get<std::string>()));
        const auto text = v["payload_text"].get<std::string>();
        CHECK(message.payload == base::Bytes(text.begin(), text.end()));
        REQUIRE(message.kid);
        CHECK(*message.kid == base::fromHex(v["kid_hex"].get<std::string>()));
        CHECK(message.toBeSigned() == base::fromHex(v["tbs_hex"].get<std::string>()));
        message.verify(key);
        // Our encoding of it is the example's, tagged.
        CHECK(message.encode() ==
              base::concat({base::Bytes{0xd2}, base::fromHex(v["cbor_hex"].get<std::string>())}));
        auto tampered = message;
        tampered.payload.back() ^= 1;
        CHECK_THROWS_AS(tampered.verify(key), integrity::SignatureInvalid);
    }
}

TEST_CASE("COSE examples with other protected headers are refused, though their signatures verify",
          "[integrity][cose][kat]") {
    const PublicKey key = exampleKey();
    for (const auto& v : sctest::loadSection("cose-sign1-es256.json", "/refused")) {
        INFO(v["name"].get<std::string>());
        CHECK_THROWS_AS(CoseSign1::decode(base::fromHex(v["cbor_hex"].get<std::string>())),
                        integrity::MalformedInput);
        if (v.contains("signature_hex")) {
            CHECK(key.verify(base::fromHex(v["tbs_hex"].get<std::string>()),
                             base::fromHex(v["signature_hex"].get<std::string>())));
        }
    }
}

TEST_CASE("sign then decode round-trips with kid and x5chain", "[integrity][cose]") {
    const auto key = PrivateKey::generate();
    const base::Bytes payload{0xa1, 0x01, 0x02};
    for (std::size_t certs : {0u, 1u, 2u}) {
        std::vector<base::Bytes> chain;
        for (std::size_t i = 0; i < certs; ++i) {
            chain.push_back(base::Bytes(10 + i, static_cast<std::uint8_t>(i)));
        }
        const auto signedMessage = CoseSign1::sign(key, payload, key.publicKey().keyId(), chain);
        const auto encoded = signedMessage.encode();
        CHECK(encoded[0] == 0xd2);
        const auto decoded = CoseSign1::decode(encoded);
        CHECK(decoded.payload == payload);
        CHECK(decoded.kid == key.publicKey().keyId());
        CHECK(decoded.x5chain == chain);
        CHECK(decoded.protectedHeader == base::Bytes{0xa1, 0x01, 0x26});
        CHECK(decoded.encode() == encoded);
        decoded.verify(key.publicKey());
        CHECK_THROWS_AS(decoded.verify(PrivateKey::generate().publicKey()),
                        integrity::SignatureInvalid);
    }
}

TEST_CASE("the openssl command verifies our ES256 signatures over the Sig_structure",
          "[integrity][cose][openssl-cli]") {
    const auto openssl = sctest::findExecutable("openssl");
    if (!openssl) {
        WARN(
            "the `openssl` command is not installed: cross-check skipped (apt-get install "
            "openssl)");
        return;
    }
    const sctest::TempDir dir;
    const auto key = PrivateKey::generate();
    sctest::writeFile(dir / "pub.pem", key.publicKey().pem());
    for (int i = 0; i < 4; ++i) {
        const base::Bytes payload(static_cast<std::size_t>(i * 37), static_cast<std::uint8_t>(i));
        const auto message = CoseSign1::sign(key, payload, std::nullopt);
        // r‖s back to DER, the form openssl dgst reads.
        const auto& raw = message.signature;
        REQUIRE(raw.size() == 64);
        auto derInt = [](base::ByteView part) {
            std::size_t skip = 0;
            while (skip < part.size() - 1 && part[skip] == 0) {
                ++skip;
            }
            base::Bytes value(part.begin() + static_cast<std::ptrdiff_t>(skip), part.end());
            if (!value.empty() && (value.front() & 0x80) != 0) {
                value.insert(value.begin(), 0);
            }
            return base::concat(
                {base::Bytes{0x02, static_cast<std::uint8_t>(value.size())}, value});
        };
        const auto body = base::concat(
            {derInt(base::ByteView(raw).first(32)), derInt(base::ByteView(raw).last(32))});
        const auto der =
            base::concat({base::Bytes{0x30, static_cast<std::uint8_t>(body.size())}, body});
        sctest::writeFile(dir / "sig.der", der);
        sctest::writeFile(dir / "tbs.bin", message.toBeSigned());
        auto run = sctest::runCommand({openssl->string(), "dgst", "-sha256", "-verify",
                                       (dir / "pub.pem").string(), "-signature",
                                       (dir / "sig.der").string(), (dir / "tbs.bin").string()});
        INFO(run.err);
        CHECK(run.exitCode == 0);
        CHECK(run.out.find("Verified OK") != std::string::npos);
        // And openssl refuses it over another message: the check is real.
        auto tbs = message.toBeSigned();
        tbs.back() ^= 1;
        sctest::writeFile(dir / "tbs.bin", tbs);
        run = sctest::runCommand({openssl->string(), "dgst", "-sha256", "-verify",
                                  (dir / "pub.pem").string(), "-signature",
                                  (dir / "sig.der").string(), (dir / "tbs.bin").string()});
        CHECK(run.exitCode != 0);
    }
}

TEST_CASE("openssl-made signatures verify with our reader", "[integrity][cose][openssl-cli]") {
    const auto openssl = sctest::findExecutable("openssl");
    if (!openssl) {
        WARN("the `openssl` command is not installed: cross-check skipped");
        return;
    }
    const sctest::TempDir dir;
    const auto key = PrivateKey::generate();
    key.writePemFile((dir / "key.pem").string());
    auto message = CoseSign1::sign(key, base::Bytes{1, 2, 3}, std::nullopt);
    sctest::writeFile(dir / "tbs.bin", message.toBeSigned());
    const auto run = sctest::runCommand({openssl->string(), "dgst", "-sha256", "-sign",
                                         (dir / "key.pem").string(), "-out",
                                         (dir / "sig.der").string(), (dir / "tbs.bin").string()});
    REQUIRE(run.exitCode == 0);
    const std::string der = sctest::readText(dir / "sig.der");
    // DER SEQUENCE { INTEGER r, INTEGER s } to r‖s.
    const base::Bytes bytes(der.begin(), der.end());
    std::size_t pos = 2;
    base::Bytes raw;
    for (int i = 0; i < 2; ++i) {
        REQUIRE(bytes[pos] == 0x02);
        const std::size_t len = bytes[pos + 1];
        base::Bytes value(bytes.begin() + static_cast<std::ptrdiff_t>(pos + 2),
                          bytes.begin() + static_cast<std::ptrdiff_t>(pos + 2 + len));
        while (value.size() > 32) {
            value.erase(value.begin());
        }
        raw.insert(raw.end(), 32 - value.size(), 0);
        base::append(raw, value);
        pos += 2 + len;
    }
    message.signature = raw;
    message.verify(key.publicKey());
}

TEST_CASE("COSE_Sign1 refusals", "[integrity][cose]") {
    const auto key = PrivateKey::generate();
    const auto good = CoseSign1::sign(key, base::Bytes{0x01}, base::Bytes{0x11}).encode();
    using integrity::MalformedInput;
    SECTION("truncated at every length") {
        for (std::size_t n = 0; n < good.size(); ++n) {
            CHECK_THROWS_AS(CoseSign1::decode(base::ByteView(good).first(n)), MalformedInput);
        }
    }
    SECTION("trailing bytes") {
        auto longer = good;
        longer.push_back(0x00);
        CHECK_THROWS_AS(CoseSign1::decode(longer), MalformedInput);
    }
    SECTION("another tag") {
        auto other = good;
        other[0] = 0xd1;  // tag 17, COSE_Mac0
        CHECK_THROWS_AS(CoseSign1::decode(other), MalformedInput);
    }
    SECTION("another algorithm (ES384, -35)") {
        // 84 43 A1 01 38 22 ...: protected {1: -35}
        auto msg = CoseSign1::sign(key, base::Bytes{0x01}, std::nullopt);
        msg.protectedHeader = {0xa1, 0x01, 0x38, 0x22};
        CHECK_THROWS_AS(CoseSign1::decode(msg.encode()), MalformedInput);
    }
    SECTION("an unknown unprotected header") {
        // [h'A10126', {3: 0}, h'', h'00'*64]
        const auto bytes =
            base::concat({base::fromHex("8443A10126A1030040 5840"), base::Bytes(64, 0)});
        CHECK_THROWS_AS(CoseSign1::decode(bytes), MalformedInput);
    }
    SECTION("a signature of the wrong size or DER form") {
        const auto bytes =
            base::concat({base::fromHex("8443A10126A0 40 5846"), base::Bytes(70, 0x30)});
        CHECK_THROWS_AS(CoseSign1::decode(bytes), MalformedInput);
    }
    SECTION("a detached payload") {
        const auto bytes = base::concat({base::fromHex("8443A10126A0F65840"), base::Bytes(64, 0)});
        CHECK_THROWS_AS(CoseSign1::decode(bytes), MalformedInput);
    }
    SECTION("an x5chain array of one certificate (RFC 9360: a single one is a bstr)") {
        const auto bytes =
            base::concat({base::fromHex("8443A10126A1182181410140 5840"), base::Bytes(64, 0)});
        CHECK_THROWS_AS(CoseSign1::decode(bytes), MalformedInput);
    }
    SECTION("oversized") {
        CoseSign1 big = CoseSign1::sign(key, base::Bytes(20000, 0), std::nullopt);
        CHECK_THROWS_AS(CoseSign1::decode(big.encode()), MalformedInput);
    }
}

TEST_CASE("the strict CBOR reader refuses non-deterministic encodings", "[integrity][cose][cbor]") {
    using integrity::MalformedInput;
    const auto sig = base::Bytes(64, 0x01);
    const auto tail = base::concat({base::fromHex("40 5840"), sig});
    // The accepted form, for reference.
    CHECK_NOTHROW(CoseSign1::decode(base::concat({base::fromHex("8443A10126A0"), tail})));
    // Indefinite-length array.
    CHECK_THROWS_AS(
        CoseSign1::decode(base::concat({base::fromHex("9F43A10126A0"), tail, base::fromHex("FF")})),
        MalformedInput);
    // Indefinite-length byte string as the payload.
    CHECK_THROWS_AS(
        CoseSign1::decode(base::concat({base::fromHex("8443A10126A05F4101FF5840"), sig})),
        MalformedInput);
    // Non-shortest length of the array (98 04) and of the protected bstr (58 03).
    CHECK_THROWS_AS(CoseSign1::decode(base::concat({base::fromHex("980443A10126A0"), tail})),
                    MalformedInput);
    CHECK_THROWS_AS(CoseSign1::decode(base::concat({base::fromHex("845803A10126A0"), tail})),
                    MalformedInput);
    // Map keys out of order ({33: ..., 4: ...}) and duplicated ({4: h'11', 4: h'11'}).
    CHECK_THROWS_AS(
        CoseSign1::decode(base::concat({base::fromHex("8443A10126A2182141010441 11"), tail})),
        MalformedInput);
    CHECK_THROWS_AS(
        CoseSign1::decode(base::concat({base::fromHex("8443A10126A20441110441 11"), tail})),
        MalformedInput);
    // A float where a map should be.
    CHECK_THROWS_AS(CoseSign1::decode(base::concat({base::fromHex("8443A10126F93C00"), tail})),
                    MalformedInput);
    // A length beyond the input, claiming 4 GiB.
    CHECK_THROWS_AS(CoseSign1::decode(base::fromHex("845AFFFFFFFF00")), MalformedInput);
    // A map key that is not an integer (fuzzing found libcbor asserting on it):
    // testdata/fuzz/cose_sign1/crash-array-map-key.
    CHECK_THROWS_AS(CoseSign1::decode(base::fromHex("D28443A10126A180808000")), MalformedInput);
    CHECK_THROWS_AS(CoseSign1::decode(base::concat({base::fromHex("8443A10126A1614101"), tail})),
                    MalformedInput);
    // Nesting deeper than the reader allows.
    CHECK_THROWS_AS(CoseSign1::decode(base::Bytes(40, 0x81)), MalformedInput);
}

TEST_CASE("public keys from point, PEM and certificate; refusals", "[integrity][keys]") {
    const auto key = PrivateKey::generate();
    const auto pub = key.publicKey();
    CHECK(pub.point().size() == 65);
    CHECK(PublicKey::fromPem(pub.pem()).point() == pub.point());
    CHECK(pub.keyId().size() == 8);
    auto offCurve = pub.point();
    offCurve[64] ^= 1;
    CHECK_THROWS_AS(PublicKey::fromPoint(offCurve), integrity::KeyError);
    CHECK_THROWS_AS(PublicKey::fromPoint(base::ByteView(pub.point()).first(33)),
                    integrity::KeyError);
    CHECK_THROWS_AS(PublicKey::fromPem("not a key"), integrity::KeyError);
    CHECK_THROWS_AS(PublicKey::fromCertificateDer(base::Bytes{0x30, 0x00}), integrity::KeyError);
    CHECK_FALSE(pub.verify(base::Bytes{1}, base::Bytes(63, 1)));
    CHECK_FALSE(pub.verify(base::Bytes{1}, base::Bytes(64, 0)));
}

TEST_CASE("private key files are written 0600 and refused when readable by others",
          "[integrity][keys]") {
    const sctest::TempDir dir;
    const auto path = (dir / "key.pem").string();
    const auto key = PrivateKey::generate();
    key.writePemFile(path);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(PrivateKey::fromPemFile(path).publicKey().point() == key.publicKey().point());
    ::chmod(path.c_str(), 0644);
    CHECK_THROWS_AS(PrivateKey::fromPemFile(path), integrity::KeyError);
    ::chmod(path.c_str(), 0600);
    sctest::writeFile(dir / "junk.pem", std::string_view("junk"), 0600);
    CHECK_THROWS_AS(PrivateKey::fromPemFile((dir / "junk.pem").string()), integrity::KeyError);
    CHECK_THROWS_AS(PrivateKey::fromPemFile((dir / "missing.pem").string()), integrity::KeyError);
    // Rewriting an existing, too-open file leaves it private.
    ::chmod(path.c_str(), 0644);
    key.writePemFile(path);
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("base64url without padding", "[integrity][base64url]") {
    CHECK(integrity::toBase64Url(base::Bytes{0xfb, 0xff}) == "-_8");
    CHECK(integrity::fromBase64Url("-_8") == base::Bytes{0xfb, 0xff});
    CHECK(integrity::fromBase64Url("") == base::Bytes{});
    for (std::size_t n = 0; n < 10; ++n) {
        const base::Bytes data(n, static_cast<std::uint8_t>(0xf0 + n));
        CHECK(integrity::fromBase64Url(integrity::toBase64Url(data)) == data);
    }
    CHECK_THROWS_AS(integrity::fromBase64Url("-_8="), integrity::MalformedInput);
    CHECK_THROWS_AS(integrity::fromBase64Url("+/8"), integrity::MalformedInput);
    CHECK_THROWS_AS(integrity::fromBase64Url("-_9"), integrity::MalformedInput);  // pad bits
    CHECK_THROWS_AS(integrity::fromBase64Url("A"), integrity::MalformedInput);
}
