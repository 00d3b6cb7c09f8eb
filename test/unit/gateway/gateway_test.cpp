// The gateway's dIa side (agent/GATEWAY.md §1-§3) over real TLS-PSK on loopback: the device is
// played by the agent's own TLS client (PskHttpsClient) with its keys in memory
// (InMemoryKeyOperations) and a test attestation key signing its reports as the card would; the
// uplink to the NSCL is an in-memory one that records what the gateway sends it.
#include <catch2/catch.hpp>

#include <mutex>

#include "agent/gateway.hpp"
#include "agent/mid_resources.hpp"
#include "integrity/appraisal.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "provisioning/param_sets.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/tls/memory_keys.hpp"
#include "securechannel/tls/psk_https_client.hpp"

namespace {

using base::Bytes;
using integrity::Verdict;
using securechannel::tls::Export;
using securechannel::tls::HttpRequest;
using securechannel::tls::HttpResponse;
using securechannel::tls::InMemoryKeyOperations;
using securechannel::tls::PskHttpsClient;
using seuicc::KeySlot;

constexpr const char* kMaintenance = "applications/telemetry/containers/maintenance";

Bytes randomBytes(std::size_t n, std::uint8_t seed) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<std::uint8_t>(seed * 31 + i * 7 + 1);
    }
    return out;
}

class MemoryUplink final : public agent::GatewayUplink {
public:
    agent::RelayResponse relay(const agent::RelayRequest& request,
                               std::chrono::milliseconds) override {
        const std::lock_guard lock(mutex);
        relayed.push_back(request);
        if (unavailable) {
            throw agent::UplinkUnavailable("the NSCL is unreachable", false);
        }
        return {201, "application/xml", request.nsclPath + "/5", "<created/>"};
    }
    void reportDevices(const std::vector<agent::DeviceVerdict>& devices,
                       std::chrono::milliseconds) override {
        const std::lock_guard lock(mutex);
        reports.push_back(devices);
    }
    std::string registerDevice(const agent::SclRegistration& scl,
                               std::chrono::milliseconds) override {
        const std::lock_guard lock(mutex);
        registered.push_back(scl.sclId);
        return "/m2m/scls/" + std::to_string(40 + registered.size());
    }

    std::mutex mutex;
    bool unavailable = false;
    std::vector<agent::RelayRequest> relayed;
    std::vector<std::vector<agent::DeviceVerdict>> reports;
    std::vector<std::string> registered;
};

// A device: its record at the gateway, its keys on its side, and its "card" (attestation key and
// report counter).
struct Device {
    seuicc::NodeId nodeId{};
    Bytes kmr;
    std::optional<integrity::PrivateKey> attestation;
    std::uint32_t counter = 0;
    std::string sclId;

    explicit Device(std::uint8_t seed, bool attested = true)
        : kmr(randomBytes(32, seed)), sclId("m2m:scl/device-" + std::to_string(seed)) {
        const Bytes id = randomBytes(16, static_cast<std::uint8_t>(seed + 100));
        std::copy(id.begin(), id.end(), nodeId.begin());
        if (attested) {
            attestation = integrity::PrivateKey::generate();
        }
    }

    [[nodiscard]] std::string hex() const { return base::toLowerHex(nodeId); }

    [[nodiscard]] provisioning::DeviceRecord record() const {
        provisioning::DeviceRecord r;
        r.nodeId = nodeId;
        r.kmrIndex = 1;
        r.kmrExpiry = std::chrono::system_clock::now() + std::chrono::hours(24);
        r.kmr = base::SecretBuffer::copyOf(kmr);
        if (attestation) {
            r.ivAttestationPublicKey = attestation->publicKey().pem();
        }
        r.sclId = sclId;
        r.software = !attestation;
        return r;
    }

