// The gateway's `submods` claim (RFC 9711 §4.2.18, key 266; agent/GATEWAY.md §3, FORMATS.md §3):
// round trips inside a report and alone (what the gateway hands its card), and every refusal, the
// hand-made ones built byte by byte because the encoder refuses to write them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "integrity/eat.hpp"
#include "samples.hpp"

using integrity::EatClaims;
using integrity::MalformedInput;
using integrity::Submodule;
using integrity::Verdict;

namespace {

base::Bytes ueidOf(std::uint8_t fill) {
    base::Bytes ueid(17, fill);
    ueid[0] = 0x01;
    return ueid;
}

std::vector<Submodule> sampleSubmods() {
    Submodule partial;
    partial.name = "0102030405060708090a0b0c0d0e0f10";
    partial.ueid = ueidOf(0x33);
    partial.counter = 12;
    partial.verdict = Verdict::Partial;
    partial.allowed = {"/m2m/scls/dev/applications", "/m2m/scls/dev/containers"};
    partial.attested = true;
    Submodule full;
    full.name = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
    full.ueid = ueidOf(0x44);
    full.verdict = Verdict::Full;
    full.attested = false;
    return {partial, full};
}

// Hand CBOR (RFC 8949 §3): heads in their shortest form.
void head(base::Bytes& out, std::uint8_t major, std::uint64_t n) {
    const auto type = static_cast<std::uint8_t>(major << 5);
    if (n < 24) {
        out.push_back(static_cast<std::uint8_t>(type | n));
    } else if (n < 0x100) {
        out.insert(out.end(), {static_cast<std::uint8_t>(type | 24), static_cast<std::uint8_t>(n)});
    } else if (n < 0x10000) {
        out.insert(out.end(), {static_cast<std::uint8_t>(type | 25),
                               static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
    } else {
        out.push_back(static_cast<std::uint8_t>(type | 26));
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.push_back(static_cast<std::uint8_t>(n >> shift));
        }
    }
}
void text(base::Bytes& out, const std::string& s) {
    head(out, 3, s.size());
    out.insert(out.end(), s.begin(), s.end());
}
void key(base::Bytes& out, std::int64_t k) {
    if (k >= 0) {
        head(out, 0, static_cast<std::uint64_t>(k));
    } else {
        head(out, 1, static_cast<std::uint64_t>(-1 - k));
    }
}

// One submodule {256: ueid, -70003: verdict, -70005: attested} with `extra` spliced in after the
// verdict (the caller keeps key order) and `entries` counting them all.
base::Bytes submodule(std::uint64_t verdict, const base::Bytes& extra = {},
                      std::size_t extraEntries = 0, std::uint8_t attested = 0xf5) {
    base::Bytes out;
    head(out, 5, 3 + extraEntries);
    key(out, 256);
    const auto ueid = ueidOf(0x55);
    head(out, 2, ueid.size());
    out.insert(out.end(), ueid.begin(), ueid.end());
    key(out, -70003);
    head(out, 0, verdict);
    out.insert(out.end(), extra.begin(), extra.end());
    key(out, -70005);
    out.push_back(attested);
    return out;
}

base::Bytes mapOf(const std::vector<std::pair<std::string, base::Bytes>>& entries) {
    base::Bytes out;
    head(out, 5, entries.size());
    for (const auto& [name, value] : entries) {
        text(out, name);
        out.insert(out.end(), value.begin(), value.end());
    }
    return out;
}

}  // namespace

TEST_CASE("submods round-trip alone and inside a report", "[integrity][eat][submods]") {
    const auto submods = sampleSubmods();
    const auto encoded = integrity::encodeSubmods(submods);
    // A2 (2 devices) 78 20 "0102..." A5 (5 claims) 19 0100 (ueid) 51 01 33..
    CHECK(base::toHex(base::ByteView(encoded).first(3)) == "A27820");
    CHECK(integrity::decodeSubmods(encoded) == submods);

    auto claims = itest::sampleClaims();
    claims.submods = submods;
    const auto payload = claims.encode();
    CHECK(base::toHex(base::ByteView(payload).first(1)) == "A9");  // 9 claims
    // Claim 266 right after eat_profile (265) and before measurements (273), verbatim.
    base::Bytes expected = base::fromHex("19010A");
    expected.insert(expected.end(), encoded.begin(), encoded.end());
    expected.insert(expected.end(), {0x19, 0x01, 0x11});
    CHECK(std::search(payload.begin(), payload.end(), expected.begin(), expected.end()) !=
          payload.end());
    const auto back = EatClaims::decode(payload);
    CHECK(back.submods == submods);
    CHECK(back.encode() == payload);
    CHECK(EatClaims::decode(itest::sampleClaims().encode()).submods.empty());
}

TEST_CASE("submods come out in deterministic name order", "[integrity][eat][submods]") {
    auto submods = sampleSubmods();
    auto shortName = submods[1];
    shortName.name = "ff";  // shorter sorts first (RFC 8949 §4.2.1: bytewise on the encoding)
    std::vector<Submodule> given{submods[1], submods[0], shortName};
    const auto back = integrity::decodeSubmods(integrity::encodeSubmods(given));
    REQUIRE(back.size() == 3);
    CHECK(back[0].name == "ff");
    CHECK(back[1].name == submods[0].name);
    CHECK(back[2].name == submods[1].name);
}

TEST_CASE("the submods encoder refuses what the reader would", "[integrity][eat][submods]") {
    const auto refused = [](auto change) {
        auto submods = sampleSubmods();
        change(submods);
        CHECK_THROWS_AS(integrity::encodeSubmods(submods), MalformedInput);
        auto claims = itest::sampleClaims();
        claims.submods = submods;
        if (!submods.empty()) {
            CHECK_THROWS_AS(claims.encode(), MalformedInput);
        }
    };
    refused([](std::vector<Submodule>& s) { s.clear(); });
    refused([](std::vector<Submodule>& s) {
        for (int i = 0; i < 7; ++i) {
            s.push_back(s[1]);
            s.back().name = "d" + std::to_string(i);
        }
    });
    refused([](std::vector<Submodule>& s) { s[1].name = s[0].name; });
    refused([](std::vector<Submodule>& s) { s[0].name.clear(); });
    refused([](std::vector<Submodule>& s) { s[0].name.assign(65, 'a'); });
    refused([](std::vector<Submodule>& s) { s[0].name = "\xff"; });
    refused([](std::vector<Submodule>& s) { s[0].ueid.resize(16); });
    refused([](std::vector<Submodule>& s) { s[0].ueid[0] = 0x02; });
    refused([](std::vector<Submodule>& s) { s[0].counter = 0x100000000ULL; });
    refused([](std::vector<Submodule>& s) { s[1].counter = 1; });         // not attested
    refused([](std::vector<Submodule>& s) { s[1].allowed = {"/m2m"}; });  // full verdict
    refused([](std::vector<Submodule>& s) { s[0].allowed.assign(33, "/m2m"); });
    refused([](std::vector<Submodule>& s) { s[0].allowed = {""}; });
    refused([](std::vector<Submodule>& s) { s[0].allowed = {std::string(257, 'p')}; });
    refused([](std::vector<Submodule>& s) { s[0].verdict = static_cast<Verdict>(3); });
    // At the limits: accepted.
    auto submods = sampleSubmods();
    submods[0].name.assign(64, 'a');
    submods[0].allowed.assign(31, "/m2m");
    const std::string longest(256, 'p');
    submods[0].allowed.push_back(longest);
    submods[0].counter = 0xffffffffU;
    for (int i = 0; i < 6; ++i) {
        submods.push_back(submods[1]);
        submods.back().name = "d" + std::to_string(i);
    }
    const auto atLimits = integrity::encodeSubmods(submods);
    INFO(atLimits.size());
    CHECK(integrity::decodeSubmods(atLimits).size() == 8);
}

TEST_CASE("submods reader refusals", "[integrity][eat][submods]") {
    const auto accepted = [](const base::Bytes& encoded) {
        CHECK_NOTHROW(integrity::decodeSubmods(encoded));
    };
    const auto refused = [](const base::Bytes& encoded) {
        CHECK_THROWS_AS(integrity::decodeSubmods(encoded), MalformedInput);
    };
    accepted(mapOf({{"a", submodule(0)}}));
    // Partial with its paths, a counter on an attested device (keys in order: -70002 before
    // -70003).
    base::Bytes paths;
    key(paths, -70004);
    head(paths, 4, 1);
    text(paths, "/m2m");
    accepted(mapOf({{"a", submodule(1, paths, 1)}}));

    SECTION("the map itself") {
        refused(base::fromHex("A0"));            // no device
        refused(base::fromHex("80"));            // not a map
        refused(base::fromHex("BF61614001FF"));  // indefinite length
        std::vector<std::pair<std::string, base::Bytes>> nine;
        for (char c = 'a'; c < 'a' + 9; ++c) {
            nine.emplace_back(std::string(1, c), submodule(0));
        }
        refused(mapOf(nine));
        refused(mapOf({{"b", submodule(0)}, {"a", submodule(0)}}));  // unsorted
        refused(mapOf({{"a", submodule(0)}, {"a", submodule(0)}}));  // duplicate
        refused(mapOf({{"", submodule(0)}}));
        refused(mapOf({{std::string(65, 'n'), submodule(0)}}));
        base::Bytes intKey = base::fromHex("A101");
        const auto sub = submodule(0);
        intKey.insert(intKey.end(), sub.begin(), sub.end());
        refused(intKey);  // a name that is not text
        auto trailing = mapOf({{"a", submodule(0)}});
        trailing.push_back(0x00);
        refused(trailing);
        refused(mapOf({{"a", base::fromHex("80")}}));  // a submodule that is not a claims set
    }
    SECTION("a submodule's claims") {
        refused(mapOf({{"a", submodule(3)}}));               // verdict out of range
        refused(mapOf({{"a", submodule(1)}}));               // partial without paths
        refused(mapOf({{"a", submodule(0, paths, 1)}}));     // paths without partial
        refused(mapOf({{"a", submodule(0, {}, 0, 0xf6)}}));  // attested null
        refused(mapOf({{"a", submodule(0, {}, 0, 0x01)}}));  // attested not a bool
        base::Bytes unknown;
        key(unknown, -70006);
        head(unknown, 0, 1);
        // Unknown key, placed where deterministic order puts it (after -70005): rebuilt by hand.
        base::Bytes withUnknown = submodule(0, {}, 1);
        withUnknown.insert(withUnknown.end(), unknown.begin(), unknown.end());
        refused(mapOf({{"a", withUnknown}}));
        base::Bytes counter;
        key(counter, -70002);
        head(counter, 0, 5);
        // Counter on an unattested device; the counter key sorts before -70003, so splice it in
        // after the ueid by rebuilding the bytes.
        auto unattested = submodule(0, {}, 1, 0xf4);
        const auto ueidEnd = unattested.begin() + 1 + 3 + 1 + 17;
        unattested.insert(ueidEnd, counter.begin(), counter.end());
        refused(mapOf({{"a", unattested}}));
        auto attested = submodule(0, {}, 1, 0xf5);
        attested.insert(attested.begin() + 1 + 3 + 1 + 17, counter.begin(), counter.end());
        accepted(mapOf({{"a", attested}}));
        base::Bytes noUeid = base::fromHex("A23A0001117200");
        noUeid.insert(noUeid.end(), {0x3a, 0x00, 0x01, 0x11, 0x74, 0xf5});
        refused(mapOf({{"a", noUeid}}));  // ueid missing
    }
}
