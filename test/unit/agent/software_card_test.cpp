// agent::SoftwareCard (GATEWAY.md §5): the M2M-SED's computations with the key in process memory.
// Known answers from testdata/vectors/tls12-prf.json and the same answers as
// InMemoryKeyOperations; the status it synthesises from the key file; what it refuses (no IV-SED,
// no GBA, no Kbs; a key file others can read; a card's export).
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "agent/software_card.hpp"
#include "provisioning/key_export.hpp"
#include "securechannel/crypto.hpp"
#include "seuicc/sed_errors.hpp"
#include "test_support.hpp"

using agent::SoftwareCard;
using sctest::fromHex;
using sctest::TempDir;
using sctest::toHex;
using seuicc::ExportTarget;
using seuicc::KeySlot;
using seuicc::MasterSecretMode;

namespace {

const seuicc::NodeId kNodeId{0x5f, 0x0f, 0x7e, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e,
                             0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6};
constexpr std::int64_t kKmrExpiry = 4102444800;  // 2100-01-01

std::string field(const nlohmann::json& h, const char* name) {
    return h.at(name).get<std::string>();
}

// A software device's record holding `kmr`, as `m2m soft-device create` writes it.
std::filesystem::path writeRecord(const TempDir& dir, base::ByteView kmr, bool software = true) {
    provisioning::KeyExport r;
    r.software = software;
    if (!software) {
        r.iccid = "8988211000000000018";
        r.kmsa = securechannel::randomSecret(16);
    }
    r.nodeId = kNodeId;
    r.sclId = "soft-device-1";
    r.kmrIndex = 3;
    r.kmrExpiry = std::chrono::system_clock::time_point(std::chrono::seconds(kKmrExpiry));
    r.kmr = base::SecretBuffer::copyOf(kmr);
    const auto path = dir / "device.json";
    provisioning::writeKeyExport(path, r);
    return path;
}

// The Connection exporter's expected output from the plain master secret.
std::string connectionExport(const nlohmann::json& h) {
    for (const auto& e : h.at("exporters")) {
        if (e.at("label") == securechannel::tls::kConnectionExporterLabel &&
            e.at("from") == "master_secret") {
            return field(e, "output");
        }
    }
    FAIL("no Connection exporter from the plain master secret in the vectors");
    return {};
}

}  // namespace

TEST_CASE("Software card: master secrets and the Connection exporter of the vectors",
          "[software-card]") {
    const auto handshakes = sctest::loadSection("tls12-prf.json", "/handshakes");
    REQUIRE_FALSE(handshakes.empty());
    for (const auto& h : handshakes) {
        const TempDir dir;
        const base::Bytes psk = fromHex(field(h, "psk"));
        SoftwareCard card(writeRecord(dir, psk));
        securechannel::tls::InMemoryKeyOperations reference(KeySlot::Kmr,
                                                            base::SecretBuffer::copyOf(psk));
        const base::Bytes clientRandom = fromHex(field(h, "client_random"));
        const base::Bytes serverRandom = fromHex(field(h, "server_random"));
        const base::Bytes randoms = base::concat({clientRandom, serverRandom});
        const base::Bytes sessionHash = fromHex(field(h, "session_hash"));
        const std::string kmc = connectionExport(h);
        const auto expiry = std::chrono::system_clock::now() + std::chrono::hours(1);

        card.run([&](provisioning::CardOperations& ops) {
            const auto extended =
                ops.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Extended, sessionHash);
            CHECK(toHex(extended.view()) == field(h, "extended_master_secret"));
            const auto plain =
                ops.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Plain, randoms);
            CHECK(toHex(plain.view()) == field(h, "master_secret"));
            CHECK(plain.equals(
                reference.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Plain, randoms)));
            const seuicc::KeyCheckValue kcv =
                ops.deriveExportedKey(ExportTarget::Kmc, clientRandom, serverRandom);
            CHECK(kcv ==
                  reference.deriveExportedKey(ExportTarget::Kmc, clientRandom, serverRandom));
            CHECK(toHex(reference.pendingKey()) == kmc);
            CHECK(toHex(kcv) == toHex(securechannel::keyCheckValue(fromHex(kmc))));
            ops.activateKey(ExportTarget::Kmc, 7, expiry, 42);
            // The new Kmc is the key of the next handshake: its master secret is the one of the
            // exported key.
            securechannel::tls::InMemoryKeyOperations kmcReference(
                KeySlot::Kmc, base::SecretBuffer::copyOf(fromHex(kmc)));
            CHECK(ops.computeMasterSecret(KeySlot::Kmc, MasterSecretMode::Plain, randoms)
                      .equals(kmcReference.computeMasterSecret(KeySlot::Kmc,
                                                               MasterSecretMode::Plain, randoms)));
            CHECK(toHex(*card.status().kcv.kmc) == toHex(kcv));
        });
        const seuicc::SedStatus& s = card.status();
        CHECK(s.kmcIndex == 7u);
        CHECK(s.connectionId == 42u);
        CHECK(s.kmcExpiry == std::chrono::floor<std::chrono::seconds>(expiry));
    }
}