    // The report the card signs for `nonce`: @agent and @config, `pass` or @config failed.
    [[nodiscard]] agent::IntegrityValResults report(const Bytes& nonce, bool pass) {
        integrity::EatClaims claims;
        claims.nonce = nonce;
        claims.ueid = integrity::ueidOf(nodeId);
        claims.manifestVersion = 1;
        claims.counter = ++counter;
        claims.iat =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
        claims.measurements = {{"@agent", Bytes(32, 1)}, {"@config", Bytes(32, 2)}};
        claims.results = {{"@agent", integrity::MeasurementResult::Success},
                          {"@config", pass ? integrity::MeasurementResult::Success
                                           : integrity::MeasurementResult::Fail}};
        agent::IntegrityValResults xml;
        xml.ivalResults = integrity::resultBitmap(claims);
        xml.signedIvalResult = claims.counter;
        xml.eat =
            integrity::toBase64Url(integrity::CoseSign1::sign(*attestation, claims.encode(),
                                                              attestation->publicKey().keyId())
                                       .encode());
        return xml;
    }
};

struct Lab {
    MemoryUplink uplink;
    integrity::PublicKey policyPublic;
    std::unique_ptr<agent::Gateway> gateway;

    explicit Lab(const std::vector<const Device*>& devices, std::string onFail = "deny",
                 std::string unattested = "deny")
        : policyPublic(integrity::PrivateKey::generate().publicKey()) {
        agent::GatewayConfig config;
        config.enabled = true;
        config.onFail = std::move(onFail);
        config.unattested = std::move(unattested);
        config.allowed = {kMaintenance};
        config.relayTimeout = std::chrono::milliseconds(2000);
        std::vector<provisioning::DeviceRecord> records;
        for (const Device* d : devices) {
            records.push_back(d->record());
        }
        integrity::PrivateKey key = integrity::PrivateKey::generate();
        policyPublic = key.publicKey();
        gateway = std::make_unique<agent::Gateway>(std::move(config), std::move(records),
                                                   std::move(key), uplink,
                                                   [] { return std::chrono::system_clock::now(); });
        gateway->start();
    }
};

// The device's side of dIa: a service connection under Kmr, then mId requests under the Kmc.
struct DeviceSide {
    Device& device;
    Lab& lab;
    PskHttpsClient client;
    InMemoryKeyOperations kmrKeys;
    std::optional<InMemoryKeyOperations> kmcKeys;
    std::uint32_t kmcIndex = 0;

    DeviceSide(Device& d, Lab& l)
        : device(d), lab(l), kmrKeys(KeySlot::Kmr, base::SecretBuffer::copyOf(d.kmr)) {}

    HttpResponse connect() {
        HttpRequest request;
        request.method = "POST";
        request.url = "https://127.0.0.1:" + std::to_string(lab.gateway->connectionPort()) +
                      "/m2m/connection";
        HttpResponse response = client.perform(request, {device.hex() + ".1", KeySlot::Kmr},
                                               kmrKeys, Export::Connection);
        if (response.status == 200) {
            kmcIndex = provisioning::parseConnectionParamSet(response.body).kmcIndex;
            kmcKeys.emplace(KeySlot::Kmc, base::SecretBuffer::copyOf(kmrKeys.pendingKey()));
        }
        return response;
    }

    HttpResponse mid(const std::string& method, const std::string& path,
                     const std::string& body = {}) {
        HttpRequest request;
        request.method = method;
        request.url = "https://127.0.0.1:" + std::to_string(lab.gateway->midPort()) + path;
        request.body = body;
        request.contentType = body.empty() ? "" : "application/xml";
        return client.perform(
            request, {device.hex() + "." + std::to_string(kmcIndex), KeySlot::Kmc}, *kmcKeys);
    }

    Bytes challenge() {
        const HttpResponse r = mid("POST", "/m2m/integrity/challenge");
        REQUIRE(r.status == 201);
        return agent::parseIntegrityChallenge(r.body).nonce;
    }

    std::string scl(const std::optional<agent::IntegrityValResults>& report) const {
        agent::SclRegistration s;
        s.sclId = device.sclId;
        s.link = "coap://device.lab.m2m/m2m";
        s.integrityValResults = report;
        return agent::toXml(s);
    }

    HttpResponse registerWith(const std::optional<agent::IntegrityValResults>& report) {
        return mid("POST", "/m2m/scls", scl(report));
    }
};

