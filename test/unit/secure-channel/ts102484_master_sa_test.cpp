// Every card procedure at the protocol minimum of APDUs under T=0 (M2M-SED.md §9), and the reuse
// of a master SA across terminal processes with its record (M2M-SED.md §10): the fallbacks, and
// the records that must not be trusted. Against the card-side simulator on a MemoryTransport.
#include <catch2/catch.hpp>

#include "securechannel/ts102484/master_sa_record.hpp"
#include "ts102484_card_sim.hpp"

using namespace sctest::sim;

namespace {

const std::string kIccid = "8988211000000000018";

Bytes seed64() {
    return pattern(64);
}

// COMPUTE MASTER SECRET, DERIVE EXPORTED KEY and ACTIVATE KEY: what one service connection (or a
// Kmc renewal) asks of the card through the channel.
void serviceConnection(seuicc::M2mSedClient& sed, Rig& rig, SecureChannelSession& session) {
    (void)sed.computeMasterSecret(rig.tx, session, seuicc::KeySlot::Kmr,
                                  seuicc::MasterSecretMode::Plain, seed64());
    (void)sed.deriveExportedKey(rig.tx, session, seuicc::ExportTarget::Kmc, pattern(32),
                                pattern(32));
    sed.activateKey(rig.tx, session, seuicc::ExportTarget::Kmc, 7,
                    std::chrono::system_clock::now() + std::chrono::hours(1), 99);
}

// A second process of the same terminal: a T-SED of its own with the same Kmsa, on a channel of
// its own (fresh counters), and the record the first process stored as text.
struct SecondProcess {
    explicit SecondProcess(Rig& rig, const Bytes& kmsa = kKmsa)
        : tsed(rig.terminal(kmsa)), channel(rig.transport) {}
    std::unique_ptr<TerminalSecuredEnvironment> tsed;
    seuicc::CardChannel channel;
};

}  // namespace

TEST_CASE("The protocol minimum under T=0: setup 7, 4 on a remembered master SA, 2 per message",
          "[ts102484][apdus]") {
    Rig rig;  // T=0 behaviour: a wrong Le costs a 6Cxx round
    seuicc::M2mSedClient sed(rig.channel);

    // Fresh: endpoints (1, the Le predicted from the AID and the 10-byte ICCID), then master SA,
    // connection SA and start, each a command block + its response block (2): 7. The endpoints
    // stay: the master SA needs the UICC_ID, and they are where the terminal learns it.
    auto session = rig.open();
    CHECK(session->setupCost().retrieveEndpoints.apdus == 1u);
    CHECK(session->setupCost().total().apdus == 7u);
    CHECK(session->setupCost().masterSaReuse == MasterSaReuse::None);
    CHECK(rig.channel.counters().apdus == 7u);
    CHECK(session->iccid() == kIccid);
    CHECK(session->uiccId() == seuicc::encodeIccid(kIccid));

    // One master secret (a card-held TLS handshake): command block + response block read with
    // the exact Le (the inner Le 48 -> 50 plaintext bytes -> TLV 86 of 78): 2.
    auto before = rig.channel.counters();
    (void)sed.computeMasterSecret(rig.tx, *session, seuicc::KeySlot::Kmr,
                                  seuicc::MasterSecretMode::Plain, seed64());
    CHECK(trafficBetween(before, rig.channel.counters()).apdus == 2u);
    CHECK(toHex(rig.transport.sent().back()) == "007500004E");

    // The three commands of a service connection (a Kmc renewal): 6.
    before = rig.channel.counters();
    serviceConnection(sed, rig, *session);
    CHECK(trafficBetween(before, rig.channel.counters()).apdus == 6u);
    CHECK(session->messageCost().last.apdus == 2u);
    CHECK(session->messageCost().messages == 4u);
    CHECK(session->messageCost().total.apdus == 8u);

    // A re-connection in the same process: connection SA + start, and that is its setup cost.
    session->reconnect(rig.tx);
    CHECK(session->setupCost().total().apdus == 4u);
    CHECK(session->setupCost().retrieveEndpoints.apdus == 0u);
    CHECK(session->setupCost().masterSa.apdus == 0u);

    // Another process with the record: connection SA + start, 4.
    const std::string text = session->masterSaRecord().toText();
    SecondProcess next(rig);
    auto reused =
        next.tsed->openSession(rig.tx, next.channel, kSedAid, MasterSaRecord::fromText(text));
    CHECK(reused->setupCost().masterSaReuse == MasterSaReuse::Reused);
    CHECK(reused->setupCost().total().apdus == 4u);
    CHECK(next.channel.counters().apdus == 4u);
    CHECK(rig.sim.masterSasCreated() == 1u);
    CHECK(reused->msaId() == session->msaId());
    CHECK(reused->iccid() == kIccid);
    seuicc::M2mSedClient nextSed(next.channel);
    CHECK(nextSed
              .computeMasterSecret(rig.tx, *reused, seuicc::KeySlot::Kmr,
                                   seuicc::MasterSecretMode::Plain, seed64())
              .size() == 48u);
}

