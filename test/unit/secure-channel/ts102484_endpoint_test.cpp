// The TS 102 484 terminal endpoint against the card-side simulator (ts102484_card_sim.hpp) on a
// MemoryTransport. Covers the steps, the session policy (death after 69 82 or a rejected
// response, SessionExpired, AuthenticationFailed), the T-SED, and M2mSedClient over the session,
// and measures the APDUs each step costs in T=0 and T=1 behaviour.
#include <atomic>
#include <catch2/catch.hpp>

#include "securechannel/ts102484/steps.hpp"
#include "ts102484_card_sim.hpp"

using namespace sctest::sim;

namespace {

std::atomic<int> gWiped{0};
void countWipe(const std::uint8_t* storage, std::size_t size) {
    bool zero = true;
    for (std::size_t i = 0; i < size; ++i) {
        zero = zero && storage[i] == 0;
    }
    if (zero) {
        ++gWiped;
    }
}

}  // namespace

TEST_CASE("Secure channel setup and messages: the APDUs each step costs", "[ts102484][session]") {
    const bool t0 = GENERATE(true, false);
    INFO((t0 ? "T=0 behaviour (exact Le)" : "T=1 behaviour (min(Le, rest))"));
    SimOptions options;
    options.t0 = t0;
    Rig rig(options);
    const auto session = rig.open();
    REQUIRE(session->state() == SessionState::Open);
    CHECK(session->containerSize() == 255);
    CHECK(rig.sim.csaStarted());

    const SetupCost& cost = session->setupCost();
    CHECK(cost.retrieveEndpoints.apdus == 1u);  // A0 with the predicted Le: no 6Cxx under T=0
    CHECK(cost.masterSa.apdus == 2u);           // command block + exact A0
    CHECK(cost.connectionSa.apdus == 2u);
    CHECK(cost.start.apdus == 2u);
    CHECK(cost.total().apdus == 7u);
    CHECK(cost.total().bytesSent > 0);
    CHECK(rig.channel.counters().apdus == cost.total().apdus);

    // One-block messages both ways: one command block, one response block (+ 6Cxx under T=0,
    // since the echo's inner Le 00 says only "up to 256": the response's length is unknown).
    for (const std::size_t size :
         {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{100}, std::size_t{200}}) {
        INFO("echo of " << size << " bytes");
        const auto r = rig.echo(*session, pattern(size));
        CHECK(r.sw == 0x9000);
        CHECK(r.data == pattern(size));
        CHECK(session->messageCost().last.apdus == (t0 ? 3u : 2u));
    }
    // 255 bytes: 261-byte inner APDU, 288-byte TLV: two blocks each way; the second response
    // block's length is known from the first, so no 6Cxx.
    const auto big = rig.echo(*session, pattern(255));
    CHECK(big.data == pattern(255));
    CHECK(session->messageCost().last.apdus == 4u);
    CHECK(session->messageCost().messages == 6u);
    CHECK(rig.sim.innerReceived.size() == 6u);

    session->terminate(rig.tx);
    CHECK(session->state() == SessionState::Terminated);
    CHECK_FALSE(rig.sim.csaAlive());
    CHECK(rig.sim.msaAlive());
    CHECK_THROWS_AS(rig.echo(*session, pattern(1)), ChannelBroken);
}

TEST_CASE("Small containers: many TRANSACT DATA blocks, 92 XX both ways", "[ts102484][session]") {
    SimOptions options;
    options.maxContainer = 64;  // the endpoint caps the terminal's 255
    SessionPolicy policy;
    policy.containerSize = 255;
    Rig rig(options, kKmsa, policy);
    auto session = rig.open();
    CHECK(session->containerSize() == 64);

    const std::size_t before = rig.transport.sent().size();
    const auto r = rig.echo(*session, pattern(255));
    CHECK(r.data == pattern(255));
    // 288-byte TLVs both ways (261 and 257 plaintext bytes): 5 blocks of <= 64 each way.
    const auto& sent = rig.transport.sent();
    REQUIRE(sent.size() - before == 10u);
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(toHex(sent[before + i]).substr(0, 8) ==
              "007504" + toHex(Bytes{static_cast<std::uint8_t>(4 - i)}));
    }
    for (std::size_t i = 5; i < 10; ++i) {
        CHECK(toHex(sent[before + i]).substr(0, 8) == "00750000");
    }
    CHECK(toHex(sent[before + 9]).substr(8) == "20");  // the last one: 288 - 256 = 32, known

    SimOptions tiny;
    tiny.maxContainer = 32;
    Rig rig32(tiny);
    auto s32 = rig32.open();
    CHECK(s32->containerSize() == 32);
    for (const std::size_t size :
         {std::size_t{0}, std::size_t{31}, std::size_t{128}, std::size_t{255}}) {
        CHECK(rig32.echo(*s32, pattern(size)).data == pattern(size));
    }
}