integrity::DecisionClaims decisionOf(const std::string& base64url,
                                     const integrity::PublicKey& key) {
    const integrity::Decision d = integrity::Decision::decode(integrity::fromBase64Url(base64url));
    d.verifyWith(key);
    return d.claims;
}

}  // namespace

TEST_CASE("gateway: a device connects, registers with a passing report and its data is relayed",
          "[gateway]") {
    Device device(1);
    Lab lab({&device});
    DeviceSide side(device, lab);

    const HttpResponse connected = side.connect();
    REQUIRE(connected.status == 200);
    const auto params = provisioning::parseConnectionParamSet(connected.body);
    CHECK(params.sclId == device.sclId);
    CHECK(params.midFlags == "tls");
    // Both ends derived the same Kmc from the session's exporter.
    REQUIRE(connected.tls.exportKcv);
    const agent::GatewayStatus before = lab.gateway->status();
    REQUIRE(before.devices.size() == 1);
    CHECK(before.devices[0].kmcKcv == base::toHex(*connected.tls.exportKcv));
    CHECK(before.devices[0].kmcKcv ==
          base::toHex(securechannel::keyCheckValue(side.kmrKeys.pendingKey())));

    const Bytes nonce = side.challenge();
    const HttpResponse registered = side.registerWith(device.report(nonce, true));
    REQUIRE(registered.status == 201);
    CHECK(registered.location == "/m2m/scls/1");
    const agent::SclRegistration answer = agent::parseSclRegistration(registered.body);
    REQUIRE(answer.integrityDecision);
    const auto decision = decisionOf(*answer.integrityDecision, lab.policyPublic);
    CHECK(decision.verdict == Verdict::Full);
    CHECK(decision.nonce == nonce);
    CHECK(decision.node == integrity::ueidOf(device.nodeId));

    // The NSCL heard of the device (submods) before the device's SCL was registered there.
    REQUIRE(lab.uplink.reports.size() == 1);
    REQUIRE(lab.uplink.reports[0].size() == 1);
    CHECK(lab.uplink.reports[0][0].nodeIdHex == device.hex());
    CHECK(lab.uplink.reports[0][0].verdict == "full");
    CHECK(lab.uplink.reports[0][0].counter == 1);
    CHECK(lab.uplink.reports[0][0].attested);
    CHECK(lab.uplink.registered == std::vector<std::string>{device.sclId});

    const HttpResponse relayed =
        side.mid("POST", "/m2m/scls/1/applications", "<m2m:application appId=\"telemetry\"/>");
    CHECK(relayed.status == 201);
    CHECK(relayed.location == "/m2m/scls/1/applications/5");
    CHECK(relayed.body == "<created/>");
    REQUIRE(lab.uplink.relayed.size() == 1);
    CHECK(lab.uplink.relayed[0].method == "POST");
    CHECK(lab.uplink.relayed[0].nsclPath == "/m2m/scls/41/applications");
    CHECK(lab.uplink.relayed[0].contentType == "application/xml");

    const agent::GatewayStatus status = lab.gateway->status();
    CHECK(status.devices[0].verdict == "full");
    CHECK(status.devices[0].registered);
    CHECK(status.devices[0].relayedRequests == 1);
    CHECK(status.devices[0].lastReportCounter == 1);
    const auto json = agent::toJson(status);
    CHECK(json["devices"][0]["card"] == "uicc");
    CHECK(json["devices"][0]["relayed"]["requests"] == 1);
    CHECK(json["mid_port"] == lab.gateway->midPort());

    // The NSCL unreachable: the device gets 502 with the reason.
    lab.uplink.unavailable = true;
    const HttpResponse down = side.mid("GET", "/m2m/scls/1/applications");
    CHECK(down.status == 502);
}

