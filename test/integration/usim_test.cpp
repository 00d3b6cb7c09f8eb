// The USIM applet (se-uicc/applet/USIM.md) over real pcscd: MILENAGE against TS 35.208 sets 1-4
// and against osmo-auc-gen on fresh random keys in every run, the AKA negative cases (MAC
// failure, replay, SQN out of range), GBA_U bootstrapping and NAF derivation against the
// TS 33.220 KDF, its EFs, power loss inside AUTHENTICATE, the M2M-SED's SET KEY FROM GBA and the
// USIM's firewall rule.
#include <openssl/rand.h>

#include <catch2/catch.hpp>
#include <regex>

#include "log_capture.hpp"
#include "osmo_auc_gen.hpp"
#include "securechannel/crypto.hpp"
#include "sed_fixture.hpp"
#include "seuicc/usim_client.hpp"
#include "shared_card.hpp"

using namespace seuicc;
using testsupport::EmulatedCard;
using testsupport::lower;
using testsupport::osmoAucGen;
using testsupport::sqnBytes;
using testsupport::sqnValue;

namespace {

const Bytes kAdminCode = fromHex("3132333435363738");

Bytes hex(const nlohmann::json& j) {
    return fromHex(j.get<std::string>());
}

Bytes randomBytes(std::size_t n) {
    Bytes b(n);
    REQUIRE(RAND_bytes(b.data(), static_cast<int>(n)) == 1);
    return b;
}

// One PC/SC connection with the USIM selected on the basic channel, in one transaction.
struct UsimConnection {
    explicit UsimConnection(const std::string& reader)
        : card(context.connect(reader)), tx(*card), channel(*card), usim(channel) {
        usim.select(tx);
    }
    // K, OPc (or OP) and a start SQN_MS, replacing whatever the card held (never locked here).
    void personalise(ByteView k, ByteView opc, std::optional<Bytes> sqn, bool asOp = false) {
        usim.verifyAdmin(tx, kAdminCode);
        UsimPersonalisation p;
        p.imsi = "001010123456789";
        p.k = base::SecretBuffer::copyOf(k);
        (asOp ? p.op : p.opc) = base::SecretBuffer::copyOf(opc);
        p.sqn = std::move(sqn);
        usim.personalise(tx, p);
    }
    PcscContext context;
    std::unique_ptr<PcscCard> card;
    Transaction tx;
    CardChannel channel;
    UsimClient usim;
};

}  // namespace

TEST_CASE("USIM MILENAGE: TS 35.208 sets 1-4 through pcscd (RES, CK, IK, Kc, AUTS)",
          "[integration][usim][kat]") {
    UsimConnection c(testsupport::sharedCard().readerName());
    const auto vectors = testsupport::loadVectors("milenage.json");
    for (const auto& set : vectors["sets"]) {
        INFO("set " << set["set"]);
        const Bytes sqn = hex(set["SQN"]);
        // SQN_MS one SEQ below the set's SQN: the set's AUTN is fresh.
        const bool asOp = set["set"] == 2;  // one set personalised with OP: OPc made on the card
        c.personalise(hex(set["K"]), asOp ? hex(set["OP"]) : hex(set["OPc"]),
                      sqnBytes(sqnValue(sqn) - 32), asOp);
        const Bytes rand = hex(set["RAND"]);
        const Bytes autn = hex(set["derived"]["AUTN"]);
        const AkaOutcome ok = c.usim.authenticate3g(c.tx, rand, autn);
        REQUIRE(ok.kind == AkaOutcome::Kind::Ok);
        CHECK(toHex(ok.res.view()) == toHex(hex(set["f2_RES"])));
        CHECK(toHex(ok.ck.view()) == toHex(hex(set["f3_CK"])));
        CHECK(toHex(ok.ik.view()) == toHex(hex(set["f4_IK"])));
        CHECK(toHex(ok.kc.view()) == toHex(hex(set["derived"]["Kc_c3"])));
        CHECK(c.usim.status(c.tx).sqnMs == sqn);
        // The same RAND/AUTN again is a replay: AUTS with SQN_MS = the set's SQN (f1*, f5*).
        const AkaOutcome replay = c.usim.authenticate3g(c.tx, rand, autn);
        REQUIRE(replay.kind == AkaOutcome::Kind::SyncFailure);
        CHECK(toHex(replay.auts) == toHex(hex(set["derived"]["AUTS_with_SQN_MS_eq_SQN"])));
    }
    CHECK(c.usim.readImsi(c.tx) == "001010123456789");
}