TEST_CASE("A shorter secured answer than expected (an inner error) costs one 6Cxx re-read",
          "[ts102484][apdus]") {
    Rig rig;
    seuicc::M2mSedClient sed(rig.channel);
    auto session = rig.open();
    // Kmc is not in the simulated card: inner 6A88, a 30-byte TLV 86 where 78 were expected.
    CHECK_THROWS_AS(sed.computeMasterSecret(rig.tx, *session, seuicc::KeySlot::Kmc,
                                            seuicc::MasterSecretMode::Plain, seed64()),
                    seuicc::SedKeyMissing);
    CHECK(session->messageCost().last.apdus == 3u);  // block, Le 4E -> 6C1E, Le 1E
    const auto& sent = rig.transport.sent();
    CHECK(toHex(sent[sent.size() - 2]) == "007500004E");
    CHECK(toHex(sent.back()) == "007500001E");
    CHECK(session->state() == SessionState::Open);
    CHECK(sed.computeMasterSecret(rig.tx, *session, seuicc::KeySlot::Kmr,
                                  seuicc::MasterSecretMode::Plain, seed64())
              .size() == 48u);
    CHECK(session->messageCost().total.apdus == 5u);
}

TEST_CASE("Endpoints that are not the predicted ones cost one 6Cxx re-read, counted",
          "[ts102484][apdus]") {
    SECTION("more endpoints") {
        SimOptions o;
        o.extraEndpoints = 2;
        Rig rig(o);
        auto session = rig.open();
        CHECK(session->setupCost().retrieveEndpoints.apdus == 2u);
        CHECK(session->setupCost().total().apdus == 8u);
        CHECK(rig.channel.counters().apdus == 8u);
    }
    SECTION("no UICC_ID: the caller's ICCID is needed") {
        SimOptions o;
        o.endpointsCarryUiccId = false;
        Rig rig(o);
        CHECK_THROWS_AS(rig.open(), ProtocolError);
        auto session =
            rig.tsed->openSession(rig.tx, rig.channel, seuicc::encodeIccid(kIccid), kSedAid);
        CHECK(session->iccid() == kIccid);
        CHECK(session->setupCost().retrieveEndpoints.apdus == 2u);
    }
}