TEST_CASE("gateway: a failing report gets the policy's verdict", "[gateway]") {
    SECTION("partial: only the allowed paths are relayed") {
        Device device(2);
        Lab lab({&device}, "partial");
        DeviceSide side(device, lab);
        REQUIRE(side.connect().status == 200);
        const HttpResponse registered = side.registerWith(device.report(side.challenge(), false));
        REQUIRE(registered.status == 201);
        const auto decision = decisionOf(
            *agent::parseSclRegistration(registered.body).integrityDecision, lab.policyPublic);
        CHECK(decision.verdict == Verdict::Partial);
        CHECK(decision.allowed == std::vector<std::string>{kMaintenance});
        CHECK(lab.uplink.reports.at(0).at(0).verdict == "partial");
        CHECK(lab.uplink.reports.at(0).at(0).allowed == std::vector<std::string>{kMaintenance});

        const std::string allowed =
            std::string("/m2m/scls/1/") + kMaintenance + "/contentInstances";
        CHECK(side.mid("POST", allowed, "<x/>").status == 201);
        const HttpResponse refused =
            side.mid("POST", "/m2m/scls/1/applications/telemetry/containers/readings", "<x/>");
        CHECK(refused.status == 403);
        CHECK(refused.body.find("partial") != std::string::npos);
        CHECK(lab.uplink.relayed.size() == 1);
        CHECK(lab.gateway->status().devices[0].refused == 1);
    }
    SECTION("deny: registration refused with the signed decision") {
        Device device(3);
        Lab lab({&device}, "deny");
        DeviceSide side(device, lab);
        REQUIRE(side.connect().status == 200);
        const HttpResponse denied = side.registerWith(device.report(side.challenge(), false));
        REQUIRE(denied.status == 403);
        const auto decision =
            decisionOf(agent::parseIntegrityDecision(denied.body), lab.policyPublic);
        CHECK(decision.verdict == Verdict::Deny);
        CHECK(lab.uplink.registered.empty());
        CHECK(lab.uplink.reports.empty());  // never admitted: the NSCL needs not hear of it
        CHECK(side.mid("GET", "/m2m/scls/1/applications").status == 404);
    }
}

TEST_CASE("gateway: a refresh with a failing report cuts the relay at once", "[gateway]") {
    Device device(4);
    Lab lab({&device}, "deny");
    DeviceSide side(device, lab);
    REQUIRE(side.connect().status == 200);
    REQUIRE(side.registerWith(device.report(side.challenge(), true)).status == 201);
    REQUIRE(side.mid("GET", "/m2m/scls/1/applications").status == 201);

    const HttpResponse refresh =
        side.mid("PUT", "/m2m/scls/1", side.scl(device.report(side.challenge(), false)));
    REQUIRE(refresh.status == 403);
    CHECK(decisionOf(agent::parseIntegrityDecision(refresh.body), lab.policyPublic).verdict ==
          Verdict::Deny);
    const HttpResponse cut = side.mid("GET", "/m2m/scls/1/applications");
    CHECK(cut.status == 403);
    CHECK(lab.uplink.relayed.size() == 1);
    // The NSCL was told at once.
    REQUIRE(lab.uplink.reports.size() == 2);
    CHECK(lab.uplink.reports[1].at(0).verdict == "deny");
    CHECK_FALSE(lab.gateway->status().devices[0].registered);

    // A passing report restores it.
    const HttpResponse mended =
        side.mid("PUT", "/m2m/scls/1", side.scl(device.report(side.challenge(), true)));
    CHECK(mended.status == 200);
    CHECK(mended.location == "/m2m/scls/1");
    CHECK(side.mid("GET", "/m2m/scls/1/applications").status == 201);
    // The deny ended the registration at the NSCL: the device is registered there anew.
    CHECK(lab.uplink.registered.size() == 2);
    CHECK(lab.uplink.relayed.back().nsclPath == "/m2m/scls/42/applications");
    CHECK(lab.uplink.reports.size() == 3);
}

