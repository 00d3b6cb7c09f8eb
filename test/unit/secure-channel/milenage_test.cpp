// Milenage against the published test sets (testdata/vectors/milenage.json: TS 35.208 sets 1-4
// with derived AUTN and AUTS) and against osmo-auc-gen (libosmocore), an implementation nobody
// here wrote, on fresh random inputs in every run (test/support/osmo_auc_gen.hpp: missing is a
// failure, not a skip).
#include <cstdint>
#include <string>

#include <catch2/catch.hpp>

#include "osmo_auc_gen.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/milenage.hpp"
#include "test_support.hpp"

using namespace securechannel;
namespace mil = securechannel::milenage;
using sctest::fromHex;
using sctest::loadSection;
using sctest::toHex;

namespace {

constexpr int kRandomRounds = 6;

std::string hexOf(const SecretBuffer& secret) {
    return toHex(secret.view());
}

mil::Keys keysOf(const Bytes& k, const Bytes& opc) {
    return {SecretBuffer::copyOf(k), SecretBuffer::copyOf(opc)};
}

std::string field(const nlohmann::json& set, const char* name) {
    return set.at(name).get<std::string>();
}

}  // namespace

TEST_CASE("Milenage: TS 35.208 test sets 1-4, every function and the derived values",
          "[milenage]") {
    int count = 0;
    for (const auto& set : loadSection("milenage.json", "/sets")) {
        INFO("test set " << set.at("set").get<int>());
        const Bytes k = fromHex(field(set, "K"));
        const Bytes rand = fromHex(field(set, "RAND"));
        const Bytes sqn = fromHex(field(set, "SQN"));
        const Bytes amf = fromHex(field(set, "AMF"));
        const Bytes opc = fromHex(field(set, "OPc"));

        CHECK(hexOf(mil::opcFromOp(k, fromHex(field(set, "OP")))) == field(set, "OPc"));

        const mil::Keys keys = keysOf(k, opc);
        const mil::Output out = mil::compute(keys, rand, sqn, amf);
        CHECK(toHex(out.macA) == field(set, "f1_MAC_A"));
        CHECK(toHex(out.macS) == field(set, "f1star_MAC_S"));
        CHECK(hexOf(out.res) == field(set, "f2_RES"));
        CHECK(toHex(out.ak) == field(set, "f5_AK"));
        CHECK(toHex(out.akStar) == field(set, "f5star_AKstar"));
        CHECK(hexOf(out.ck) == field(set, "f3_CK"));
        CHECK(hexOf(out.ik) == field(set, "f4_IK"));

        const auto& derived = set.at("derived");
        const mil::Vector vector = mil::makeVector(keys, rand, sqn, amf);
        CHECK(toHex(vector.rand) == field(set, "RAND"));
        CHECK(toHex(vector.autn) == field(derived, "AUTN"));
        CHECK(hexOf(vector.xres) == field(set, "f2_RES"));
        CHECK(hexOf(vector.ck) == field(set, "f3_CK"));
        CHECK(hexOf(vector.ik) == field(set, "f4_IK"));

        // The USIM side: AUTN gives back SQN; AUTS for SQN_MS = SQN, and the AuC recovers it.
        const auto sqnSeen = mil::sqnFromAutn(keys, rand, vector.autn);
        REQUIRE(sqnSeen);
        CHECK(*sqnSeen == sqn);
        const Bytes auts = mil::makeAuts(keys, rand, sqn);
        CHECK(toHex(auts) == field(derived, "AUTS_with_SQN_MS_eq_SQN"));
        CHECK(toHex(ByteView(auts).subspan(6)) == field(derived, "MAC_S_for_AUTS_AMF0000"));
        const auto sqnMs = mil::sqnFromAuts(keys, rand, auts);
        REQUIRE(sqnMs);
        CHECK(*sqnMs == sqn);
        ++count;
    }
    CHECK(count == 4);
}