TEST_CASE("Master SA record: text form round trip and strict parsing", "[ts102484][msa-record]") {
    Rig rig;
    auto session = rig.open();
    const MasterSaRecord record = session->masterSaRecord();
    CHECK(record.msaId == session->msaId());
    CHECK(record.uiccId == seuicc::encodeIccid(kIccid));
    CHECK(record.aid == kSedAid);
    CHECK(record.containerSize == 255);
    CHECK(record.tag == masterSaRecordTag(kKmsa, record));
    CHECK(record.iccid() == kIccid);

    const std::string text = record.toText();
    CHECK(text.rfind("msa-record/1 msa_id=" + toHex(record.msaId) +
                         " uicc_id=988812010000000010F8 "
                         "aid=F04D324D53454401 container=255 tag=",
                     0) == 0);
    CHECK(MasterSaRecord::fromText(text) == record);
    CHECK(MasterSaRecord::fromText("  " + text + "\n") == record);
    // No key in it: the record is state, not a secret.
    CHECK(text.find(toHex(kKmsa)) == std::string::npos);

    const auto without = [&text](const std::string& field) {
        const auto at = text.find(" " + field + "=");
        const auto end = text.find(' ', at + 1);
        return text.substr(0, at) + (end == std::string::npos ? "" : text.substr(end));
    };
    for (const std::string& bad :
         {std::string(), std::string("msa-record/2") + text.substr(12), without("msa_id"),
          without("tag"), without("container"), text + " aid=F04D324D53454401", text + " kmsa=00",
          text + " junk", text.substr(0, text.size() - 2), without("container") + " container=31",
          without("container") + " container=256", without("container") + " container=x1",
          without("aid") + " aid=ZZ", without("uicc_id") + " uicc_id=98881201"}) {
        INFO(bad);
        CHECK_THROWS_AS(MasterSaRecord::fromText(bad), MasterSaRecordError);
    }
}

TEST_CASE("A remembered master SA the card no longer knows: a full setup, transparently",
          "[ts102484][msa-record][negative]") {
    Rig rig;
    const MasterSaRecord record = rig.open()->masterSaRecord();

    SECTION("another program made a new master SA") {
        auto other = rig.terminal(kKmsa);
        (void)other->openSession(rig.tx, rig.channel, kSedAid);
        SecondProcess next(rig);
        auto session = next.tsed->openSession(rig.tx, next.channel, kSedAid, record);
        CHECK(session->state() == SessionState::Open);
        const SetupCost& cost = session->setupCost();
        CHECK(cost.masterSaReuse == MasterSaReuse::Stale);
        CHECK(cost.staleMasterSa.apdus == 1u);  // the connection SA command block: 6A88
        CHECK(cost.total().apdus == 8u);
        CHECK(next.channel.counters().apdus == 8u);
        CHECK(session->msaId() != record.msaId);
        CHECK(session->masterSaRecord().msaId == *rig.sim.msaId());
    }
    SECTION("a record made with another card") {
        SimOptions otherCard;
        otherCard.iccidRaw = seuicc::encodeIccid("8988211000000000026");
        Rig rig2(otherCard);
        auto session = rig2.tsed->openSession(rig2.tx, rig2.channel, kSedAid, record);
        CHECK(session->setupCost().masterSaReuse == MasterSaReuse::Stale);
        CHECK(session->iccid() == "8988211000000000026");  // the card's, not the record's
        CHECK(session->masterSaRecord().uiccId == otherCard.iccidRaw);
    }
}

TEST_CASE("A remembered MSA_ID without the right Kmsa: AuthenticationFailed, never a channel",
          "[ts102484][msa-record][negative]") {
    Rig rig;
    auto genuine = rig.open();
    const MasterSaRecord record = genuine->masterSaRecord();
    const Bytes otherKmsa = fromHex("00112233445566778899AABBCCDDEEFF");

    SECTION("a record re-tagged under another Kmsa (an MSA_ID seen on the wire)") {
        // The attacker's own tag verifies under its own key: the reuse path is taken, and the
        // card's SSCMAC check at start is what stops it.
        SecondProcess attacker(rig, otherKmsa);
        const MasterSaRecord forged = sealMasterSaRecord(otherKmsa, record);
        try {
            (void)attacker.tsed->openSession(rig.tx, attacker.channel, kSedAid, forged);
            FAIL("a channel without Kmsa");
        } catch (const AuthenticationFailed& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x9862));
        }
        CHECK_FALSE(rig.sim.csaStarted());
        CHECK(rig.sim.masterSasCreated() == 1u);  // no fallback to a new master SA
        // The genuine terminal's master SA is intact: its next process reuses it.
        SecondProcess next(rig);
        auto session = next.tsed->openSession(rig.tx, next.channel, kSedAid, record);
        CHECK(session->setupCost().masterSaReuse == MasterSaReuse::Reused);
    }
    SECTION("the genuine record in a terminal with another Kmsa") {
        SecondProcess wrong(rig, otherKmsa);
        try {
            (void)wrong.tsed->openSession(rig.tx, wrong.channel, kSedAid, record);
            FAIL("a channel with the wrong Kmsa");
        } catch (const AuthenticationFailed& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x9862));
        }
        CHECK_FALSE(rig.sim.csaStarted());
    }
}

