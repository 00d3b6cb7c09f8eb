// Test-SIM personalisation (`m2m provision`) and the M2M-SED's lifecycle and administrative
// credential, over real pcscd; and the power-loss sweep over every APDU of `m2m provision`.
#include <catch2/catch.hpp>

#include <fstream>

#include "m2m_cli.hpp"
#include "osmo_auc_gen.hpp"
#include "sed_fixture.hpp"
#include "seuicc/usim_client.hpp"
#include "shared_card.hpp"

using namespace seuicc;
using testsupport::EmulatedCard;
using testsupport::PersonalisedCard;

namespace {

EmulatedCard::Options slot1(const std::filesystem::path& image = {}) {
    EmulatedCard::Options o;
    o.slot = 1;
    o.image = image;
    return o;
}

std::filesystem::path freshDir(const std::string& name) {
    const auto dir = testsupport::runDir() / (name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

std::string sourceRoot() {
    const char* dir = std::getenv("M2M_TESTDATA");
    return std::filesystem::path(dir != nullptr ? dir : "testdata").parent_path().string();
}

std::string provisionArgs(const EmulatedCard& card, const std::filesystem::path& dir) {
    return "provision --json --reader '" + card.readerName() + "' --profile '" + sourceRoot() +
           "/testdata/profiles/test-sim.toml' --kmsa-file '" + (dir / "kmsa.key").string() +
           "' --export-keys '" + (dir / "keys.json").string() + "'";
}

nlohmann::json cardStatus(const EmulatedCard& card, const std::string& extra = "") {
    const auto r =
        testsupport::runM2m("card status --json --reader '" + card.readerName() + "' " + extra);
    return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("m2m provision personalises and locks a test SIM; card status proves the channel",
          "[integration][personalisation]") {
    EmulatedCard card(slot1());
    const auto dir = freshDir("provision");
    const auto r = testsupport::runM2m(provisionArgs(card, dir));
    REQUIRE(r.exitCode == 0);
    const auto record = nlohmann::json::parse(r.out);
    CHECK(record["lifecycle"] == "LOCKED");
    CHECK(record["outcome"] == "personalised");
    CHECK(record["kmr_index"] == 1);
    // The record carries key check values, never a key.
    CHECK(record["kmr_kcv"].get<std::string>().size() == 6);
    CHECK(r.out.find("\"kmr\"") == std::string::npos);
    CHECK((std::filesystem::status(dir / "kmsa.key").permissions() &
           std::filesystem::perms::group_all) == std::filesystem::perms::none);

    const auto status = cardStatus(card, "--kmsa-file '" + (dir / "kmsa.key").string() + "'");
    CHECK(status["lifecycle"] == "LOCKED");
    CHECK(status["node_id"] == record["node_id"]);
    CHECK(status["kmr_index"] == 1);
    CHECK(status["kmr_kcv"] == record["kmr_kcv"]);
    CHECK(status["secure_channel"] == "ok");
    CHECK(status["secure_channel_setup"]["apdus"] == 7);
    CHECK(status["iccid"] == testsupport::kDefaultIccid);  // from the session, not EF_ICCID
    CHECK(cardStatus(card)["iccid"] == testsupport::kDefaultIccid);  // from the endpoints

    // The USIM ([usim] of the profile, all "generate"): locked, the IMSI in the record, K and OPc
    // only in the 0600 export; the card answers a vector osmo-auc-gen makes from the export.
    std::ifstream exportFile(dir / "keys.json");
    const auto keys = nlohmann::json::parse(exportFile);
    REQUIRE(keys.contains("usim_k"));
    REQUIRE(keys.contains("usim_opc"));
    CHECK(record["imsi"] == keys["imsi"]);
    CHECK(keys["imsi"].get<std::string>().size() == 15);
    for (const char* key : {"usim_k", "usim_opc", "kmr", "kmsa"}) {
        CHECK(r.out.find(keys[key].get<std::string>()) == std::string::npos);
    }
    {
        PcscContext context;
        auto pcsc = context.connect(card.readerName());
        Transaction tx(*pcsc);
        CardChannel basic(*pcsc);
        UsimClient usim(basic);
        usim.select(tx);
        CHECK(usim.status(tx).lifecycle == UsimStatus::Lifecycle::Locked);
        CHECK(usim.readImsi(tx) == keys["imsi"]);
        const Bytes rand(16, 0x42);
        auto v = testsupport::osmoAucGen({"-k", keys["usim_k"], "-o", keys["usim_opc"], "-s", "64",
                                          "-f", "8000", "-r", testsupport::lower(rand)});
        REQUIRE(v["exit"] == "0");
        const AkaOutcome ok = usim.authenticate3g(tx, rand, fromHex(v["AUTN"]));
        REQUIRE(ok.kind == AkaOutcome::Kind::Ok);
        CHECK(testsupport::lower(ok.res.view()) == v["RES"]);
        usim.verifyAdmin(tx, fromHex("3132333435363738"));
        UsimPersonalisation other;
        other.imsi = "001019999999999";
        CHECK_THROWS_AS(usim.personalise(tx, other), UsimLocked);
    }

    // Running it again changes nothing and says so.
    const auto again = testsupport::runM2m(provisionArgs(card, dir));
    REQUIRE(again.exitCode == 0);
    CHECK(nlohmann::json::parse(again.out)["outcome"] == "already personalised");
}

TEST_CASE("card status with a Kmsa file that others can read is refused",
          "[integration][personalisation][negative]") {
    PersonalisedCard sim;
    std::filesystem::permissions(sim.kmsaFile(), std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::add);
    const auto r = testsupport::runM2m("card status --json --reader '" + sim.card().readerName() +
                                       "' --kmsa-file '" + sim.kmsaFile().string() + "'");
    CHECK(r.exitCode != 0);
    CHECK(r.out.find("chmod 600") != std::string::npos);
}

TEST_CASE("personalisation after lock is refused and stores nothing",
          "[integration][personalisation][negative]") {
    PersonalisedCard sim;
    auto c = sim.connect();
    const SedStatus before = c->sed.status(c->tx);
    // The code itself still verifies (it guards nothing more once locked)...
    c->sed.verifyAdmin(c->tx, fromHex("3132333435363738"));
    // ...but nothing can be written or committed any more.
    const Bytes otherKey(32, 0x5A);
    const std::vector<SedItem> items{SedItem::key(SedKeySlot::Kmr, otherKey)};
    CHECK_THROWS_AS(c->sed.storeData(c->tx, items, true), SedWrongState);
    CHECK_THROWS_AS(c->sed.commit(c->tx, true), SedWrongState);
    const SedStatus after = c->sed.status(c->tx);
    CHECK(after.kcv.kmr == before.kcv.kmr);
    CHECK(after.nodeId == before.nodeId);

    // And the provisioning tool refuses a profile with other keys (after this test lets go of
    // its PC/SC transaction, which would hold the tool off).
    c.reset();
    const auto dir = freshDir("relock");
    const auto r = testsupport::runM2m(provisionArgs(sim.card(), dir));
    CHECK(r.exitCode == 1);
}

TEST_CASE("a wrong administrative code counts down to blocked",
          "[integration][personalisation][negative]") {
    PersonalisedCard sim(/*lock=*/false);
    auto c = sim.connect();
    REQUIRE(c->sed.status(c->tx).lifecycle == SedLifecycle::Personalised);
    const Bytes wrong = fromHex("0000000000000000");
    try {
        c->sed.verifyAdmin(c->tx, wrong);
        FAIL("accepted a wrong code");
    } catch (const AdminCodeRejected& e) {
        CHECK(e.triesLeft() == 2);
    }
    try {
        c->sed.verifyAdmin(c->tx, wrong);
        FAIL("accepted a wrong code");
    } catch (const AdminCodeRejected& e) {
        CHECK(e.triesLeft() == 1);
    }
    CHECK_THROWS_AS(c->sed.verifyAdmin(c->tx, wrong), AdminBlocked);
    // Blocked for good: the right code no longer helps, and nothing can be written.
    CHECK_THROWS_AS(c->sed.verifyAdmin(c->tx, fromHex("3132333435363738")), AdminBlocked);
    CHECK(c->sed.status(c->tx).adminTriesLeft == 0u);
    const Bytes key(32, 0x11);
    const std::vector<SedItem> items{SedItem::key(SedKeySlot::Kmr, key)};
    CHECK_THROWS_AS(c->sed.storeData(c->tx, items, true), SedError);
}

TEST_CASE("power loss at every APDU of m2m provision: blank or complete, and a re-run completes",
          "[integration][personalisation][tear]") {
    // How many APDUs a clean run sends, as the card counts them.
    std::uint64_t total = 0;
    {
        EmulatedCard card(slot1());
        const auto dir = freshDir("sweep-clean");
        const auto before = card.status()["apdus"].get<std::uint64_t>();
        REQUIRE(testsupport::runM2m(provisionArgs(card, dir)).exitCode == 0);
        total = card.status()["apdus"].get<std::uint64_t>() - before;
    }
    REQUIRE(total > 5);
    INFO("m2m provision sends " << total << " APDUs");

    for (std::uint64_t n = 1; n <= total; ++n) {
        INFO("power cut at APDU " << n);
        EmulatedCard card(slot1());
        const auto dir = freshDir("sweep");
        card.control("tear apdu " + std::to_string(n));
        const auto cut = testsupport::runM2m(provisionArgs(card, dir));
        CHECK(cut.exitCode != 0);
        card.waitInserted();
        CHECK(card.status()["tears"] == 1);

        const auto torn = cardStatus(card);
        const bool blank = torn["lifecycle"] == "INSTALLED" && torn["node_id"].is_null() &&
                           torn["kmr_kcv"].is_null() && torn["kmsa_kcv"].is_null();
        const bool complete = torn["lifecycle"] == "LOCKED" && !torn["node_id"].is_null() &&
                              !torn["kmr_kcv"].is_null() && !torn["kmsa_kcv"].is_null() &&
                              !torn["kbs_kcv"].is_null() && !torn["kiv_kcv"].is_null();
        CHECK((blank || complete));

        const auto rerun = testsupport::runM2m(provisionArgs(card, dir));
        REQUIRE(rerun.exitCode == 0);
        const auto done = cardStatus(card, "--kmsa-file '" + (dir / "kmsa.key").string() + "'");
        CHECK(done["lifecycle"] == "LOCKED");
        CHECK(done["secure_channel"] == "ok");
        if (complete) {
            CHECK(done["node_id"] == torn["node_id"]);
        }
    }
}