TEST_CASE("USIM MILENAGE agrees with osmo-auc-gen on fresh random K, OPc, RAND, SQN",
          "[integration][usim][osmo]") {
    UsimConnection c(testsupport::sharedCard().readerName());
    for (int round = 0; round < 3; ++round) {
        const Bytes k = randomBytes(16);
        const Bytes opc = randomBytes(16);
        const Bytes rand = randomBytes(16);
        const Bytes amf = randomBytes(2);
        // A random SQN below 2^47 with room below it for the start SQN_MS.
        Bytes sqnRaw = randomBytes(6);
        const std::uint64_t sqn = (sqnValue(sqnRaw) & 0x7FFFFFFFFFFFULL) | 0x100000ULL;
        INFO("K " << toHex(k) << " OPc " << toHex(opc) << " RAND " << toHex(rand) << " SQN "
                  << sqn);
        auto osmo = osmoAucGen({"-k", lower(k), "-o", lower(opc), "-s", std::to_string(sqn), "-f",
                                lower(amf), "-r", lower(rand)});
        REQUIRE(osmo["exit"] == "0");
        REQUIRE(osmo.count("AUTN") == 1);
        c.personalise(k, opc, sqnBytes(sqn - 32));
        const AkaOutcome ok = c.usim.authenticate3g(c.tx, rand, fromHex(osmo["AUTN"]));
        REQUIRE(ok.kind == AkaOutcome::Kind::Ok);
        CHECK(lower(Bytes(ok.res.view().begin(), ok.res.view().end())) == osmo["RES"]);
        CHECK(lower(Bytes(ok.ck.view().begin(), ok.ck.view().end())) == osmo["CK"]);
        CHECK(lower(Bytes(ok.ik.view().begin(), ok.ik.view().end())) == osmo["IK"]);
        CHECK(lower(Bytes(ok.kc.view().begin(), ok.kc.view().end())) == osmo["Kc"]);
        // The replay's AUTS must be accepted by osmo-auc-gen, which recovers SQN_MS from it.
        const AkaOutcome replay = c.usim.authenticate3g(c.tx, rand, fromHex(osmo["AUTN"]));
        REQUIRE(replay.kind == AkaOutcome::Kind::SyncFailure);
        auto resync = osmoAucGen(
            {"-k", lower(k), "-o", lower(opc), "-A", lower(replay.auts), "-r", lower(rand)});
        CHECK(resync["exit"] == "0");
        CHECK(resync["SQN.MS"] == std::to_string(sqn));
    }
}

TEST_CASE("USIM AKA refusals: MAC failure 98 62, SQN out of range -> AUTS, not personalised",
          "[integration][usim]") {
    UsimConnection c(testsupport::sharedCard().readerName());
    const auto set = testsupport::loadVectors("milenage.json")["sets"][0];
    const Bytes rand = hex(set["RAND"]);
    const Bytes autn = hex(set["derived"]["AUTN"]);
    c.personalise(hex(set["K"]), hex(set["OPc"]), sqnBytes(sqnValue(hex(set["SQN"])) - 32));

    SECTION("a wrong MAC: UsimMacFailure, nothing changes") {
        Bytes bad = autn;
        bad[15] ^= 0x01;
        const Bytes before = c.usim.status(c.tx).sqnMs;
        CHECK_THROWS_AS(c.usim.authenticate3g(c.tx, rand, bad), UsimMacFailure);
        CHECK_THROWS_AS(c.usim.authenticateGbaBootstrap(c.tx, rand, bad), UsimMacFailure);
        CHECK(c.usim.status(c.tx).sqnMs == before);
        CHECK(c.usim.authenticate3g(c.tx, rand, autn).kind == AkaOutcome::Kind::Ok);
    }
    SECTION("a SQN beyond SQN_MS + Δ (2^28 SEQ): AUTS carrying SQN_MS, osmo-auc-gen reads it") {
        c.personalise(hex(set["K"]), hex(set["OPc"]), sqnBytes(0x20));
        const AkaOutcome far = c.usim.authenticate3g(c.tx, rand, autn);
        REQUIRE(far.kind == AkaOutcome::Kind::SyncFailure);
        auto resync = osmoAucGen({"-k", lower(hex(set["K"])), "-o", lower(hex(set["OPc"])), "-A",
                                  lower(far.auts), "-r", lower(rand)});
        CHECK(resync["exit"] == "0");
        CHECK(resync["SQN.MS"] == "32");
    }
}