TEST_CASE("A tampered record is refused, and the setup is a full one",
          "[ts102484][msa-record][negative]") {
    Rig rig;
    const MasterSaRecord record = rig.open()->masterSaRecord();
    MasterSaRecord tampered = record;
    SECTION("container size") {
        tampered.containerSize = 64;
    }
    SECTION("AID") {
        tampered.aid = fromHex("F04D324D5445535401");
    }
    SECTION("ICCID") {
        tampered.uiccId = seuicc::encodeIccid("8988211000000000026");
    }
    SECTION("MSA_ID") {
        tampered.msaId[0] ^= 0x01;
    }
    SECTION("tag") {
        tampered.tag[15] ^= 0x01;
    }
    SECTION("sizes") {
        tampered.tag.pop_back();
    }
    SecondProcess next(rig);
    auto session = next.tsed->openSession(rig.tx, next.channel, kSedAid, tampered);
    CHECK(session->setupCost().masterSaReuse == MasterSaReuse::Refused);
    CHECK(session->setupCost().total().apdus == 7u);  // nothing of the record reached the card
    CHECK(session->containerSize() == 255);
    CHECK(session->iccid() == kIccid);
    CHECK(rig.sim.masterSasCreated() == 2u);
}

TEST_CASE("A record for another application, or another card than the caller's, is not tried",
          "[ts102484][msa-record][negative]") {
    Rig rig;
    const MasterSaRecord record = rig.open()->masterSaRecord();
    CHECK(masterSaRecordProblem(record, kKmsa, kSedAid) == std::nullopt);
    // Genuinely tagged, but for the AID of another application.
    MasterSaRecord forOther = record;
    forOther.aid = fromHex("F04D324D5445535401");
    forOther = sealMasterSaRecord(kKmsa, forOther);
    CHECK(masterSaRecordProblem(forOther, kKmsa, forOther.aid) == std::nullopt);
    CHECK(masterSaRecordProblem(forOther, kKmsa, kSedAid).has_value());
    SecondProcess next(rig);
    auto session = next.tsed->openSession(rig.tx, next.channel, kSedAid, forOther);
    CHECK(session->setupCost().masterSaReuse == MasterSaReuse::Refused);
    // The caller that read EF_ICCID of another card.
    CHECK(masterSaRecordProblem(record, kKmsa, kSedAid,
                                ByteView(seuicc::encodeIccid("8988211000000000026")))
              .has_value());
    CHECK(masterSaRecordProblem(record, fromHex("00112233445566778899AABBCCDDEEFF"), kSedAid)
              .has_value());
}

TEST_CASE("A re-connection whose master SA is gone ends the session for good",
          "[ts102484][msa-record][negative]") {
    Rig rig;
    auto session = rig.open();
    auto other = rig.terminal(kKmsa);
    (void)other->openSession(rig.tx, rig.channel, kSedAid);  // replaces the master SA
    CHECK_THROWS_AS(session->reconnect(rig.tx), MasterSaUnknown);
    CHECK(session->state() == SessionState::Terminated);
    CHECK(session->setupCost().connectionSa.apdus == 1u);  // counted, though refused
    CHECK_THROWS_AS(session->reconnect(rig.tx), ChannelBroken);
}
