// The TS 102 484 secure channel between the terminal (secure-channel/) and the M2M-SED applet,
// over real pcscd: a full session, the card's TLS computations against published vectors, and
// every way the channel must refuse to work.
#include <catch2/catch.hpp>
#include <chrono>

#include "securechannel/crypto.hpp"
#include "securechannel/key_file.hpp"
#include "securechannel/ts102484/errors.hpp"
#include "securechannel/ts102484/master_sa_record.hpp"
#include "sed_fixture.hpp"

using namespace seuicc;
using namespace securechannel;
using testsupport::PersonalisedCard;
using testsupport::SedConnection;

namespace {

bool isTransactData(ByteView command) {
    return command.size() >= 4 && command[1] == 0x75;
}
bool carriesData(ByteView command) {
    return isTransactData(command) && (command[2] & 0x04) != 0;
}
// A TRANSACT DATA read that brought a block of a secured response (not just a status word).
bool readsBlock(ByteView command, ByteView response) {
    return isTransactData(command) && (command[2] & 0x06) == 0 && response.size() > 2 + 12;
}

Bytes hexField(const nlohmann::json& j, const char* name) {
    return fromHex(j[name].get<std::string>());
}

std::optional<KeyCheckValue> kmcKcv(SedConnection& c) {
    return c.sed.status(c.tx).kcv.kmc;
}

// A harmless operational command: a plain master secret from Kmr with the vector's randoms.
base::SecretBuffer masterSecret(SedConnection& c, SecureTunnel& tunnel) {
    const auto h = testsupport::loadVectors("tls12-prf.json")["handshakes"][0];
    Bytes seed = hexField(h, "client_random");
    const Bytes server = hexField(h, "server_random");
    seed.insert(seed.end(), server.begin(), server.end());
    return c.sed.computeMasterSecret(c.tx, tunnel, KeySlot::Kmr, MasterSecretMode::Plain, seed);
}

}  // namespace

TEST_CASE("a full secure-channel session: TLS computations in the card match the vectors",
          "[integration][secure-channel]") {
    PersonalisedCard sim;
    auto c = sim.connect();
    auto tsed = sim.terminal();
    auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
    REQUIRE(session->state() == ts102484::SessionState::Open);
    CHECK(session->setupCost().total().apdus > 0);

    const auto h = testsupport::loadVectors("tls12-prf.json")["handshakes"][0];
    const Bytes clientRandom = hexField(h, "client_random");
    const Bytes serverRandom = hexField(h, "server_random");
    Bytes randoms = clientRandom;
    randoms.insert(randoms.end(), serverRandom.begin(), serverRandom.end());

    // RFC 5246 / 4279: the master secret from the card-held Kmr (= the vector's PSK).
    const auto ms =
        c->sed.computeMasterSecret(c->tx, *session, KeySlot::Kmr, MasterSecretMode::Plain, randoms);
    CHECK(toHex(ms.view()) == toHex(hexField(h, "master_secret")));
    // RFC 7627: the extended master secret.
    const auto ems = c->sed.computeMasterSecret(
        c->tx, *session, KeySlot::Kmr, MasterSecretMode::Extended, hexField(h, "session_hash"));
    CHECK(toHex(ems.view()) == toHex(hexField(h, "extended_master_secret")));

    // RFC 5705: Kmc = exporter("EXPORTER-ETSI-TC-M2M-Connection") of the last (extended)
    // master secret; the card keeps it and says only its KCV.
    std::string connectionExport, bootstrapExport;
    for (const auto& e : h["exporters"]) {
        if (e["from"] == "extended_master_secret" &&
            e["label"] == "EXPORTER-ETSI-TC-M2M-Connection") {
            connectionExport = e["output"];
        }
        if (e["from"] == "master_secret" && e["label"] == "EXPORTER-ETSI-TC-M2M-Bootstrap") {
            bootstrapExport = e["output"];
        }
    }
    const auto kcv =
        c->sed.deriveExportedKey(c->tx, *session, ExportTarget::Kmc, clientRandom, serverRandom);
    CHECK(toHex(kcv) == toHex(keyCheckValue(fromHex(connectionExport))));
    const auto expiry = std::chrono::system_clock::now() + std::chrono::hours(1);
    c->sed.activateKey(c->tx, *session, ExportTarget::Kmc, 42, expiry, 0x0102030405060708ULL);
    const SedStatus status = c->sed.status(c->tx);
    CHECK(status.kmcIndex == 42u);
    CHECK(status.connectionId == 0x0102030405060708ULL);
    REQUIRE(status.kcv.kmc.has_value());
    CHECK(toHex(*status.kcv.kmc) == toHex(kcv));

    // The TLS-based bootstrap: Kmr = exporter("...Bootstrap") of a Kbs master secret.
    c->sed.computeMasterSecret(c->tx, *session, KeySlot::Kbs, MasterSecretMode::Plain, randoms);
    const auto kmrKcv =
        c->sed.deriveExportedKey(c->tx, *session, ExportTarget::Kmr, clientRandom, serverRandom);
    CHECK(toHex(kmrKcv) == toHex(keyCheckValue(fromHex(bootstrapExport))));
    c->sed.activateKey(c->tx, *session, ExportTarget::Kmr, 8, expiry, std::nullopt);
    CHECK(c->sed.status(c->tx).kmrIndex == 8u);
    CHECK(session->messageCost().messages == 7);

    session->terminate(c->tx);
    CHECK(session->state() == ts102484::SessionState::Terminated);
}

