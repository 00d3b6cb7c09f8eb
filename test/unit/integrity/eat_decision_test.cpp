// The integrity report (EAT) and the NSCL's decision: round trips, the claim layout of
// FORMATS.md §3, and every refusal (another node, nonce or counter, expiry, wrong key).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>

#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"
#include "samples.hpp"

using integrity::Decision;
using integrity::DecisionClaims;
using integrity::EatClaims;
using integrity::MalformedInput;
using integrity::PrivateKey;
using integrity::Report;

TEST_CASE("report claims round-trip in FORMATS.md key order", "[integrity][eat]") {
    const auto claims = itest::sampleClaims();
    const auto payload = claims.encode();
    // A8 (8 claims) 06 1A 6955B900 (iat) 0A 5820 ... (eat_nonce)
    CHECK(base::toHex(base::ByteView(payload).first(9)) == "A8061A6955B9000A58");
    const auto back = EatClaims::decode(payload);
    CHECK(back.encode() == payload);
    CHECK(back.iat == claims.iat);
    CHECK(back.nonce == claims.nonce);
    CHECK(back.ueid == claims.ueid);
    REQUIRE(back.measurements.size() == 2);
    CHECK(back.measurements[1].name == "@config");
    REQUIRE(back.results.size() == 3);
    CHECK(back.results[2].result == integrity::MeasurementResult::Absent);
    CHECK(back.manifestVersion == 3);
    CHECK(back.counter == 7);
    auto noTime = claims;
    noTime.iat.reset();
    CHECK_FALSE(EatClaims::decode(noTime.encode()).iat);
}

TEST_CASE("report passes when every required object succeeded", "[integrity][eat]") {
    const auto manifest = itest::sampleManifest();
    auto claims = itest::sampleClaims();
    CHECK(claims.passes(manifest));  // the absent object is optional
    claims.results[1].result = integrity::MeasurementResult::Fail;
    CHECK_FALSE(claims.passes(manifest));
    claims = itest::sampleClaims();
    claims.results[0].name = "@config";  // results for another manifest
    CHECK_FALSE(claims.passes(manifest));
    claims = itest::sampleClaims();
    claims.results.pop_back();
    CHECK_FALSE(claims.passes(manifest));
    claims = itest::sampleClaims();
    claims.manifestVersion = 2;  // measured against an older manifest
    CHECK_FALSE(claims.passes(manifest));
}

TEST_CASE("report claim refusals", "[integrity][eat]") {
    const auto refused = [](auto change) {
        auto claims = itest::sampleClaims();
        change(claims);
        CHECK_THROWS_AS(EatClaims::decode(claims.encode()), MalformedInput);
    };
    refused([](EatClaims& c) { c.nonce.resize(7); });
    refused([](EatClaims& c) { c.nonce.resize(65); });
    refused([](EatClaims& c) { c.ueid.resize(16); });
    refused([](EatClaims& c) { c.ueid[0] = 0x02; });
    refused([](EatClaims& c) { c.measurements[0].sha256.resize(20); });
    refused(
        [](EatClaims& c) { c.results[0].result = static_cast<integrity::MeasurementResult>(0); });
    refused(
        [](EatClaims& c) { c.results[0].result = static_cast<integrity::MeasurementResult>(5); });
    refused([](EatClaims& c) { c.results.resize(17, c.results[0]); });
    // Another profile, an unknown claim: by hand.
    auto payload = itest::sampleClaims().encode();
    const std::string profile = integrity::kEatProfile;
    auto at = std::search(payload.begin(), payload.end(), profile.begin(), profile.end());
    REQUIRE(at != payload.end());
    *at = 'x';
    CHECK_THROWS_AS(EatClaims::decode(payload), MalformedInput);
    CHECK_THROWS_AS(EatClaims::decode(base::fromHex("A1 01 00")), MalformedInput);
    CHECK_THROWS_AS(EatClaims::decode(base::Bytes(9000, 0)), MalformedInput);
}

TEST_CASE("a signed report verifies under the attestation key only", "[integrity][eat]") {
    const auto key = PrivateKey::generate();
    const auto claims = itest::sampleClaims();
    const auto encoded =
        integrity::CoseSign1::sign(key, claims.encode(), key.publicKey().keyId()).encode();
    const auto report = Report::decode(encoded);
    report.verifyWith(key.publicKey());
    CHECK(report.claims.counter == claims.counter);
    const auto other = PrivateKey::generate();
    CHECK_THROWS_AS(report.verifyWith(other.publicKey()), integrity::SignatureInvalid);
    // Signed by another key that claims the right kid.
    const auto forged = Report::decode(
        integrity::CoseSign1::sign(other, claims.encode(), key.publicKey().keyId()).encode());
    CHECK_THROWS_AS(forged.verifyWith(key.publicKey()), integrity::SignatureInvalid);
    // Without a kid.
    CHECK_THROWS_AS(
        Report::decode(integrity::CoseSign1::sign(key, claims.encode(), std::nullopt).encode()),
        MalformedInput);
}