TEST_CASE("USIM GBA_U: bootstrapping keeps CK/IK, NAF derivation gives the TS 33.220 Ks_ext_NAF",
          "[integration][usim][gba]") {
    UsimConnection c(testsupport::sharedCard().readerName());
    const auto set = testsupport::loadVectors("milenage.json")["sets"][0];
    const auto apdus = testsupport::loadVectors("gba-digest-and-usim.json")["usim_apdus"];
    const Bytes rand = hex(set["RAND"]);
    const Bytes nafId = hex(apdus["gba_naf_derivation"]["NAF_Id_hex"]);
    const std::string impi = apdus["gba_naf_derivation"]["IMPI"];
    // New keys wipe any earlier bootstrap: NAF derivation first is 69 85.
    c.personalise(hex(set["K"]), hex(set["OPc"]), sqnBytes(sqnValue(hex(set["SQN"])) - 32));
    CHECK_THROWS_AS(c.usim.nafDerivation(c.tx, nafId, impi), UsimNoBootstrap);

    // The raw bootstrapping APDU of the vector file: DB 08 RES, nothing else.
    const auto boot = c.channel.transmit(
        c.tx, CommandApdu::parse(fromHex(std::regex_replace(
                  apdus["gba_bootstrap"]["command"].get<std::string>(), std::regex(" "), ""))));
    REQUIRE(boot.sw == 0x9000);
    CHECK(toHex(boot.data) == "DB08" + toHex(hex(set["f2_RES"])));

    const std::string btid = "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.home1.net";
    c.usim.writeGbaBp(c.tx, {rand, btid, "2030-01-01T00:00:00Z"});
    const auto bp = c.usim.readGbaBp(c.tx);
    REQUIRE(bp.has_value());
    CHECK(bp->btid == btid);
    CHECK(bp->rand == rand);

    const base::SecretBuffer ext = c.usim.nafDerivation(c.tx, nafId, impi);
    const std::string expected = apdus["gba_naf_derivation"]["response_ok"];
    CHECK(expected.find(lower(Bytes(ext.view().begin(), ext.view().end()))) != std::string::npos);
    // The same value off the card: KDF(CK ‖ IK, "gba-me", RAND, IMPI, NAF_Id).
    const Bytes ks = base::concat({hex(set["f3_CK"]), hex(set["f4_IK"])});
    const Bytes impiBytes(impi.begin(), impi.end());
    const std::string gbaMe = "gba-me";
    const auto offCard = securechannel::kdf33220(
        ks, 0x01,
        {ByteView(reinterpret_cast<const std::uint8_t*>(gbaMe.data()), gbaMe.size()),
         ByteView(rand), ByteView(impiBytes), ByteView(nafId)});
    CHECK(ext.equals(offCard));

    // EF_GBANL lists the entry with the B-TID EF_GBABP named: 80 L NAF_Id 81 L B-TID.
    REQUIRE(selectByFileId(c.tx, c.channel, 0x6FDA, /*wantFcp=*/false).sw == 0x9000);
    const Bytes record = readRecord(c.tx, c.channel, 1, 204);
    const Bytes btidBytes(btid.begin(), btid.end());
    const Bytes expectedRecord =
        base::concat({Bytes{0x80, static_cast<std::uint8_t>(nafId.size())}, nafId,
                      Bytes{0x81, static_cast<std::uint8_t>(btid.size())}, btidBytes});
    CHECK(toHex(Bytes(record.begin(),
                      record.begin() + static_cast<std::ptrdiff_t>(expectedRecord.size()))) ==
          toHex(expectedRecord));
}

TEST_CASE("USIM power loss inside AUTHENTICATE leaves SQN_MS and SEQ_MS(i) both old or both new",
          "[integration][usim][tear]") {
    EmulatedCard::Options o;
    o.slot = 1;
    EmulatedCard card(o);
    const Bytes k = randomBytes(16);
    const Bytes opc = randomBytes(16);
    std::uint64_t sqn = 0x4000;
    {
        UsimConnection c(card.readerName());
        c.personalise(k, opc, sqnBytes(sqn));
    }
    // T=0: APDU 1 is AUTHENTICATE (61xx), APDU 2 its GET RESPONSE.
    const std::vector<std::string> tears = {"tear apdu 1 point usim-sqn", "tear apdu 1",
                                            "tear apdu 2", "tear point usim-sqn"};
    for (const std::string& tear : tears) {
        INFO(tear);
        sqn += 32;  // next SEQ, IND 0
        const Bytes rand = randomBytes(16);
        auto v = osmoAucGen({"-k", lower(k), "-o", lower(opc), "-s", std::to_string(sqn), "-f",
                             "8000", "-r", lower(rand)});
        REQUIRE(v["exit"] == "0");
        const Bytes autn = fromHex(v["AUTN"]);
        Bytes oldMs;
        {
            UsimConnection c(card.readerName());
            oldMs = c.usim.status(c.tx).sqnMs;
            card.control(tear);
            CHECK_THROWS(c.usim.authenticate3g(c.tx, rand, autn));
        }
        card.waitInserted();
        UsimConnection c(card.readerName());
        const Bytes ms = c.usim.status(c.tx).sqnMs;
        const bool isNew = ms == sqnBytes(sqn);
        CHECK((isNew || ms == oldMs));
        // SEQ_MS(IND) must agree with SQN_MS: new -> the same AUTN is a replay; old -> accepted.
        const AkaOutcome again = c.usim.authenticate3g(c.tx, rand, autn);
        CHECK(again.kind == (isNew ? AkaOutcome::Kind::SyncFailure : AkaOutcome::Kind::Ok));
        card.control("disarm");
    }
}