TEST_CASE("every procedure at the protocol minimum of APDUs on the emulated T=0 card",
          "[integration][secure-channel][apdus]") {
    PersonalisedCard sim;
    std::string record;
    {
        auto c = sim.connect();
        auto tsed = sim.terminal();
        // Fresh: endpoints 1 (Le predicted), master SA 2, connection SA 2, start 2. No EF_ICCID:
        // the ICCID is the endpoints' UICC_ID.
        auto session = tsed.openSession(c->tx, c->channel, M2mSedClient::kAid);
        CHECK(session->setupCost().retrieveEndpoints.apdus == 1u);
        CHECK(session->setupCost().total().apdus == 7u);
        CHECK(session->iccid() == c->info.iccid);
        CHECK(session->uiccId() == c->info.iccidRaw);

        // One master secret (the card-held TLS handshake): 2.
        auto before = c->channel.counters();
        REQUIRE(masterSecret(*c, *session).size() == 48);
        CHECK(ts102484::trafficBetween(before, c->channel.counters()).apdus == 2u);

        // An inner error answers shorter than expected (no Kmc yet: 6A88): the 6Cxx re-read,
        // counted.
        CHECK_THROWS_AS(c->sed.computeMasterSecret(c->tx, *session, KeySlot::Kmc,
                                                   MasterSecretMode::Plain, Bytes(64, 1)),
                        SedKeyMissing);
        CHECK(session->messageCost().last.apdus == 3u);

        // A service connection (Kmc renewal): COMPUTE MASTER SECRET, DERIVE, ACTIVATE: 6.
        const auto h = testsupport::loadVectors("tls12-prf.json")["handshakes"][0];
        before = c->channel.counters();
        REQUIRE(masterSecret(*c, *session).size() == 48);
        c->sed.deriveExportedKey(c->tx, *session, ExportTarget::Kmc, hexField(h, "client_random"),
                                 hexField(h, "server_random"));
        c->sed.activateKey(c->tx, *session, ExportTarget::Kmc, 3,
                           std::chrono::system_clock::now() + std::chrono::hours(1), 5);
        CHECK(ts102484::trafficBetween(before, c->channel.counters()).apdus == 6u);
        record = session->masterSaRecord().toText();
        session->terminate(c->tx);
        c->channel.close(c->tx);
    }
    // The next process: a new PC/SC connection and T-SED, the record as the agent stores it.
    auto c = sim.connect();
    auto tsed = sim.terminal();
    const auto before = c->channel.counters();
    auto session = tsed.openSession(c->tx, c->channel, M2mSedClient::kAid,
                                    ts102484::MasterSaRecord::fromText(record));
    CHECK(session->setupCost().masterSaReuse == ts102484::MasterSaReuse::Reused);
    CHECK(session->setupCost().total().apdus == 4u);
    CHECK(ts102484::trafficBetween(before, c->channel.counters()).apdus == 4u);
    CHECK(session->iccid() == c->info.iccid);
    CHECK(masterSecret(*c, *session).size() == 48);
}