TEST_CASE("MSC chaining against the simulator: 63F1 and 62F1", "[ts102484][session][codec]") {
    SimOptions options;
    options.extraEndpoints = 20;  // 21 endpoints: a retrieve-endpoints response over 256 bytes
    options.t0 = false;
    Rig rig(options);

    const UiccEndpoints endpoints = retrieveEndpoints(rig.tx, rig.channel);
    CHECK(endpoints.endpoints.size() == 21u);
    REQUIRE(endpoints.uiccId);
    CHECK(*endpoints.uiccId == seuicc::encodeIccid("8988211000000000018"));
    CHECK(usableEndpoint(endpoints, kSedAid).maxContainerSize == 255);
    CHECK(rig.channel.counters().apdus == 2u);  // A0 (256 bytes, 62F1), 20 (the rest, 9000)

    Bytes payload;
    for (const auto& [tag, value] : std::vector<std::pair<std::uint32_t, Bytes>>{
             {0x80, ascii(std::string(32, 't'))},
             {0x81, ascii("m2m-agent")},
             {0x83, seuicc::encodeIccid("8988211000000000018")},
             {0x84, kSedAid}}) {
        const Bytes tlv = seuicc::encodeTlv(tag, value);
        payload.insert(payload.end(), tlv.begin(), tlv.end());
    }
    const std::size_t before = rig.transport.sent().size();
    const MscResult r = manageSecureChannel(rig.tx, rig.channel, MscOperation::EstablishMasterSa,
                                            ByteView(payload), std::nullopt, 16);
    REQUIRE(r.ok());
    REQUIRE(r.response);
    CHECK(toHex(ByteView(*r.response).first(3)) == "870182");
    // 73 43 + 67 bytes = 69 bytes in blocks of 16: 5 command blocks (63F1 x4, 62F3), then A0.
    CHECK(rig.transport.sent().size() - before == 6u);
    CHECK(rig.sim.msaAlive());
}

TEST_CASE("Known answers on the wire: session keys and SSCMAC from the vectors",
          "[ts102484][session][vectors]") {
    const auto doc = sctest::loadVectors("ts102484-profile-v1.json");
    SimOptions options;
    options.kmsa = fromHex(doc["kmsa"].get<std::string>());
    options.fixedMsaId = fromHex(doc["msa_id"].get<std::string>());
    options.fixedCsaId = fromHex(doc["csa_id"].get<std::string>());
    options.fixedUiccNonce = fromHex(doc["uicc_nonce"].get<std::string>());
    Rig rig(options, options.kmsa);

    const MasterSa msa = establishMasterSa(rig.tx, rig.channel, {"t", "m2m-agent"},
                                           seuicc::encodeIccid("8988211000000000018"), kSedAid);
    CHECK(msa.msaId == *options.fixedMsaId);
    CHECK(msa.keyAgreement == 0x82);
    const ConnectionSa csa = establishConnectionSa(
        rig.tx, rig.channel, msa.msaId, fromHex(doc["terminal_nonce"].get<std::string>()));
    const auto keys =
        profile::v1::deriveSessionKeys(options.kmsa, csa.terminalNonce, csa.uiccNonce, csa.csaId);
    CHECK(sctest::toHex(keys.mac.view()) == doc["session_keys"]["s_mac"].get<std::string>());
    startSecureChannel(rig.tx, rig.channel, keys, csa.csaId, 255);
    CHECK(rig.sim.csaStarted());
    const auto& sent = rig.transport.sent();
    const std::string startCommand = toHex(sent[sent.size() - 2]);  // then the A0 request
    const std::string sscmac = doc["sscmac"][0]["terminal"].get<std::string>();
    CHECK(startCommand.find(toHex(fromHex(sscmac))) != std::string::npos);
    CHECK(startCommand.substr(0, 8) == "00730380");

    terminateMasterSa(rig.tx, rig.channel, options.kmsa, msa.msaId);
    CHECK(toHex(rig.transport.sent().back())
              .find(toHex(fromHex(doc["terminate"]["msa_mac"].get<std::string>()))) !=
          std::string::npos);
    CHECK_FALSE(rig.sim.msaAlive());
}