TEST_CASE("decisions round-trip and answer only their report", "[integrity][decision]") {
    const auto policy = PrivateKey::generate();
    const auto report = itest::sampleClaims();
    auto claims = itest::sampleDecisionFor(report);
    SECTION("full") {}
    SECTION("partial with remediation") {
        claims.verdict = integrity::Verdict::Partial;
        claims.allowed = {"applications/meter", "containers/readings"};
        const auto sp = PrivateKey::generate();
        claims.remediation = integrity::Remediation{
            integrity::CoseSign1::sign(sp, itest::sampleManifest(4).encodePayload(), std::nullopt)
                .encode(),
            {{"@agent", "https://nscl.example/integrity/objects/1", base::Bytes(32, 0xa1)}}};
    }
    SECTION("deny") {
        claims.verdict = integrity::Verdict::Deny;
    }
    const auto encoded =
        integrity::CoseSign1::sign(policy, claims.encode(), policy.publicKey().keyId()).encode();
    const auto decision = Decision::decode(encoded);
    decision.verifyWith(policy.publicKey());
    CHECK(decision.claims.encode() == claims.encode());
    CHECK(decision.claims.verdict == claims.verdict);
    CHECK(decision.claims.allowed == claims.allowed);
    CHECK(decision.claims.remediation.has_value() == claims.remediation.has_value());
    CHECK_NOTHROW(decision.checkAnswers(report, claims.iat));
    CHECK_NOTHROW(decision.checkAnswers(report, claims.exp));
    CHECK_THROWS_AS(decision.verifyWith(PrivateKey::generate().publicKey()),
                    integrity::SignatureInvalid);

    auto other = report;
    other.nonce[0] ^= 1;
    CHECK_THROWS_AS(decision.checkAnswers(other, claims.iat), integrity::NotFresh);
    other = report;
    other.ueid[5] ^= 1;
    CHECK_THROWS_AS(decision.checkAnswers(other, claims.iat), integrity::NotFresh);
    other = report;
    other.counter += 1;
    CHECK_THROWS_AS(decision.checkAnswers(other, claims.iat), integrity::NotFresh);
    CHECK_THROWS_AS(decision.checkAnswers(report, claims.exp + 1), integrity::NotFresh);
}

TEST_CASE("decision refusals", "[integrity][decision]") {
    const auto report = itest::sampleClaims();
    const auto refused = [&](auto change) {
        auto claims = itest::sampleDecisionFor(report);
        change(claims);
        CHECK_THROWS_AS(DecisionClaims::decode(claims.encode()), MalformedInput);
    };
    refused([](DecisionClaims& d) { d.verdict = static_cast<integrity::Verdict>(3); });
    refused([](DecisionClaims& d) { d.exp = d.iat - 1; });
    refused([](DecisionClaims& d) {
        d.remediation = integrity::Remediation{base::Bytes{0x01}, {}};  // not a manifest
    });
    refused([](DecisionClaims& d) { d.remediation = integrity::Remediation{base::Bytes{}, {}}; });
    // Allowed paths under a full verdict (key 5 added by hand: {..., 5: []}).
    auto claims = itest::sampleDecisionFor(report);
    claims.verdict = integrity::Verdict::Partial;
    auto payload = claims.encode();
    // 04 01 05: key 4 (verdict) = 1, then key 5; unique in the encoding.
    const std::array<std::uint8_t, 3> partialVerdict{0x04, 0x01, 0x05};
    const auto verdictAt =
        std::search(payload.begin(), payload.end(), partialVerdict.begin(), partialVerdict.end());
    REQUIRE(verdictAt != payload.end());
    *(verdictAt + 1) = 0x00;
    CHECK_THROWS_AS(DecisionClaims::decode(payload), MalformedInput);
    CHECK(integrity::verdictFromString("partial") == integrity::Verdict::Partial);
    CHECK_THROWS_AS(integrity::verdictFromString("maybe"), MalformedInput);
    // No kid.
    const auto policy = PrivateKey::generate();
    CHECK_THROWS_AS(
        Decision::decode(integrity::CoseSign1::sign(
                             policy, itest::sampleDecisionFor(report).encode(), std::nullopt)
                             .encode()),
        MalformedInput);
}