TEST_CASE("a remembered master SA: stale, tampered, or without the right Kmsa",
          "[integration][secure-channel][negative]") {
    PersonalisedCard sim;
    auto c = sim.connect();
    auto tsed = sim.terminal();
    const auto record = tsed.openSession(c->tx, c->channel, M2mSedClient::kAid)->masterSaRecord();

    SECTION("another program made a new master SA: a full setup, 1 APDU more") {
        (void)sim.terminal().openSession(c->tx, c->channel, M2mSedClient::kAid);
        auto session = tsed.openSession(c->tx, c->channel, M2mSedClient::kAid, record);
        CHECK(session->setupCost().masterSaReuse == ts102484::MasterSaReuse::Stale);
        CHECK(session->setupCost().staleMasterSa.apdus == 1u);
        CHECK(session->setupCost().total().apdus == 8u);
        CHECK(masterSecret(*c, *session).size() == 48);
    }
    SECTION("a tampered container size: refused, a full setup") {
        auto tampered = record;
        tampered.containerSize = 64;
        auto session = tsed.openSession(c->tx, c->channel, M2mSedClient::kAid, tampered);
        CHECK(session->setupCost().masterSaReuse == ts102484::MasterSaReuse::Refused);
        CHECK(session->setupCost().total().apdus == 7u);
        CHECK(session->containerSize() == 255);
    }
    SECTION("the MSA_ID with another Kmsa: the card says 98 62") {
        const auto other =
            testsupport::runDir() / ("reuse-kmsa-" + std::to_string(::getpid()) + ".key");
        std::filesystem::remove(other);
        const Bytes otherKmsa = fromHex("000102030405060708090A0B0C0D0E0F");
        writeKeyFile(other, otherKmsa);
        TerminalSecuredEnvironment::Options o;
        o.kmsaKeyFile = other;
        TerminalSecuredEnvironment wrong(std::move(o));
        try {
            (void)wrong.openSession(c->tx, c->channel, M2mSedClient::kAid,
                                    ts102484::sealMasterSaRecord(otherKmsa, record));
            FAIL("a channel without Kmsa");
        } catch (const AuthenticationFailed& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x9862));
        }
        std::filesystem::remove(other);
        // The genuine terminal's master SA survived it.
        auto session = tsed.openSession(c->tx, c->channel, M2mSedClient::kAid, record);
        CHECK(session->setupCost().masterSaReuse == ts102484::MasterSaReuse::Reused);
    }
}

TEST_CASE("operational commands are refused in clear", "[integration][secure-channel]") {
    PersonalisedCard sim;
    auto c = sim.connect();
    // COMPUTE MASTER SECRET sent on the card channel itself, bypassing any tunnel.
    const auto r = c->channel.transmit(c->tx, CommandApdu{0x80, 0x40, 0x01, 0x00, Bytes(64), 256});
    CHECK(r.sw == 0x6982);
}

