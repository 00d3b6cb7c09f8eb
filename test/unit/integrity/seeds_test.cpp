// The fuzz seeds of the integrity formats are written by test/fuzz/make_seeds.py with its own small
// CBOR encoder: an encoder independent of libcbor. Each valid seed must decode here and re-encode
// to the same bytes, so the two agree on the deterministic encoding of FORMATS.md.
#include <catch2/catch.hpp>

#include <filesystem>

#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"
#include "test_support.hpp"

namespace {

base::Bytes seed(const std::string& target, const std::string& name) {
    const char* root = std::getenv("M2M_TESTDATA");
    const std::filesystem::path path =
        std::filesystem::path(root != nullptr ? root : "testdata") / "fuzz" / target / name;
    const std::string text = sctest::readText(path);
    REQUIRE_FALSE(text.empty());
    return base::Bytes(text.begin(), text.end());
}

}  // namespace

TEST_CASE("make_seeds.py's CBOR and ours agree byte for byte", "[integrity][seeds]") {
    for (const char* name : {"seed-payload", "seed-one-object"}) {
        const auto bytes = seed("manifest", name);
        CHECK(integrity::Manifest::decodePayload(bytes).encodePayload() == bytes);
    }
    CHECK_THROWS_AS(integrity::Manifest::decodePayload(seed("manifest", "seed-unsorted-keys")),
                    integrity::MalformedInput);
    for (const char* name : {"seed-claims", "seed-claims-no-iat", "seed-claims-submods"}) {
        const auto bytes = seed("eat", name);
        CHECK(integrity::EatClaims::decode(bytes).encode() == bytes);
    }
    for (const char* name : {"seed-full", "seed-partial-remediation", "seed-deny"}) {
        const auto bytes = seed("decision", name);
        CHECK(integrity::DecisionClaims::decode(bytes).encode() == bytes);
    }
    for (const char* name : {"seed-manifest", "seed-report", "seed-decision"}) {
        const auto bytes = seed("cose_sign1", name);
        CHECK(integrity::CoseSign1::decode(bytes).encode() == bytes);
    }
    CHECK(integrity::Report::decode(seed("eat", "seed-signed")).claims.counter == 7);
    const auto submods = integrity::decodeSubmods(seed("eat", "seed-submods"));
    CHECK(integrity::encodeSubmods(submods) == seed("eat", "seed-submods"));
    CHECK(integrity::Report::decode(seed("eat", "seed-signed-submods")).claims.submods == submods);
    CHECK(integrity::Decision::decode(seed("decision", "seed-signed")).claims.verdict ==
          integrity::Verdict::Partial);
}