TEST_CASE("M2M-SED SET KEY FROM GBA: Kmr = Ks_int_NAF inside the card, only in the channel",
          "[integration][usim][gba][sed]") {
    testsupport::PersonalisedCard sim(/*lock=*/false);
    const auto set = testsupport::loadVectors("milenage.json")["sets"][0];
    const auto apdus = testsupport::loadVectors("gba-digest-and-usim.json")["usim_apdus"];
    const Bytes nafId = hex(apdus["gba_naf_derivation"]["NAF_Id_hex"]);
    const std::string impi = apdus["gba_naf_derivation"]["IMPI"];
    const std::string resp = apdus["gba_naf_derivation"]["response_ok"];
    const auto at = resp.find("Ks_int_NAF = ");
    REQUIRE(at != std::string::npos);
    const Bytes ksIntNaf = fromHex(resp.substr(at + 13, 64));

    // Everything from here is recorded (c->wire) and logged at trace level: the key audit.
    LogCapture logs("trace");
    auto c = sim.connect();
    {
        // The USIM on the basic channel of the same connection: personalised, then bootstrapped.
        UsimClient usim(c->basic);
        usim.select(c->tx);
        usim.verifyAdmin(c->tx, kAdminCode);
        UsimPersonalisation p;
        p.imsi = "001010123456789";
        p.k = base::SecretBuffer::copyOf(hex(set["K"]));
        p.opc = base::SecretBuffer::copyOf(hex(set["OPc"]));
        p.sqn = sqnBytes(sqnValue(hex(set["SQN"])) - 32);
        usim.personalise(c->tx, p);
        REQUIRE(usim.authenticateGbaBootstrap(c->tx, hex(set["RAND"]), hex(set["derived"]["AUTN"]))
                    .kind == AkaOutcome::Kind::Ok);
    }
    SECTION("in clear: 69 82") {
        const Bytes data = base::concat({Bytes{static_cast<std::uint8_t>(nafId.size())}, nafId,
                                         Bytes{static_cast<std::uint8_t>(impi.size())},
                                         Bytes(impi.begin(), impi.end())});
        const auto r = c->channel.transmit(c->tx, CommandApdu{0x80, 0x46, 0x01, 0x00, data, 35});
        CHECK(r.sw == 0x6982);
        CHECK(r.data.empty());
    }
    SECTION("power loss inside ACTIVATE KEY: the old Kmr or the new one, each with its own index") {
        auto tsed = sim.terminal();
        auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
        const SedStatus before = c->sed.status(c->tx);
        const auto key = c->sed.setKeyFromGba(c->tx, *session, ExportTarget::Kmr, nafId, impi);
        sim.card().control("tear point activate-key");
        CHECK_THROWS(c->sed.activateKey(c->tx, *session, ExportTarget::Kmr, 9,
                                        std::chrono::system_clock::now() + std::chrono::hours(1),
                                        std::nullopt));
        session.reset();
        c.reset();
        sim.card().waitInserted();
        sim.card().control("disarm");
        auto d = sim.connect();
        const SedStatus after = d->sed.status(d->tx);
        const bool isNew = after.kcv.kmr == std::optional(key.kcv);
        CHECK((isNew || after.kcv.kmr == before.kcv.kmr));
        CHECK(after.kmrIndex == (isNew ? std::optional<std::uint32_t>(9) : before.kmrIndex));
        // The pending key did not survive the power loss: nothing to activate.
        auto tsed2 = sim.terminal();
        auto session2 = tsed2.openSession(d->tx, d->channel, d->info.iccidRaw, M2mSedClient::kAid);
        CHECK_THROWS_AS(d->sed.activateKey(d->tx, *session2, ExportTarget::Kmr, 10,
                                           std::chrono::system_clock::now() + std::chrono::hours(1),
                                           std::nullopt),
                        seuicc::SedNoPendingKey);
    }
    SECTION("through the secure channel: Ks_ext_NAF and the KCV of Ks_int_NAF") {
        auto tsed = sim.terminal();
        auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
        const auto expiry = std::chrono::system_clock::now() + std::chrono::hours(24);
        const SedStatus before = c->sed.status(c->tx);
        // ACTIVATE KEY with nothing pending: the old key stays.
        CHECK_THROWS_AS(
            c->sed.activateKey(c->tx, *session, ExportTarget::Kmr, 9, expiry, std::nullopt),
            seuicc::SedNoPendingKey);
        const auto key = c->sed.setKeyFromGba(c->tx, *session, ExportTarget::Kmr, nafId, impi);
        CHECK(resp.find(lower(Bytes(key.ksExtNaf.view().begin(), key.ksExtNaf.view().end()))) !=
              std::string::npos);
        const Bytes kcv = securechannel::keyCheckValue(ksIntNaf);
        CHECK(toHex(Bytes(key.kcv.begin(), key.kcv.end())) == toHex(kcv));
        // Pending only: index, expiry and KCV of the active Kmr are the old ones until the
        // network's parameters arrive (ACTIVATE KEY); a pending Kmr does not activate as Kmc.
        const SedStatus pending = c->sed.status(c->tx);
        CHECK(pending.kcv.kmr == before.kcv.kmr);
        CHECK(pending.kmrIndex == before.kmrIndex);
        CHECK_THROWS_AS(c->sed.activateKey(c->tx, *session, ExportTarget::Kmc, 9, expiry, 1),
                        seuicc::SedNoPendingKey);
        c->sed.activateKey(c->tx, *session, ExportTarget::Kmr, 9, expiry, std::nullopt);
        const SedStatus st = c->sed.status(c->tx);
        REQUIRE(st.kcv.kmr.has_value());
        CHECK(toHex(Bytes(st.kcv.kmr->begin(), st.kcv.kmr->end())) == toHex(kcv));
        CHECK(st.kmrIndex == 9u);
        // Key audit: no APDU response of this connection carried any 8 bytes of K, OPc, CK, IK,
        // Ks, Ks_int_NAF or Ks_ext_NAF (the latter only inside the secured response), and no
        // command any of the derived keys; no log line (trace level: every APDU) any of them.
        const Bytes ks = base::concat({hex(set["f3_CK"]), hex(set["f4_IK"])});
        const Bytes ksExt(key.ksExtNaf.view().begin(), key.ksExtNaf.view().end());
        const std::vector<Bytes> derived{ks, ksIntNaf, ksExt};
        const std::vector<Bytes> all{hex(set["K"]), hex(set["OPc"]), ks, ksIntNaf, ksExt};
        const std::string logText = logs.text();
        REQUIRE(c->wire.exchanges().size() > 10);
        REQUIRE(logText.find("0088008423") != std::string::npos);  // the APDUs are traced
        for (const Bytes& secret : all) {
            for (std::size_t i = 0; i + 8 <= secret.size(); ++i) {
                const ByteView piece = ByteView(secret).subspan(i, 8);
                for (const auto& e : c->wire.exchanges()) {
                    CHECK_FALSE(testsupport::contains(e.response, piece));
                }
                CHECK(logText.find(toHex(piece)) == std::string::npos);
                CHECK(logText.find(lower(piece)) == std::string::npos);
            }
        }
        for (const Bytes& secret : derived) {
            for (const auto& e : c->wire.exchanges()) {
                CHECK_FALSE(testsupport::contains(e.command, secret));
            }
        }
    }
}

TEST_CASE("the USIM grants its GBA key service to the M2M-SED's AID only",
          "[integration][usim][firewall]") {
    const std::string reader = testsupport::sharedCard().readerName();  // starts pcscd first
    PcscContext context;
    auto card = context.connect(reader);
    Transaction tx(*card);
    CardChannel channel(*card);
    REQUIRE(selectByAid(tx, channel, testsupport::kTestAppletAid, false).sw == 0x9000);
    const Bytes usimAid(UsimClient::kAid.begin(), UsimClient::kAid.end());
    for (const std::uint8_t parameter : {0x00, 0x01, 0x02}) {
        const auto r = channel.transmit(tx, CommandApdu{0x80, 0x60, parameter, 0x00, usimAid, 1});
        REQUIRE(r.sw == 0x9000);
        CHECK(r.data == Bytes{0x00});
    }
}