TEST_CASE("the card ends the connection SA on any tampered, replayed or malformed block",
          "[integration][secure-channel][negative]") {
    PersonalisedCard sim;
    auto c = sim.connect();
    ts102484::SessionPolicy policy;
    policy.containerSize = 32;  // several blocks per message, so blocks can be reordered
    auto tsed = sim.terminal(policy);
    auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
    const auto kcvBefore = kmcKcv(*c);
    REQUIRE(masterSecret(*c, *session).size() == 48);  // a good message first

    using Send = testsupport::RecordingTransport::Send;
    using Hook = testsupport::RecordingTransport::CommandHook;
    std::optional<Bytes> previous;  // a genuine block of an earlier message, for the replay
    std::optional<Bytes> held;      // a block kept back, for the reordering
    int blockIndex = 0;
    const std::vector<std::pair<std::string, Hook>> attacks{
        {"tampered ciphertext",
         [&](ByteView cmd, const Send& send) -> std::optional<Bytes> {
             if (!carriesData(cmd) || blockIndex++ != 0)
                 return std::nullopt;
             Bytes b(cmd.begin(), cmd.end());
             b[5 + 2 + 4 + 3] ^= 0x01;  // APDU header, TLV 86 header, counter, into the ciphertext
             return send(b);
         }},
        {"tampered MAC",
         [&](ByteView cmd, const Send& send) -> std::optional<Bytes> {
             if (!carriesData(cmd) || cmd[3] != 0)
                 return std::nullopt;  // the last block
             Bytes b(cmd.begin(), cmd.end());
             b.back() ^= 0x80;
             return send(b);
         }},
        {"replayed block",
         [&](ByteView cmd, const Send& send) -> std::optional<Bytes> {
             if (!carriesData(cmd) || blockIndex++ != 0)
                 return std::nullopt;
             return send(*previous);  // the first block of the previous message, again
         }},
        {"reordered blocks",
         [&](ByteView cmd, const Send& send) -> std::optional<Bytes> {
             if (!carriesData(cmd))
                 return std::nullopt;
             const int i = blockIndex++;
             if (i == 0) {  // keep the first block back and tell the terminal it arrived
                 held = Bytes(cmd.begin(), cmd.end());
                 return fromHex("9200");
             }
             if (i == 1) {  // the second block goes first, then the first
                 send(cmd);
                 return send(*held);
             }
             return std::nullopt;
         }},
        {"truncated block",
         [&](ByteView cmd, const Send& send) -> std::optional<Bytes> {
             if (!carriesData(cmd) || blockIndex++ != 0)
                 return std::nullopt;
             Bytes b(cmd.begin(), cmd.end() - 1);
             b[4] = static_cast<std::uint8_t>(b[4] - 1);
             return send(b);
         }},
        {"oversize block",
         [&](ByteView cmd, const Send& send) -> std::optional<Bytes> {
             if (!carriesData(cmd) || blockIndex++ != 0)
                 return std::nullopt;
             Bytes b(cmd.begin(), cmd.end());
             b.insert(b.end(), 40, 0x00);  // beyond the negotiated container size
             b[4] = static_cast<std::uint8_t>(b.size() - 5);
             return send(b);
         }},
    };

    for (const auto& [name, hook] : attacks) {
        SECTION(name) {
            // One genuine message first, remembering its first block for the replay.
            c->wire.onCommand([&](ByteView cmd, const Send&) -> std::optional<Bytes> {
                if (carriesData(cmd) && !previous)
                    previous = Bytes(cmd.begin(), cmd.end());
                return std::nullopt;
            });
            REQUIRE(masterSecret(*c, *session).size() == 48);
            blockIndex = 0;
            c->wire.onCommand(hook);
            CHECK_THROWS_AS(c->sed.activateKey(c->tx, *session, ExportTarget::Kmc, 99,
                                               std::chrono::system_clock::now(), 1),
                            SecureChannelError);
            c->wire.clearHooks();
            // Dead on both ends. (Broken when the card's 69 82 was the answer; Expired when the
            // card had already ended the SA and a later block met its 98 63.)
            CHECK(session->state() != ts102484::SessionState::Open);
            CHECK_THROWS_AS(masterSecret(*c, *session), SecureChannelError);
            const auto raw =
                c->channel.transmit(c->tx, CommandApdu{0x00, 0x75, 0x00, 0x00, {}, 256});
            CHECK(raw.sw == 0x9863);
            // Nothing was stored, and a new connection SA works again.
            CHECK(kmcKcv(*c) == kcvBefore);
            session->reconnect(c->tx);
            CHECK(masterSecret(*c, *session).size() == 48);
        }
    }
}