TEST_CASE("Software card: the status comes from the key file and says software",
          "[software-card]") {
    const TempDir dir;
    const base::Bytes kmr(32, 0x5A);
    SoftwareCard card(writeRecord(dir, kmr));
    const seuicc::SedStatus& s = card.open();
    CHECK(s.lifecycle == seuicc::SedLifecycle::Locked);
    CHECK(s.nodeId == kNodeId);
    CHECK(s.sclId == "soft-device-1");
    CHECK(s.kmrIndex == 3u);
    CHECK(s.kmrExpiry->time_since_epoch() == std::chrono::seconds(kKmrExpiry));
    CHECK(toHex(*s.kcv.kmr) == toHex(securechannel::keyCheckValue(kmr)));
    CHECK_FALSE(s.kcv.kbs);
    CHECK_FALSE(s.kcv.kmsa);
    CHECK_FALSE(s.kmcIndex);
    CHECK(s.nsclList.empty());
    const agent::CardPathInfo info = card.info();
    CHECK(info.kind == agent::CardKind::Software);
    CHECK(info.reader.empty());
    CHECK(info.iccid.empty());
    CHECK(info.traffic.apdus == 0);
    CHECK(info.secureChannelSetups == 0);
}

TEST_CASE("Software card: no IV-SED, no USIM, no Kbs, and the card's rules for ACTIVATE",
          "[software-card][neg]") {
    const TempDir dir;
    const auto h = sctest::loadSection("tls12-prf.json", "/handshakes/0");
    SoftwareCard card(writeRecord(dir, fromHex(field(h, "psk"))));
    const base::Bytes clientRandom = fromHex(field(h, "client_random"));
    const base::Bytes serverRandom = fromHex(field(h, "server_random"));
    const base::Bytes randoms = base::concat({clientRandom, serverRandom});

    CHECK_THROWS_WITH(card.runWithIvSed([](provisioning::CardOperations&, agent::IvSedPort&) {}),
                      Catch::Contains("software card has no IV-SED"));
    CHECK_THROWS_AS(card.runWithIvSed([](provisioning::CardOperations&, agent::IvSedPort&) {}),
                    agent::NotOnSoftwareCard);
    card.run([&](provisioning::CardOperations& ops) {
        CHECK_THROWS_AS(ops.readImsi(), agent::NotOnSoftwareCard);
        CHECK_THROWS_AS(ops.authenticateGbaBootstrap({}), agent::NotOnSoftwareCard);
        CHECK_THROWS_AS(ops.setKeyFromGba(ExportTarget::Kmc, base::Bytes(5), "impi"),
                        agent::NotOnSoftwareCard);
        // No Kbs: no bootstrap, so no pending Kmr.
        CHECK_THROWS_AS(ops.computeMasterSecret(KeySlot::Kbs, MasterSecretMode::Plain, randoms),
                        seuicc::SedKeyMissing);
        ops.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Plain, randoms);
        CHECK_THROWS_AS(ops.deriveExportedKey(ExportTarget::Kmr, clientRandom, serverRandom),
                        seuicc::SedNoMasterSecret);
        // Nothing derived: nothing to activate.
        const auto later = std::chrono::system_clock::now() + std::chrono::hours(1);
        CHECK_THROWS_AS(ops.activateKey(ExportTarget::Kmc, 1, later, 9), seuicc::SedNoPendingKey);
        ops.deriveExportedKey(ExportTarget::Kmc, clientRandom, serverRandom);
        CHECK_THROWS_AS(ops.activateKey(ExportTarget::Kmc, 1, later, std::nullopt),
                        seuicc::SedInvalidArgument);
        CHECK_THROWS_AS(ops.activateKey(ExportTarget::Kmr, 1, later, std::nullopt),
                        seuicc::SedNoPendingKey);
        CHECK_NOTHROW(ops.activateKey(ExportTarget::Kmc, 1, later, 9));
        // Activated once: the pending key is gone.
        CHECK_THROWS_AS(ops.activateKey(ExportTarget::Kmc, 2, later, 9), seuicc::SedNoPendingKey);
    });
    CHECK(card.status().kmcIndex == 1u);
}

TEST_CASE("Software card: key files refused", "[software-card][neg]") {
    const base::Bytes kmr(32, 0x5A);
    SECTION("readable by others (0644, 0640)") {
        for (const unsigned mode : {0644U, 0640U, 0604U}) {
            const TempDir dir;
            const auto path = writeRecord(dir, kmr);
            ::chmod(path.c_str(), mode);
            CHECK_THROWS_AS(SoftwareCard(path), securechannel::KeyFileError);
        }
    }
    SECTION("0400 is accepted") {
        const TempDir dir;
        const auto path = writeRecord(dir, kmr);
        ::chmod(path.c_str(), 0400);
        CHECK_NOTHROW(SoftwareCard(path));
    }
    SECTION("a card's key export: its Kmr belongs in the card") {
        const TempDir dir;
        const auto path = writeRecord(dir, kmr, /*software=*/false);
        CHECK_THROWS_AS(SoftwareCard(path), agent::SoftwareCardError);
        CHECK_THROWS_WITH(SoftwareCard(path), !Catch::Contains(toHex(kmr)));
    }
    SECTION("missing") {
        const TempDir dir;
        CHECK_THROWS_AS(SoftwareCard(dir / "none.json"), securechannel::KeyFileError);
    }
}