TEST_CASE("After the card's 69 82 the session is dead until a new connection SA",
          "[ts102484][session][negative]") {
    Rig rig;
    auto session = rig.open();
    CHECK(rig.echo(*session, pattern(10)).sw == 0x9000);

    rig.sim.fault = Fault::RejectNextCommand;
    try {
        rig.echo(*session, pattern(10));
        FAIL("accepted");
    } catch (const ChannelBroken& e) {
        CHECK(e.sw() == std::optional<std::uint16_t>(0x6982));
    }
    CHECK(session->state() == SessionState::Broken);
    CHECK_FALSE(rig.sim.csaAlive());

    const std::size_t sent = rig.transport.sent().size();
    CHECK_THROWS_AS(rig.echo(*session, pattern(10)), ChannelBroken);
    CHECK_THROWS_AS(rig.echo(*session, pattern(10)), ChannelBroken);
    CHECK(rig.transport.sent().size() == sent);  // nothing reaches the card any more

    session->reconnect(rig.tx);
    CHECK(session->state() == SessionState::Open);
    CHECK(rig.echo(*session, pattern(10)).data == pattern(10));
    CHECK(session->messageCost().messages == 1u);
    CHECK(session->setupCost().connectionSa.apdus == 2u);
}

TEST_CASE("A response that fails verification kills the session", "[ts102484][session][negative]") {
    const Fault fault = GENERATE(Fault::TamperResponseMac, Fault::TamperResponseCiphertext,
                                 Fault::ReplayResponse, Fault::OversizeResponseBlock);
    SimOptions options;
    options.maxContainer = 64;
    Rig rig(options);
    auto session = rig.open();
    // Two-block responses (126 bytes), and one the replay can reuse.
    CHECK(rig.echo(*session, pattern(100)).sw == 0x9000);

    rig.sim.fault = fault;
    CHECK_THROWS_AS(rig.echo(*session, pattern(100)), ChannelBroken);
    CHECK(session->state() == SessionState::Broken);
    const std::size_t sent = rig.transport.sent().size();
    CHECK_THROWS_AS(rig.echo(*session, pattern(100)), ChannelBroken);
    CHECK(rig.transport.sent().size() == sent);
    session->reconnect(rig.tx);
    CHECK(rig.echo(*session, pattern(100)).data == pattern(100));
}

TEST_CASE("Session lifetime: age, message count, and the card's 98 63",
          "[ts102484][session][expiry]") {
    auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(100);
    SessionPolicy policy;
    policy.maxAge = std::chrono::seconds(3600);
    policy.maxMessages = 3;
    policy.clock = [&now] { return now; };
    Rig rig(SimOptions{}, kKmsa, policy);
    auto session = rig.open();

    SECTION("too old") {
        now += std::chrono::seconds(3600);
        CHECK(rig.echo(*session, pattern(1)).sw == 0x9000);  // exactly the max age: still fine
        now += std::chrono::seconds(1);
        CHECK(session->state() == SessionState::Expired);
        const std::size_t sent = rig.transport.sent().size();
        CHECK_THROWS_AS(rig.echo(*session, pattern(1)), SessionExpired);
        CHECK_THROWS_AS(rig.echo(*session, pattern(1)), SessionExpired);
        CHECK(rig.transport.sent().size() == sent);
        session->reconnect(rig.tx);
        CHECK(rig.echo(*session, pattern(1)).sw == 0x9000);
    }
    SECTION("too many messages") {
        for (int i = 0; i < 3; ++i) {
            CHECK(rig.echo(*session, pattern(1)).sw == 0x9000);
        }
        CHECK_THROWS_AS(rig.echo(*session, pattern(1)), SessionExpired);
        session->reconnect(rig.tx);
        CHECK(rig.echo(*session, pattern(1)).sw == 0x9000);
    }
    SECTION("the card says the CSA expired") {
        rig.sim.fault = Fault::Expire;
        try {
            rig.echo(*session, pattern(1));
            FAIL("accepted");
        } catch (const SessionExpired& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x9863));
        }
        CHECK(session->state() == SessionState::Expired);
        CHECK_THROWS_AS(rig.echo(*session, pattern(1)), SessionExpired);
        session->reconnect(rig.tx);
        CHECK(rig.echo(*session, pattern(1)).sw == 0x9000);
    }
}

