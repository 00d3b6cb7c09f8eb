// The reference manifest: round trip, its signed form with an x5chain checked by OpenSSL against
// a root, and the refusals (names that leave the integrity root, sizes, rollback).
#include <catch2/catch.hpp>

#include "integrity/manifest.hpp"
#include "samples.hpp"
#include "test_certs.hpp"

using integrity::MalformedInput;
using integrity::Manifest;
using integrity::SignedManifest;

TEST_CASE("a manifest round-trips through its deterministic payload", "[integrity][manifest]") {
    const auto m = itest::sampleManifest();
    const auto payload = m.encodePayload();
    const auto back = Manifest::decodePayload(payload);
    CHECK(back.version == m.version);
    REQUIRE(back.objects.size() == 3);
    CHECK(back.objects[2].name == "plugins/extra.so");
    CHECK_FALSE(back.objects[2].required);
    CHECK(back.objects[0].action == integrity::RecoveryAction::Halt);
    CHECK(back.encodePayload() == payload);
    CHECK(back.find("@config") != nullptr);
    CHECK(back.find("@nothing") == nullptr);
    // FORMATS.md §2 by hand: A2 01 03 02 83 A4 01 66 "@age...: {1: 3, 2: [{1: "@agent", ...}, ...]}
    CHECK(base::toHex(base::ByteView(payload).first(12)) == "A201030283A4016640616765");
}

TEST_CASE("manifest refusals", "[integrity][manifest]") {
    auto encodeWith = [](auto change) {
        auto m = itest::sampleManifest();
        change(m);
        return m.encodePayload();
    };
    const auto refused = [&](auto change) {
        CHECK_THROWS_AS(Manifest::decodePayload(encodeWith(change)), MalformedInput);
    };
    refused([](Manifest& m) { m.version = 0; });
    refused([](Manifest& m) { m.objects.clear(); });
    refused([](Manifest& m) { m.objects.resize(17, m.objects[0]); });
    refused([](Manifest& m) { m.objects[1].name = m.objects[0].name; });
    refused([](Manifest& m) { m.objects[0].name = "@other"; });
    refused([](Manifest& m) { m.objects[0].name = "/etc/passwd"; });
    refused([](Manifest& m) { m.objects[0].name = "../outside"; });
    refused([](Manifest& m) { m.objects[0].name = "a/../../b"; });
    refused([](Manifest& m) { m.objects[0].name = "a//b"; });
    refused([](Manifest& m) { m.objects[0].name = "a/"; });
    refused([](Manifest& m) { m.objects[0].name = std::string(65, 'x'); });
    refused([](Manifest& m) { m.objects[0].sha256.resize(31); });
    refused([](Manifest& m) { m.objects[0].action = static_cast<integrity::RecoveryAction>(4); });
    // Accepted edges.
    CHECK_NOTHROW(Manifest::decodePayload(
        encodeWith([](Manifest& m) { m.objects[0].name = std::string(64, 'x'); })));
    CHECK_NOTHROW(Manifest::decodePayload(encodeWith([](Manifest& m) {
        m.objects.resize(16, m.objects[2]);
        for (std::size_t i = 2; i < 16; ++i) {
            m.objects[i].name = "o" + std::to_string(i);
        }
    })));
    // An unknown key, a missing key, a string where a bool belongs.
    CHECK_THROWS_AS(Manifest::decodePayload(base::fromHex("A3 01 01 02 80 03 00")), MalformedInput);
    CHECK_THROWS_AS(Manifest::decodePayload(base::fromHex("A1 01 01")), MalformedInput);
    CHECK_THROWS_AS(Manifest::decodePayload(base::fromHex("A2 01 01 02 81 A4 01 61 61 02 5820" +
                                                          std::string(64, '0') + "03 61 74 04 00")),
                    MalformedInput);
    // Invalid UTF-8 in a name.
    CHECK_THROWS_AS(Manifest::decodePayload(base::fromHex("A2 01 01 02 81 A4 01 61 FF 02 5820" +
                                                          std::string(64, '0') + "03 F5 04 00")),
                    MalformedInput);
    // Oversized payload.
    CHECK_THROWS_AS(Manifest::decodePayload(base::Bytes(Manifest::kMaxPayloadBytes + 1, 0)),
                    MalformedInput);
}

TEST_CASE("recovery actions by name", "[integrity][manifest]") {
    CHECK(integrity::recoveryActionFromString("quarantine") ==
          integrity::RecoveryAction::Quarantine);
    CHECK(integrity::toString(integrity::RecoveryAction::Rollback) == "rollback");
    CHECK_THROWS_AS(integrity::recoveryActionFromString("reboot"), MalformedInput);
}

TEST_CASE("a manifest version that is not newer is refused", "[integrity][manifest]") {
    const auto m = itest::sampleManifest(5);
    CHECK_NOTHROW(m.requireNewerThan(0));
    CHECK_NOTHROW(m.requireNewerThan(4));
    CHECK_THROWS_AS(m.requireNewerThan(5), integrity::VersionNotNewer);
    CHECK_THROWS_AS(m.requireNewerThan(6), integrity::VersionNotNewer);
}

TEST_CASE("a signed manifest verifies under the SP key and through its x5chain",
          "[integrity][manifest][x509]") {
    const itest::TestPki pki;
    const auto m = itest::sampleManifest();
    const auto encoded = integrity::CoseSign1::sign(pki.leafKey, m.encodePayload(), std::nullopt,
                                                    {pki.leafDer, pki.intermediateDer})
                             .encode();
    const auto decoded = SignedManifest::decode(encoded);
    CHECK(decoded.manifest.version == m.version);
    decoded.verifyWith(pki.leafKey.publicKey());
    CHECK(decoded.verifyChain(pki.rootDer).point() == pki.leafKey.publicKey().point());
    CHECK_THROWS_AS(decoded.verifyWith(pki.otherRootKey.publicKey()), integrity::SignatureInvalid);

    SECTION("another root") {
        CHECK_THROWS_AS(decoded.verifyChain(pki.otherRootDer), integrity::KeyError);
    }
    SECTION("the intermediate left out") {
        const auto shortChain = SignedManifest::decode(
            integrity::CoseSign1::sign(pki.leafKey, m.encodePayload(), std::nullopt, {pki.leafDer})
                .encode());
        CHECK_THROWS_AS(shortChain.verifyChain(pki.rootDer), integrity::KeyError);
    }
    SECTION("no chain at all") {
        const auto bare = SignedManifest::decode(
            integrity::CoseSign1::sign(pki.leafKey, m.encodePayload(), std::nullopt).encode());
        CHECK_THROWS_AS(bare.verifyChain(pki.rootDer), integrity::KeyError);
    }
    SECTION("a chain that is good, signed by another key") {
        const auto forged = SignedManifest::decode(
            integrity::CoseSign1::sign(pki.otherRootKey, m.encodePayload(), std::nullopt,
                                       {pki.leafDer, pki.intermediateDer})
                .encode());
        CHECK_THROWS_AS(forged.verifyChain(pki.rootDer), integrity::SignatureInvalid);
    }
    SECTION("a certificate that is not DER") {
        const auto junk = SignedManifest::decode(
            integrity::CoseSign1::sign(pki.leafKey, m.encodePayload(), std::nullopt,
                                       {base::Bytes{0x30, 0x03, 0x02, 0x01, 0x00}})
                .encode());
        CHECK_THROWS_AS(junk.verifyChain(pki.rootDer), integrity::KeyError);
    }
}