TEST_CASE("gateway: reports that are not appraised", "[gateway]") {
    Device a(5);
    Device b(6);
    Lab lab({&a, &b});
    DeviceSide sideA(a, lab);
    DeviceSide sideB(b, lab);
    REQUIRE(sideA.connect().status == 200);
    REQUIRE(sideB.connect().status == 200);

    SECTION("another device's report") {
        const auto report = a.report(sideA.challenge(), true);
        b.sclId = a.sclId;  // even naming a's SCL: the record's sclId is b's
        const HttpResponse r = sideB.registerWith(report);
        CHECK(r.status == 403);
        b.sclId = "m2m:scl/device-6";
        const HttpResponse r2 = sideB.registerWith(report);
        CHECK(r2.status == 403);
        CHECK(r2.body.find("attestation key") != std::string::npos);
    }
    SECTION("a replayed report (used nonce)") {
        const auto report = a.report(sideA.challenge(), true);
        REQUIRE(sideA.registerWith(report).status == 201);
        const HttpResponse replay = sideA.mid("PUT", "/m2m/scls/1", sideA.scl(report));
        CHECK(replay.status == 403);
        CHECK(replay.body.find("replayed") != std::string::npos);
    }
    SECTION("a nonce issued to another device") {
        const Bytes nonce = sideA.challenge();
        const HttpResponse r = sideB.registerWith(b.report(nonce, true));
        CHECK(r.status == 403);
        CHECK(r.body.find("another device") != std::string::npos);
    }
    SECTION("a summary that disagrees with the signed claims") {
        auto report = a.report(sideA.challenge(), true);
        report.ivalResults = 2;
        const HttpResponse r = sideA.registerWith(report);
        CHECK(r.status == 403);
        CHECK(r.body.find("disagree") != std::string::npos);
    }
    SECTION("no report, or no report at all") {
        CHECK(sideA.registerWith(std::nullopt).status == 403);
        agent::IntegrityValResults junk;
        junk.eat = "AAAA";
        CHECK(sideA.registerWith(junk).status == 400);
    }
    CHECK(lab.uplink.registered.size() <= 1);
}

TEST_CASE("gateway: keys it does not know are refused in the handshake", "[gateway]") {
    Device known(7);
    Device stranger(8);
    Lab lab({&known});
    DeviceSide side(stranger, lab);
    CHECK_THROWS_AS(side.connect(), securechannel::tls::HandshakeFailed);

    // A Kmc the gateway did not issue (or issued before a newer one).
    DeviceSide device(known, lab);
    REQUIRE(device.connect().status == 200);
    const std::uint32_t old = device.kmcIndex;
    InMemoryKeyOperations oldKeys(KeySlot::Kmc,
                                  base::SecretBuffer::copyOf(device.kmrKeys.pendingKey()));
    REQUIRE(device.connect().status == 200);
    REQUIRE(device.kmcIndex != old);
    PskHttpsClient other;
    HttpRequest request;
    request.method = "POST";
    request.url =
        "https://127.0.0.1:" + std::to_string(lab.gateway->midPort()) + "/m2m/integrity/challenge";
    CHECK_THROWS_AS(
        other.perform(request, {known.hex() + "." + std::to_string(old), KeySlot::Kmc}, oldKeys),
        securechannel::tls::HandshakeFailed);
    CHECK(device.mid("POST", "/m2m/integrity/challenge").status == 201);
}

TEST_CASE("gateway: a device without an attestation key gets the unattested verdict", "[gateway]") {
    SECTION("deny") {
        Device device(9, false);
        Lab lab({&device}, "deny", "deny");
        DeviceSide side(device, lab);
        REQUIRE(side.connect().status == 200);
        CHECK(side.registerWith(std::nullopt).status == 403);
        CHECK(lab.uplink.registered.empty());
    }
    SECTION("partial") {
        Device device(10, false);
        Lab lab({&device}, "deny", "partial");
        DeviceSide side(device, lab);
        REQUIRE(side.connect().status == 200);
        const HttpResponse r = side.registerWith(std::nullopt);
        REQUIRE(r.status == 201);
        CHECK_FALSE(agent::parseSclRegistration(r.body).integrityDecision);
        REQUIRE(lab.uplink.reports.size() == 1);
        CHECK_FALSE(lab.uplink.reports[0][0].attested);
        CHECK_FALSE(lab.uplink.reports[0][0].counter);
        CHECK(lab.uplink.reports[0][0].verdict == "partial");
        const auto json = agent::toJson(lab.gateway->status());
        CHECK(json["devices"][0]["attested"] == false);
        CHECK(json["devices"][0]["card"] == "software");
        CHECK(side.mid("GET", "/m2m/scls/1/applications").status == 403);
    }
}
