// InMemoryKeyOperations, the baseline's "card": known answers from testdata/vectors/tls12-prf.json
// (the RFC 4279 premaster inside the master secrets, the plain and extended master secrets, both
// exporter labels from both), the card's rules for DERIVE, and the arguments it refuses.
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "securechannel/crypto.hpp"
#include "securechannel/tls/memory_keys.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "test_support.hpp"

using sctest::fromHex;
using sctest::toHex;
using securechannel::tls::InMemoryKeyOperations;
using seuicc::ExportTarget;
using seuicc::KeySlot;
using seuicc::MasterSecretMode;

namespace {

std::string field(const nlohmann::json& h, const char* name) {
    return h.at(name).get<std::string>();
}

// Kmr and Kbs hold the vector's PSK, as in the card of the integration tests.
InMemoryKeyOperations vectorKeys(const nlohmann::json& h) {
    std::map<KeySlot, base::SecretBuffer> keys;
    keys.emplace(KeySlot::Kmr, base::SecretBuffer::copyOf(fromHex(field(h, "psk"))));
    keys.emplace(KeySlot::Kbs, base::SecretBuffer::copyOf(fromHex(field(h, "psk"))));
    return InMemoryKeyOperations(std::move(keys));
}

}  // namespace

TEST_CASE("In-memory keys: master secrets and exporters of the vectors", "[tls][memory-keys]") {
    const auto handshakes = sctest::loadSection("tls12-prf.json", "/handshakes");
    REQUIRE_FALSE(handshakes.empty());
    for (const auto& h : handshakes) {
        InMemoryKeyOperations keys = vectorKeys(h);
        const base::Bytes clientRandom = fromHex(field(h, "client_random"));
        const base::Bytes serverRandom = fromHex(field(h, "server_random"));
        const base::Bytes randoms = base::concat({clientRandom, serverRandom});
        const base::Bytes sessionHash = fromHex(field(h, "session_hash"));

        // premaster = uint16(32) ‖ 32×00 ‖ uint16(32) ‖ psk: a wrong one changes every answer.
        CHECK(toHex(keys.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Plain, randoms)
                        .view()) == field(h, "master_secret"));
        CHECK(toHex(keys.computeMasterSecret(KeySlot::Kbs, MasterSecretMode::Extended, sessionHash)
                        .view()) == field(h, "extended_master_secret"));

        REQUIRE(h.at("exporters").size() == 4);
        for (const auto& e : h.at("exporters")) {
            const std::string label = e.at("label");
            const bool bootstrap = label == securechannel::tls::kBootstrapExporterLabel;
            REQUIRE((bootstrap || label == securechannel::tls::kConnectionExporterLabel));
            const bool extended = e.at("from") == "extended_master_secret";
            INFO(label << " from " << e.at("from").get<std::string>());
            // Bootstrap exports from a Kbs master secret, Connection from a Kmr one.
            keys.computeMasterSecret(
                bootstrap ? KeySlot::Kbs : KeySlot::Kmr,
                extended ? MasterSecretMode::Extended : MasterSecretMode::Plain,
                extended ? sessionHash : randoms);
            const seuicc::KeyCheckValue kcv = keys.deriveExportedKey(
                bootstrap ? ExportTarget::Kmr : ExportTarget::Kmc, clientRandom, serverRandom);
            CHECK(toHex(keys.pendingKey()) == field(e, "output"));
            CHECK(toHex(kcv) == toHex(securechannel::keyCheckValue(fromHex(field(e, "output")))));
        }
    }
}

TEST_CASE("In-memory keys: DERIVE follows the card's rules", "[tls][memory-keys][neg]") {
    const auto h = sctest::loadSection("tls12-prf.json", "/handshakes/0");
    InMemoryKeyOperations keys = vectorKeys(h);
    const base::Bytes clientRandom = fromHex(field(h, "client_random"));
    const base::Bytes serverRandom = fromHex(field(h, "server_random"));
    const base::Bytes randoms = base::concat({clientRandom, serverRandom});

    // No master secret yet.
    CHECK_THROWS_AS(keys.deriveExportedKey(ExportTarget::Kmc, clientRandom, serverRandom),
                    seuicc::SedNoMasterSecret);
    CHECK(keys.pendingKey().empty());
    // A Kmr master secret exports Kmc, never Kmr; a Kbs one the other way round.
    keys.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Plain, randoms);
    CHECK_THROWS_AS(keys.deriveExportedKey(ExportTarget::Kmr, clientRandom, serverRandom),
                    seuicc::SedNoMasterSecret);
    keys.computeMasterSecret(KeySlot::Kbs, MasterSecretMode::Plain, randoms);
    CHECK_THROWS_AS(keys.deriveExportedKey(ExportTarget::Kmc, clientRandom, serverRandom),
                    seuicc::SedNoMasterSecret);
    // The typed error carries the card's status word.
    try {
        keys.deriveExportedKey(ExportTarget::Kmc, clientRandom, serverRandom);
        FAIL("DERIVE from the wrong slot succeeded");
    } catch (const seuicc::SedNoMasterSecret& e) {
        CHECK(e.sw() == 0x6985);
    }
    // The master secret stays: a second export from it works.
    CHECK_NOTHROW(keys.deriveExportedKey(ExportTarget::Kmr, clientRandom, serverRandom));
    CHECK_NOTHROW(keys.deriveExportedKey(ExportTarget::Kmr, clientRandom, serverRandom));
}

