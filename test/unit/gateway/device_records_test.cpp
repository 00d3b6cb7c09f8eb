// The gateway's device records file (provisioning/device_records.hpp) and the [gateway] section
// of the agent's configuration.
#include <catch2/catch.hpp>

#include "../secure-channel/test_support.hpp"
#include "agent/config.hpp"
#include "provisioning/device_records.hpp"

namespace {

const std::string kNode = "00112233445566778899aabbccddeeff";
const std::string kKmr = std::string(64, 'a');

std::string record(const std::string& node, const std::string& extra = {}) {
    return "{\"node_id\": \"" + node + "\", \"kmr_index\": 3, \"kmr_expiry_unix\": 4102444800, " +
           "\"kmr\": \"" + kKmr + "\", \"scl_id\": \"m2m:scl/d1\"" + extra + "}";
}

std::vector<provisioning::DeviceRecord> parse(const std::string& text) {
    return provisioning::parseDeviceRecords(base::asBytes(text), "test");
}

}  // namespace

TEST_CASE("device records: parse, write and read back", "[gateway][records]") {
    sctest::TempDir dir;
    const auto records = parse("[" + record(kNode, ", \"software\": true") + "]");
    REQUIRE(records.size() == 1);
    CHECK(base::toLowerHex(records[0].nodeId) == kNode);
    CHECK(records[0].kmrIndex == 3);
    CHECK(records[0].kmr.size() == 32);
    CHECK(records[0].software);
    CHECK_FALSE(records[0].ivAttestationPublicKey);
    CHECK(records[0].sclId == "m2m:scl/d1");

    const auto path = dir / "devices.json";
    provisioning::writeDeviceRecords(path, records);
    const auto back = provisioning::readDeviceRecords(path);
    REQUIRE(back.size() == 1);
    CHECK(back[0].kmr.view().size() == 32);
    CHECK(std::equal(back[0].kmr.view().begin(), back[0].kmr.view().end(),
                     records[0].kmr.view().begin()));
    CHECK(back[0].software);
}

TEST_CASE("device records: refused", "[gateway][records]") {
    using provisioning::KeyExportError;
    CHECK_THROWS_AS(parse(record(kNode)), KeyExportError);  // not an array
    CHECK_THROWS_AS(parse("[" + record(kNode) + "," + record(kNode) + "]"), KeyExportError);
    CHECK_THROWS_AS(parse("[" + record(kNode, ", \"kmsa\": \"00\"") + "]"), KeyExportError);
    CHECK_THROWS_AS(parse("[" + record(kNode, ", \"software\": 1") + "]"), KeyExportError);
    CHECK_THROWS_AS(parse("[" + record("0011") + "]"), KeyExportError);
    CHECK_THROWS_AS(parse("[{\"node_id\": \"" + kNode + "\"}]"), KeyExportError);
    CHECK_THROWS_AS(parse("[" + record(kNode, ", \"iv_attestation_public_key\": \"x\"") + "]"),
                    KeyExportError);
    try {
        (void)parse("[" + record(kNode, ", \"kmr2\": \"" + kKmr + "\"") + "]");
        FAIL("accepted");
    } catch (const KeyExportError& e) {
        CHECK(std::string(e.what()).find(kKmr) == std::string::npos);  // never a key
    }

    sctest::TempDir dir;
    const auto path = dir / "devices.json";
    sctest::writeFile(path, std::string_view("[" + record(kNode) + "]"), 0644);
    CHECK_THROWS(provisioning::readDeviceRecords(path));
}

TEST_CASE("configuration: [gateway]", "[gateway][config]") {
    const std::string base =
        "[card]\nkmsa_file = \"kmsa.key\"\n"
        "[network]\nmsbf = \"https://msbf.lab.m2m:8441\"\nconnection = \"https://nscl\"\n";
    const auto c = agent::parseAgentConfig(
        base +
            "[gateway]\nenabled = true\ndevices = \"devices.json\"\npolicy_key = \"p.pem\"\n"
            "on_fail = \"partial\"\nallowed = [\"applications/telemetry/containers/maintenance\"]\n"
            "unattested = \"full\"\nrelay_timeout_ms = 500\nmid_port = 4443\n",
        "/etc/m2m");
    CHECK(c.gateway.enabled);
    CHECK(c.gateway.devicesFile == "/etc/m2m/devices.json");
    CHECK(c.gateway.policyKeyFile == "/etc/m2m/p.pem");
    CHECK(c.gateway.onFail == "partial");
    CHECK(c.gateway.unattested == "full");
    CHECK(c.gateway.relayTimeout == std::chrono::milliseconds(500));
    CHECK(c.gateway.midPort == 4443);
    CHECK(c.gateway.connectionPort == 0);
    CHECK_FALSE(agent::parseAgentConfig(base, "/").gateway.enabled);

    for (const char* bad :
         {"[gateway]\nenabled = true\n", "[gateway]\nport = 1\n", "[gateway]\non_fail = \"full\"\n",
          "[gateway]\nunattested = \"maybe\"\n", "[gateway]\nlisten = \"localhost\"\n",
          "[gateway]\nmid_port = 70000\n", "[gateway]\nrelay_timeout_ms = 0\n",
          "[gateway]\nallowed = [\"../x\"]\n", "[gateway]\nallowed = [\"/abs\"]\n",
          "[gateway]\nconnection_port = 5000\nmid_port = 5000\n"}) {
        INFO(bad);
        CHECK_THROWS_AS(agent::parseAgentConfig(base + bad, "/"), agent::ConfigError);
    }
}

TEST_CASE("device records: a software device's own record makes a software record",
          "[gateway][records][software]") {
    provisioning::KeyExport exported;
    exported.software = true;
    exported.sclId = "soft-device-1";
    exported.kmrIndex = 2;
    exported.kmr = base::SecretBuffer::copyOf(base::fromHex(kKmr));
    const auto r = provisioning::deviceRecordOf(exported, "", false);
    CHECK(r.software);
    CHECK(r.sclId == "soft-device-1");
    CHECK(r.kmrIndex == 2);
    CHECK(r.kmr.equals(exported.kmr));
    // An explicit SCL-ID wins over the record's.
    CHECK(provisioning::deviceRecordOf(exported, "m2m:scl/x", false).sclId == "m2m:scl/x");
}