TEST_CASE("Authentication: a wrong UICC SSCMAC, and a wrong Kmsa (the card's 98 62)",
          "[ts102484][session][negative]") {
    SECTION("the UICC's SSCMAC is wrong") {
        Rig rig;
        rig.sim.fault = Fault::WrongUiccSscmac;
        try {
            (void)rig.open();
            FAIL("opened");
        } catch (const AuthenticationFailed& e) {
            CHECK_FALSE(e.sw());
        }
    }
    SECTION("the terminal's Kmsa differs from the card's") {
        Rig rig(SimOptions{}, fromHex("00112233445566778899AABBCCDDEEFF"));
        try {
            (void)rig.open();
            FAIL("opened");
        } catch (const AuthenticationFailed& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x9862));
        }
        CHECK_FALSE(rig.sim.csaAlive());  // the card ended the CSA
        CHECK(toHex(rig.tsed->kmsaCheckValue()) != toHex(keyCheckValue(kKmsa)));
    }
    SECTION("a wrong terminate MAC: 98 62, nothing ends") {
        Rig rig;
        auto session = rig.open();
        const auto otherKeys = profile::v1::deriveSessionKeys(kKmsa, randomBytes(16),
                                                              randomBytes(16), session->csaId());
        CHECK_THROWS_AS(terminateConnectionSa(rig.tx, rig.channel, otherKeys, session->csaId()),
                        AuthenticationFailed);
        CHECK(rig.sim.csaAlive());
        CHECK(rig.echo(*session, pattern(3)).sw == 0x9000);
    }
}

TEST_CASE("Endpoints and key agreements the terminal refuses", "[ts102484][session][negative]") {
    SECTION("no APDU secure channel") {
        SimOptions o;
        o.channelTypes = 0x01;
        Rig rig(o);
        CHECK_THROWS_AS(rig.open(), EndpointUnsupported);
    }
    SECTION("no strong PSK proprietary") {
        SimOptions o;
        o.keyAgreements = 0x01;
        Rig rig(o);
        CHECK_THROWS_AS(rig.open(), EndpointUnsupported);
    }
    SECTION("no Kmsa in the card: '87' without 'key exists'") {
        SimOptions o;
        o.kmsa.clear();
        Rig rig(o);
        CHECK_THROWS_AS(rig.open(), EndpointUnsupported);
    }
    SECTION("UICC_ID that is not the card's ICCID: 6A80") {
        Rig rig;
        try {
            (void)rig.tsed->openSession(rig.tx, rig.channel,
                                        seuicc::encodeIccid("8988211000000000026"), kSedAid);
            FAIL("opened");
        } catch (const ProtocolError&) {
            // the endpoint list names the card's real ICCID: caught before the master SA
        }
        try {
            (void)establishMasterSa(rig.tx, rig.channel, rig.tsed->identity(),
                                    seuicc::encodeIccid("8988211000000000026"), kSedAid);
            FAIL("established");
        } catch (const CardRefused& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x6A80));
        }
    }
    SECTION("an unknown MSA_ID: 6A88, MasterSaUnknown") {
        Rig rig;
        try {
            (void)establishConnectionSa(rig.tx, rig.channel, randomBytes(16));
            FAIL("established");
        } catch (const MasterSaUnknown& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x6A88));
        }
    }
}

TEST_CASE("Terminating the master SA ends the session for good", "[ts102484][session]") {
    Rig rig;
    auto session = rig.open();
    session->terminateMasterSa(rig.tx);
    CHECK_FALSE(rig.sim.msaAlive());
    CHECK_FALSE(rig.sim.csaAlive());
    CHECK(session->state() == SessionState::Terminated);
    CHECK_THROWS_AS(session->reconnect(rig.tx), ChannelBroken);
    CHECK_THROWS_AS(rig.echo(*session, pattern(1)), ChannelBroken);
}

TEST_CASE("Session keys are wiped on death, terminate and destruction", "[ts102484][session]") {
    Rig rig;
    base::testing::setWipeObserver(&countWipe);
    {
        auto session = rig.open();
        gWiped = 0;
        rig.sim.fault = Fault::RejectNextCommand;
        CHECK_THROWS_AS(rig.echo(*session, pattern(1)), ChannelBroken);
        CHECK(gWiped.load() >= 3);  // S-ENC, S-MAC, S-RMAC
        session->reconnect(rig.tx);
        gWiped = 0;
        session->terminate(rig.tx);
        CHECK(gWiped.load() >= 3);
        gWiped = 0;
    }
    CHECK(gWiped.load() >= 1);  // the session's copy of Kmsa
    base::testing::setWipeObserver(nullptr);
}