TEST_CASE("Milenage: a flipped MAC bit is a MAC failure, wrong sizes are refused", "[milenage]") {
    const auto set = loadSection("milenage.json", "/sets/0");
    const Bytes rand = fromHex(field(set, "RAND"));
    const mil::Keys keys = keysOf(fromHex(field(set, "K")), fromHex(field(set, "OPc")));

    Bytes auts = fromHex(field(set.at("derived"), "AUTS_with_SQN_MS_eq_SQN"));
    auts.back() ^= 0x01;  // the last MAC-S bit, as osmo-auc-gen was shown to refuse
    CHECK_FALSE(mil::sqnFromAuts(keys, rand, auts));
    auts.back() ^= 0x01;
    auts.front() ^= 0x80;  // a changed SQN_MS no longer matches MAC-S
    CHECK_FALSE(mil::sqnFromAuts(keys, rand, auts));

    Bytes autn = fromHex(field(set.at("derived"), "AUTN"));
    autn.back() ^= 0x01;
    CHECK_FALSE(mil::sqnFromAutn(keys, rand, autn));
    autn.back() ^= 0x01;
    autn[6] ^= 0x01;  // AMF is covered by MAC-A
    CHECK_FALSE(mil::sqnFromAutn(keys, rand, autn));
    Bytes otherRand = rand;
    otherRand[0] ^= 0x01;
    CHECK_FALSE(mil::sqnFromAutn(keys, otherRand, fromHex(field(set.at("derived"), "AUTN"))));

    const Bytes sqn = fromHex(field(set, "SQN"));
    const Bytes amf = fromHex(field(set, "AMF"));
    CHECK_THROWS_AS(mil::compute(keys, Bytes(15), sqn, amf), CryptoError);
    CHECK_THROWS_AS(mil::compute(keys, rand, Bytes(5), amf), CryptoError);
    CHECK_THROWS_AS(mil::compute(keys, rand, sqn, Bytes(3)), CryptoError);
    CHECK_THROWS_AS(mil::compute(keysOf(Bytes(32), Bytes(16)), rand, sqn, amf), CryptoError);
    CHECK_THROWS_AS(mil::compute(keysOf(Bytes(16), Bytes(15)), rand, sqn, amf), CryptoError);
    CHECK_THROWS_AS(mil::sqnFromAuts(keys, rand, Bytes(13)), CryptoError);
    CHECK_THROWS_AS(mil::sqnFromAutn(keys, rand, Bytes(15)), CryptoError);
    CHECK_THROWS_AS(mil::opcFromOp(Bytes(16), Bytes(8)), CryptoError);
}

TEST_CASE("Milenage agrees with osmo-auc-gen on random K, OPc, RAND, SQN, AMF",
          "[milenage][osmo-auc-gen]") {
    for (int round = 0; round < kRandomRounds; ++round) {
        const Bytes k = randomBytes(16);
        const Bytes opc = randomBytes(16);
        const Bytes rand = randomBytes(16);
        const Bytes sqn = randomBytes(6);
        const Bytes amf = randomBytes(2);
        INFO("K " << toHex(k) << " OPc " << toHex(opc) << " RAND " << toHex(rand) << " SQN "
                  << toHex(sqn) << " AMF " << toHex(amf));
        const mil::Keys keys = keysOf(k, opc);
        const mil::Vector ours = mil::makeVector(keys, rand, sqn, amf);

        auto theirs = testsupport::osmoAucGen({"-k", toHex(k), "-o", toHex(opc), "-s",
                                               std::to_string(testsupport::sqnValue(sqn)), "-f",
                                               toHex(amf), "-r", toHex(rand)});
        REQUIRE(theirs["exit"] == "0");
        CHECK(theirs["AUTN"] == toHex(ours.autn));
        CHECK(theirs["RES"] == hexOf(ours.xres));
        CHECK(theirs["CK"] == hexOf(ours.ck));
        CHECK(theirs["IK"] == hexOf(ours.ik));

        // An AUTS made here for some SQN_MS is accepted by osmo-auc-gen, which recovers SQN_MS
        // (this exercises f1* and f5*); with a MAC-S bit flipped it is refused.
        const Bytes sqnMs = randomBytes(6);
        Bytes auts = mil::makeAuts(keys, rand, sqnMs);
        auto resync = testsupport::osmoAucGen(
            {"-k", toHex(k), "-o", toHex(opc), "-A", toHex(auts), "-r", toHex(rand)});
        REQUIRE(resync["exit"] == "0");
        CHECK(resync["SQN.MS"] == std::to_string(testsupport::sqnValue(sqnMs)));
        CHECK(mil::sqnFromAuts(keys, rand, auts) == sqnMs);

        auts.back() ^= 0x01;
        auto refused = testsupport::osmoAucGen(
            {"-k", toHex(k), "-o", toHex(opc), "-A", toHex(auts), "-r", toHex(rand)});
        CHECK(refused["exit"] != "0");
        CHECK_FALSE(mil::sqnFromAuts(keys, rand, auts));
    }
}