TEST_CASE("In-memory keys: what the card refuses", "[tls][memory-keys][neg]") {
    const auto h = sctest::loadSection("tls12-prf.json", "/handshakes/0");
    const base::Bytes psk = fromHex(field(h, "psk"));
    const base::Bytes randoms = fromHex(field(h, "client_random") + field(h, "server_random"));

    SECTION("an empty slot is SedKeyMissing (6A88)") {
        InMemoryKeyOperations keys(KeySlot::Kmr, base::SecretBuffer::copyOf(psk));
        try {
            keys.computeMasterSecret(KeySlot::Kmc, MasterSecretMode::Plain, randoms);
            FAIL("a master secret from an empty slot");
        } catch (const seuicc::SedKeyMissing& e) {
            CHECK(e.sw() == 0x6A88);
        }
        CHECK_THROWS_AS(keys.computeMasterSecret(KeySlot::Kbs, MasterSecretMode::Plain, randoms),
                        seuicc::SedKeyMissing);
    }
    SECTION("seeds and randoms of the wrong size are SedInvalidArgument") {
        InMemoryKeyOperations keys(KeySlot::Kmr, base::SecretBuffer::copyOf(psk));
        const base::Bytes shortSeed(63, 0x11);
        CHECK_THROWS_AS(keys.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Plain, shortSeed),
                        seuicc::SedInvalidArgument);
        CHECK_THROWS_AS(
            keys.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Extended, base::Bytes(19)),
            seuicc::SedInvalidArgument);
        CHECK_THROWS_AS(
            keys.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Extended, base::Bytes(65)),
            seuicc::SedInvalidArgument);
        CHECK_NOTHROW(
            keys.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Extended, base::Bytes(20)));
        CHECK_THROWS_AS(keys.deriveExportedKey(ExportTarget::Kmc, base::Bytes(31), base::Bytes(32)),
                        seuicc::SedInvalidArgument);
    }
    SECTION("a key that is not 32 bytes is SedInvalidArgument, and the message holds no key") {
        const base::Bytes shortKey(16, 0xA5);
        try {
            InMemoryKeyOperations keys(KeySlot::Kmr, base::SecretBuffer::copyOf(shortKey));
            FAIL("a 16-byte key was accepted");
        } catch (const seuicc::SedInvalidArgument& e) {
            CHECK(std::string(e.what()).find(toHex(shortKey)) == std::string::npos);
            CHECK(std::string(e.what()).find("32") != std::string::npos);
        }
    }
}

TEST_CASE("In-memory keys: ACTIVATE makes the pending key the slot's key", "[tls][memory-keys]") {
    const auto h = sctest::loadSection("tls12-prf.json", "/handshakes/0");
    InMemoryKeyOperations keys(KeySlot::Kmr, base::SecretBuffer::copyOf(fromHex(field(h, "psk"))));
    const base::Bytes clientRandom = fromHex(field(h, "client_random"));
    const base::Bytes serverRandom = fromHex(field(h, "server_random"));
    const base::Bytes randoms = base::concat({clientRandom, serverRandom});

    CHECK_THROWS_AS(keys.activatePending(ExportTarget::Kmc), seuicc::SedNoPendingKey);
    CHECK_THROWS_AS(keys.computeMasterSecret(KeySlot::Kmc, MasterSecretMode::Plain, randoms),
                    seuicc::SedKeyMissing);
    keys.computeMasterSecret(KeySlot::Kmr, MasterSecretMode::Plain, randoms);
    keys.deriveExportedKey(ExportTarget::Kmc, clientRandom, serverRandom);
    const base::Bytes kmc(keys.pendingKey().begin(), keys.pendingKey().end());
    // Only the target it was derived for.
    CHECK_THROWS_AS(keys.activatePending(ExportTarget::Kmr), seuicc::SedNoPendingKey);
    keys.activatePending(ExportTarget::Kmc);
    CHECK(keys.pendingKey().empty());
    CHECK_THROWS_AS(keys.activatePending(ExportTarget::Kmc), seuicc::SedNoPendingKey);
    InMemoryKeyOperations reference(KeySlot::Kmc, base::SecretBuffer::copyOf(kmc));
    CHECK(
        keys.computeMasterSecret(KeySlot::Kmc, MasterSecretMode::Plain, randoms)
            .equals(reference.computeMasterSecret(KeySlot::Kmc, MasterSecretMode::Plain, randoms)));
}