TEST_CASE("Inner APDUs the channel refuses leave the session alive", "[ts102484][session]") {
    Rig rig;
    auto session = rig.open();
    seuicc::CommandApdu extended{0x80, 0xEE, 0, 0, pattern(300), std::nullopt};
    CHECK_THROWS_AS(session->transmit(rig.tx, extended), SecureChannelError);
    CHECK(session->state() == SessionState::Open);
    CHECK(rig.echo(*session, pattern(2)).sw == 0x9000);
    // An inner error status word is an answer, not a channel failure.
    const auto r = session->transmit(rig.tx, seuicc::CommandApdu{0x80, 0x99, 0, 0, {}, {}});
    CHECK(r.sw == 0x6D00);
    CHECK(session->state() == SessionState::Open);
}

TEST_CASE("M2mSedClient operational commands through the secure channel",
          "[ts102484][session][m2m-sed]") {
    SimOptions options;
    Rig rig(options);
    seuicc::M2mSedClient client(rig.channel);
    client.select(rig.tx);
    auto session = rig.open();

    Bytes seed(64);
    for (std::size_t i = 0; i < seed.size(); ++i) {
        seed[i] = static_cast<std::uint8_t>(0x40 + i);
    }
    const base::SecretBuffer ms = client.computeMasterSecret(rig.tx, *session, seuicc::KeySlot::Kmr,
                                                             seuicc::MasterSecretMode::Plain, seed);
    const SecretBuffer expected =
        tls12Prf(tlsPskPremaster(options.kmr).view(), "master secret", seed, 48);
    CHECK(expected.equals(ms.view()));
    // T=0: the command block, then the response block with the Le the inner Le (48) implies.
    CHECK(session->messageCost().last.apdus == 2u);

    // The seed and the master secret never cross the interface in clear.
    for (const Bytes& apdu : rig.transport.sent()) {
        CHECK(toHex(apdu).find(toHex(ByteView(seed).first(16))) == std::string::npos);
    }
    CHECK_THROWS_AS(client.computeMasterSecret(rig.tx, *session, seuicc::KeySlot::Kmc,
                                               seuicc::MasterSecretMode::Plain, seed),
                    seuicc::SedKeyMissing);
    CHECK(session->state() == SessionState::Open);
    REQUIRE(rig.sim.innerReceived.size() == 2u);
    CHECK(toHex(rig.sim.innerReceived[0].encode()) == "8040010040" + toHex(seed) + "30");
}

TEST_CASE("A session on a logical channel codes the channel in every CLA", "[ts102484][session]") {
    Rig rig;
    seuicc::CardChannel channel1(rig.transport, 1);
    auto session = rig.tsed->openSession(rig.tx, channel1,
                                         seuicc::encodeIccid("8988211000000000018"), kSedAid);
    CHECK(rig.echo(*session, pattern(4)).sw == 0x9000);
    for (const Bytes& apdu : rig.transport.sent()) {
        CHECK(apdu[0] == 0x01);
    }
}

TEST_CASE("T-SED: identity defaults and the key file rules", "[ts102484][tsed]") {
    sctest::TempDir dir;
    writeKeyFile(dir / "kmsa.key", kKmsa);
    TerminalSecuredEnvironment tsed({dir / "kmsa.key", "", kDefaultTerminalAppliId, {}});
    CHECK(tsed.identity().terminalId == defaultTerminalId());
    CHECK_FALSE(tsed.identity().terminalId.empty());
    CHECK(tsed.identity().terminalId.size() <= 32);
    CHECK(tsed.identity().terminalAppliId == "m2m-agent");
    CHECK(tsed.kmsaCheckValue() == keyCheckValue(kKmsa));
    CHECK(tsed.policy().maxMessages == 10000u);
    CHECK(tsed.policy().maxAge == std::chrono::seconds(3600));

    sctest::writeFile(dir / "open.key", std::string_view("404142434445464748494a4b4c4d4e4f\n"),
                      0644);
    CHECK_THROWS_AS(TerminalSecuredEnvironment({dir / "open.key", "t", "a", {}}), KeyFileError);
    sctest::writeFile(dir / "short.key", std::string_view("4041424344454647\n"), 0600);
    CHECK_THROWS_AS(TerminalSecuredEnvironment({dir / "short.key", "t", "a", {}}), KeyFileError);
    CHECK_THROWS_AS(TerminalSecuredEnvironment({dir / "kmsa.key", std::string(33, 'x'), "a", {}}),
                    std::invalid_argument);
}