TEST_CASE("the terminal rejects a tampered or replayed response",
          "[integration][secure-channel][negative]") {
    PersonalisedCard sim;
    auto c = sim.connect();
    auto tsed = sim.terminal();
    auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
    Bytes genuine;
    c->wire.onResponse([&](ByteView cmd, ByteView response) -> std::optional<Bytes> {
        if (readsBlock(cmd, response))
            genuine.assign(response.begin(), response.end());
        return std::nullopt;
    });
    REQUIRE(masterSecret(*c, *session).size() == 48);

    SECTION("tampered response MAC") {
        c->wire.onResponse([&](ByteView cmd, ByteView response) -> std::optional<Bytes> {
            if (!readsBlock(cmd, response))
                return std::nullopt;
            Bytes b(response.begin(), response.end());
            b[b.size() - 3] ^= 0x01;  // last MAC byte, before the status word
            return b;
        });
        try {
            masterSecret(*c, *session);
            FAIL("a tampered response was accepted");
        } catch (const SecureChannelError&) {
        }
    }
    SECTION("replayed response") {
        c->wire.onResponse([&](ByteView cmd, ByteView response) -> std::optional<Bytes> {
            if (!readsBlock(cmd, response))
                return std::nullopt;
            return genuine;
        });
        CHECK_THROWS_AS(masterSecret(*c, *session), SecureChannelError);
    }
    c->wire.clearHooks();
    CHECK(session->state() == ts102484::SessionState::Broken);
    CHECK_THROWS_AS(masterSecret(*c, *session), ChannelBroken);
}

TEST_CASE("wrong Kmsa and wrong SSCMAC: no channel, typed errors",
          "[integration][secure-channel][negative]") {
    PersonalisedCard sim;
    auto c = sim.connect();

    SECTION("a terminal with another Kmsa") {
        const auto other =
            testsupport::runDir() / ("other-kmsa-" + std::to_string(::getpid()) + ".key");
        std::filesystem::remove(other);
        writeKeyFile(other, fromHex("000102030405060708090A0B0C0D0E0F"));
        TerminalSecuredEnvironment::Options o;
        o.kmsaKeyFile = other;
        TerminalSecuredEnvironment wrong(std::move(o));
        try {
            auto s = wrong.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
            FAIL("a session opened with the wrong Kmsa");
        } catch (const AuthenticationFailed& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x9862));
        }
        std::filesystem::remove(other);
    }
    SECTION("a tampered terminal SSCMAC in START") {
        c->wire.onCommand(
            [](ByteView cmd,
               const testsupport::RecordingTransport::Send& send) -> std::optional<Bytes> {
                if (cmd.size() < 5 || cmd[1] != 0x73 || cmd[2] != 0x03 || cmd[3] != 0x80) {
                    return std::nullopt;
                }
                Bytes b(cmd.begin(), cmd.end());
                b.back() ^= 0x01;  // the last byte of the 8D value
                return send(b);
            });
        auto tsed = sim.terminal();
        CHECK_THROWS_AS(tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid),
                        AuthenticationFailed);
        c->wire.clearHooks();
    }
    SECTION("a tampered UICC SSCMAC in the START response") {
        c->wire.onResponse([](ByteView cmd, ByteView response) -> std::optional<Bytes> {
            if (cmd.size() < 4 || cmd[1] != 0x73 || cmd[2] != 0x03 || cmd[3] != 0xA0 ||
                response.size() < 3) {
                return std::nullopt;
            }
            Bytes b(response.begin(), response.end());
            b[b.size() - 3] ^= 0x01;
            return b;
        });
        auto tsed = sim.terminal();
        CHECK_THROWS_AS(tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid),
                        AuthenticationFailed);
        c->wire.clearHooks();
    }
}

TEST_CASE("expired and terminated connection SAs", "[integration][secure-channel][negative]") {
    PersonalisedCard sim;
    auto c = sim.connect();

    SECTION("the session's lifetime is over") {
        auto now = std::chrono::steady_clock::now();
        ts102484::SessionPolicy policy;
        policy.maxAge = std::chrono::seconds(60);
        policy.clock = [&now] { return now; };
        auto tsed = sim.terminal(policy);
        auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
        REQUIRE(masterSecret(*c, *session).size() == 48);
        now += std::chrono::seconds(61);
        CHECK_THROWS_AS(masterSecret(*c, *session), SessionExpired);
    }
    SECTION("too many messages") {
        ts102484::SessionPolicy policy;
        policy.maxMessages = 1;
        auto tsed = sim.terminal(policy);
        auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
        REQUIRE(masterSecret(*c, *session).size() == 48);
        CHECK_THROWS_AS(masterSecret(*c, *session), SessionExpired);
    }
    SECTION("terminated: the terminal refuses, and so does the card") {
        auto tsed = sim.terminal();
        auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
        REQUIRE(masterSecret(*c, *session).size() == 48);
        session->terminate(c->tx);
        CHECK_THROWS_AS(masterSecret(*c, *session), SecureChannelError);
        const auto raw = c->channel.transmit(c->tx, CommandApdu{0x00, 0x75, 0x00, 0x00, {}, 256});
        CHECK(raw.sw == 0x9863);
    }
}

TEST_CASE("APDU-trace audit: no response ever carries a card-held key",
          "[integration][secure-channel][audit]") {
    PersonalisedCard sim;
    auto c = sim.connect();
    auto tsed = sim.terminal();
    auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
    const auto h = testsupport::loadVectors("tls12-prf.json")["handshakes"][0];
    const Bytes clientRandom = hexField(h, "client_random");
    const Bytes serverRandom = hexField(h, "server_random");
    masterSecret(*c, *session);
    c->sed.deriveExportedKey(c->tx, *session, ExportTarget::Kmc, clientRandom, serverRandom);
    c->sed.activateKey(c->tx, *session, ExportTarget::Kmc, 5,
                       std::chrono::system_clock::now() + std::chrono::hours(1), 77);
    c->sed.status(c->tx);
    session->terminate(c->tx);

    // What the card derived as Kmc, computed here from the vector's master secret.
    const auto kmc = tls12Prf(
        hexField(h, "master_secret"), "EXPORTER-ETSI-TC-M2M-Connection",
        [&] {
            Bytes s = clientRandom;
            s.insert(s.end(), serverRandom.begin(), serverRandom.end());
            return s;
        }(),
        32);
    const auto& k = sim.keys();
    REQUIRE(c->wire.exchanges().size() > 10);
    for (const auto& exchange : c->wire.exchanges()) {
        for (const ByteView key :
             {ByteView(k.kmr), ByteView(k.kbs), ByteView(k.kmsa), ByteView(k.kiv), kmc.view()}) {
            // Any 8 consecutive key bytes would already be a leak.
            for (std::size_t i = 0; i + 8 <= key.size(); ++i) {
                CHECK_FALSE(testsupport::contains(exchange.response, key.subspan(i, 8)));
            }
        }
    }
}

TEST_CASE("power loss inside ACTIVATE KEY leaves the old key and parameters in place",
          "[integration][secure-channel][tear]") {
    PersonalisedCard sim;
    const auto h = testsupport::loadVectors("tls12-prf.json")["handshakes"][0];
    const Bytes clientRandom = hexField(h, "client_random");
    const Bytes serverRandom = hexField(h, "server_random");
    const auto expiry = std::chrono::system_clock::now() + std::chrono::hours(1);
    SedStatus before;
    {
        auto c = sim.connect();
        auto tsed = sim.terminal();
        auto session = tsed.openSession(c->tx, c->channel, c->info.iccidRaw, M2mSedClient::kAid);
        masterSecret(*c, *session);
        c->sed.deriveExportedKey(c->tx, *session, ExportTarget::Kmc, clientRandom, serverRandom);
        c->sed.activateKey(c->tx, *session, ExportTarget::Kmc, 1, expiry, 100);
        before = c->sed.status(c->tx);
        REQUIRE(before.kmcIndex == 1u);

        // A second Kmc (other randoms), cut between the key and its parameters.
        sim.card().control("tear point activate-key");
        masterSecret(*c, *session);
        c->sed.deriveExportedKey(c->tx, *session, ExportTarget::Kmc, serverRandom, clientRandom);
        CHECK_THROWS_AS(c->sed.activateKey(c->tx, *session, ExportTarget::Kmc, 2, expiry, 200),
                        seuicc::Error);
    }
    sim.card().waitInserted();
    auto c = sim.connect();
    const SedStatus after = c->sed.status(c->tx);
    CHECK(after.kmcIndex == before.kmcIndex);
    CHECK(after.connectionId == before.connectionId);
    CHECK(after.kcv.kmc == before.kcv.kmc);
}
