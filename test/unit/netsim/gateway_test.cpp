// The lab NSCL's side of gateway mode (agent/GATEWAY.md §3) and of secure time (§4) over real
// TLS-PSK on loopback: the test plays the gateway's card (its attestation key signs EATs whose
// `submods` list the devices) and the gateway's agent (challenge, registration, the devices'
// registrations and data on the gateway's mId session), and another node that tries to use a
// device's registration.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "agent/mid_resources.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "netsim_support.hpp"

using namespace nstest;
using integrity::Verdict;

namespace {

using std::chrono::system_clock;

const std::string kOwnScl = "m2m:scl/device-0001";  // the import's default SCL-ID

integrity::Submodule device(const TestNode& node, Verdict verdict,
                            std::vector<std::string> allowed = {}, bool attested = true) {
    integrity::Submodule s;
    s.name = node.nodeHex();
    s.ueid = Bytes{0x01};
    s.ueid.insert(s.ueid.end(), node.nodeId.begin(), node.nodeId.end());
    s.verdict = verdict;
    s.allowed = std::move(allowed);
    s.attested = attested;
    if (attested) {
        s.counter = 7;
    }
    return s;
}

// The gateway: its card's attestation key and counter, and its mId session with the NSCL. It has
// no policy at the NSCL, so a genuine report of no objects passes (the NSCL appraises only what
// the card found).
struct Gateway {
    integrity::PrivateKey key = integrity::PrivateKey::generate();
    std::uint32_t counter = 0;
    TestNode node = TestNode::random(0x61);
    std::unique_ptr<PskClient> mid;

    Gateway() { node.attestationKeyPem = key.publicKey().pem(); }

    void connectTo(const NetsimServer& server) {
        const auto [kmc, params] = connect(server, node, node.kmr, node.kmrIndex);
        mid = std::make_unique<PskClient>(server.mid(), node.identity(params.kmcIndex), kmc);
        REQUIRE(mid->connected());
    }

    HttpResponse send(const std::string& method, const std::string& path,
                      const std::string& body = {}) {
        const auto r = mid->request(method, path, body);
        REQUIRE(r);
        return *r;
    }

    // Challenge, then the report with `submods` as the registration (POST) or refresh (PUT at
    // `scl`) of the gateway's own SCL.
    HttpResponse report(const std::vector<integrity::Submodule>& submods,
                        const std::string& scl = {}) {
        const HttpResponse c = send("POST", "/m2m/integrity/challenge");
        REQUIRE(c.status == 201);
        integrity::EatClaims claims;
        claims.nonce = agent::parseIntegrityChallenge(c.body).nonce;
        claims.ueid = Bytes{0x01};
        claims.ueid.insert(claims.ueid.end(), node.nodeId.begin(), node.nodeId.end());
        claims.manifestVersion = 1;
        claims.counter = ++counter;
        claims.submods = submods;
        agent::IntegrityValResults ival;
        ival.signedIvalResult = claims.counter;
        ival.eat = integrity::toBase64Url(
            integrity::CoseSign1::sign(key, claims.encode(), key.publicKey().keyId()).encode());
        agent::SclRegistration own{kOwnScl, "coap://gateway.lab.m2m/m2m", {}, ival, {}};
        return scl.empty() ? send("POST", "/m2m/scls", agent::toXml(own))
                           : send("PUT", scl, agent::toXml(own));
    }

    HttpResponse registerDevice(const TestNode& device) {
        agent::SclRegistration scl;
        scl.sclId = "m2m:scl/" + device.nodeHex();
        scl.link = "coap://gateway.lab.m2m/m2m/dia/" + device.nodeHex();
        return send("POST", "/m2m/scls", agent::toXml(scl));
    }

    // Application "telemetry", containers "readings" and "maintenance", one reading.
    void storeData(const std::string& scl) {
        CHECK(send("POST", scl + "/applications", agent::toXml(agent::Application{"telemetry"}))
                  .status == 201);
        for (const char* c : {"readings", "maintenance"}) {
            CHECK(send("POST", scl + "/applications/telemetry/containers",
                       agent::toXml(agent::Container{c}))
                      .status == 201);
        }
        CHECK(postReading(scl, "readings").status == 201);
    }

    HttpResponse postReading(const std::string& scl, const std::string& container) {
        agent::ContentInstance reading;
        reading.contentType = "application/json";
        reading.content = R"({"t": 21.5})";
        return send("POST",
                    scl + "/applications/telemetry/containers/" + container + "/contentInstances",
                    agent::toXml(reading));
    }
};

nlohmann::json gatewayOf(const NetsimServer& server, const TestNode& gateway) {
    const nlohmann::json shown = server.show();
    for (const auto& g : shown["gateways"]) {
        if (g["node_id"] == gateway.nodeHex()) {
            return g;
        }
    }
    FAIL("gateway not in show");
    return {};
}

nlohmann::json deviceIn(const nlohmann::json& gateway, const TestNode& device) {
    for (const auto& d : gateway["devices"]) {
        if (d["node_id"] == device.nodeHex()) {
            return d;
        }
    }
    FAIL("device not in show");
    return {};
}

}  // namespace

TEST_CASE("gateway: devices register and store through their gateway as its report allows",
          "[netsim][gateway]") {
    Gateway gateway;
    const TestNode other = TestNode::random(0x62);
    const TestNode full = TestNode::random(0x71), partial = TestNode::random(0x72),
                   unknown = TestNode::random(0x73);
    NetsimServer server({gateway.node, other});
    gateway.connectTo(server);

    // Report 1: both devices full. The gateway's own registration carries it.
    const HttpResponse own =
        gateway.report({device(full, Verdict::Full), device(partial, Verdict::Full)});
    REQUIRE(own.status == 201);
    const std::string gatewayScl = own.header("location");
    const HttpResponse fullReg = gateway.registerDevice(full);
    REQUIRE(fullReg.status == 201);
    CHECK(agent::parseSclRegistration(fullReg.body).sclId == "m2m:scl/" + full.nodeHex());
    const HttpResponse partialReg = gateway.registerDevice(partial);
    REQUIRE(partialReg.status == 201);
    const std::string fullScl = fullReg.header("location"),
                      partialScl = partialReg.header("location");
    CHECK(fullScl != partialScl);
    gateway.storeData(fullScl);
    gateway.storeData(partialScl);

    // A device the report does not list; the gateway's own SCL is still its own.
    const HttpResponse notListed = gateway.registerDevice(unknown);
    CHECK(notListed.status == 403);
    CHECK_THAT(notListed.body, Catch::Contains("submods"));

    // Another node: neither registers the gateway's device nor uses its registration.
    const auto [kmc, params] = connect(server, other, other.kmr, other.kmrIndex);
    PskClient otherMid(server.mid(), other.identity(params.kmcIndex), kmc);
    REQUIRE(otherMid.connected());
    agent::SclRegistration stolen{"m2m:scl/" + full.nodeHex(), "coap://x", {}, {}, {}};
    const auto steal = otherMid.request("POST", "/m2m/scls", agent::toXml(stolen));
    REQUIRE(steal);
    CHECK(steal->status == 403);
    for (const std::string& path :
         {fullScl, fullScl + "/applications/telemetry/containers/readings/contentInstances"}) {
        const auto r = otherMid.request("GET", path);
        REQUIRE(r);
        CHECK(r->status == 403);
        CHECK_THAT(r->body, Catch::Contains("through its gateway"));
    }

    // Report 2 (a refresh of the gateway's SCL): the second device partial, maintenance only.
    REQUIRE(gateway
                .report({device(full, Verdict::Full),
                         device(partial, Verdict::Partial,
                                {"applications/telemetry/containers/maintenance"}, false)},
                        gatewayScl)
                .status == 200);
    CHECK(gateway.postReading(partialScl, "maintenance").status == 201);
    const HttpResponse outside = gateway.postReading(partialScl, "readings");
    CHECK(outside.status == 403);
    CHECK_THAT(outside.body, Catch::Contains("partial"));
    CHECK(gateway.send("GET", partialScl).status == 200);  // its SCL itself
    CHECK(gateway.postReading(fullScl, "readings").status == 201);

    nlohmann::json shown = gatewayOf(server, gateway.node);
    CHECK(deviceIn(shown, full)["verdict"] == "full");
    CHECK(deviceIn(shown, full)["attested"] == true);
    CHECK(deviceIn(shown, full)["counter"] == 7);
    CHECK(deviceIn(shown, full)["registered"] == true);
    CHECK(deviceIn(shown, full)["content_instances"] == 2);
    CHECK(deviceIn(shown, partial)["verdict"] == "partial");
    CHECK(deviceIn(shown, partial)["attested"] == false);
    CHECK(deviceIn(shown, partial)["scl_id"] == "m2m:scl/" + partial.nodeHex());
    CHECK(deviceIn(shown, partial)["content_instances"] == 2);
    const CommandResult text = server.netsim({"show"});
    CHECK_THAT(text.out, Catch::Contains("    " + full.nodeHex() + "  m2m:scl/" + full.nodeHex() +
                                         "  full  attested true  counter 7  "
                                         "registered " +
                                         fullScl + "  contentInstances 2"));

    // Report 3 denies the first device: its registration ends, its data is refused, and it does
    // not register again while denied. The second one goes on.
    REQUIRE(gateway
                .report({device(full, Verdict::Deny),
                         device(partial, Verdict::Partial,
                                {"applications/telemetry/containers/maintenance"}, false)},
                        gatewayScl)
                .status == 200);
    const HttpResponse refused = gateway.postReading(fullScl, "readings");
    CHECK(refused.status == 403);
    CHECK_THAT(refused.body, Catch::Contains("register again"));
    const HttpResponse again = gateway.registerDevice(full);
    CHECK(again.status == 403);
    CHECK_THAT(again.body, Catch::Contains("deny"));
    CHECK(gateway.postReading(partialScl, "maintenance").status == 201);

    // Report 4 drops the second device: its registration ends too.
    REQUIRE(gateway.report({device(full, Verdict::Deny)}, gatewayScl).status == 200);
    const HttpResponse dropped = gateway.postReading(partialScl, "maintenance");
    CHECK(dropped.status == 403);
    CHECK_THAT(dropped.body, Catch::Contains("register again"));
    shown = gatewayOf(server, gateway.node);
    CHECK(deviceIn(shown, full)["registered"] == false);
    CHECK(deviceIn(shown, full)["verdict"] == "deny");
    CHECK(deviceIn(shown, partial)["verdict"] == "absent");
    CHECK(deviceIn(shown, partial)["registered"] == false);
    CHECK(deviceIn(shown, partial)["content_instances"] == 3);
}

TEST_CASE("gateway: a report whose submods name a device by another ueid is refused",
          "[netsim][gateway]") {
    Gateway gateway;
    NetsimServer server({gateway.node});
    gateway.connectTo(server);
    integrity::Submodule forged = device(TestNode::random(0x74), Verdict::Full);
    forged.name = TestNode::random(0x75).nodeHex();
    const HttpResponse r = gateway.report({forged});
    CHECK(r.status == 403);
    CHECK_THAT(r.body, Catch::Contains("ueid"));
    integrity::Submodule itself = device(gateway.node, Verdict::Full);
    const HttpResponse self = gateway.report({itself});
    CHECK(self.status == 403);
    CHECK_THAT(self.body, Catch::Contains("itself"));
}

TEST_CASE("gateway: a device is registered through one gateway at a time, without a report",
          "[netsim][gateway]") {
    Gateway first, second;
    second.node = TestNode::random(0x63);
    second.node.attestationKeyPem = second.key.publicKey().pem();
    const TestNode shared = TestNode::random(0x76);
    NetsimServer server({first.node, second.node});
    first.connectTo(server);
    second.connectTo(server);
    const HttpResponse firstOwn = first.report({device(shared, Verdict::Full)});
    REQUIRE(firstOwn.status == 201);
    REQUIRE(second.report({device(shared, Verdict::Full)}).status == 201);

    // The gateway vouches in its own report: a report in the device's registration is refused.
    agent::SclRegistration withReport{"m2m:scl/" + shared.nodeHex(), "coap://g", {}, {}, {}};
    withReport.integrityValResults = agent::IntegrityValResults{0, 1, std::nullopt, "0oRD"};
    const HttpResponse reported = first.send("POST", "/m2m/scls", agent::toXml(withReport));
    CHECK(reported.status == 400);
    CHECK_THAT(reported.body, Catch::Contains("vouches"));

    REQUIRE(first.registerDevice(shared).status == 201);
    const HttpResponse taken = second.registerDevice(shared);
    CHECK(taken.status == 403);
    CHECK_THAT(taken.body, Catch::Contains("another gateway"));
    // Once the first gateway drops it, the second may register it.
    REQUIRE(first.report({}, firstOwn.header("location")).status == 200);
    CHECK(second.registerDevice(shared).status == 201);
}

TEST_CASE("secure time: GET /m2m/time and decisions state the network's clock (--clock-offset)",
          "[netsim][time]") {
    Gateway gateway;
    NetsimServer server({gateway.node}, {{"--clock-offset=-7200"}});
    gateway.connectTo(server);
    const auto expected = system_clock::now() - std::chrono::hours(2);
    const HttpResponse r = gateway.send("GET", "/m2m/time");
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type").find("xml") != std::string::npos);
    const auto stated = agent::parseTimeResource(r.body).currentTime;
    CHECK(std::chrono::abs(stated - expected) < std::chrono::seconds(3));
    CHECK(gateway.send("POST", "/m2m/time").status == 405);

    // The decision's iat and the registration's expiry are on the same clock.
    const HttpResponse registered = gateway.report({});
    REQUIRE(registered.status == 201);
    const agent::SclRegistration scl = agent::parseSclRegistration(registered.body);
    REQUIRE(scl.integrityDecision);
    const integrity::Decision d =
        integrity::Decision::decode(integrity::fromBase64Url(*scl.integrityDecision));
    const auto iat = system_clock::time_point(std::chrono::seconds(d.claims.iat));
    CHECK(std::chrono::abs(iat - expected) < std::chrono::seconds(3));
    CHECK(std::chrono::abs(scl.expirationTime - (expected + std::chrono::hours(1))) <
          std::chrono::seconds(3));
}

TEST_CASE("gateway: a store made before gateways keeps its registrations", "[netsim][gateway]") {
    const TempDir dir;
    const auto db = dir.path() / "old.db";
    {
        // The registrations table as it was: its node had to be a node of the store.
        sqlite3* old = nullptr;
        REQUIRE(sqlite3_open(db.c_str(), &old) == SQLITE_OK);
        REQUIRE(sqlite3_exec(old, R"sql(
CREATE TABLE registrations(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id TEXT NOT NULL UNIQUE REFERENCES nodes(node_id),
  scl_id TEXT NOT NULL, link TEXT NOT NULL,
  expires INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE applications(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  registration INTEGER NOT NULL REFERENCES registrations(id),
  app_id TEXT NOT NULL, created INTEGER NOT NULL, UNIQUE(registration, app_id));
INSERT INTO registrations VALUES(7, 'aa', 'm2m:scl/aa', 'coap://aa', 4102444800, 0);
INSERT INTO applications VALUES(1, 7, 'telemetry', 0);
)sql",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(old);
    }
    std::filesystem::permissions(
        db, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const CommandResult r =
        runCommand({netsimBinary().string(), "show", "--json", "--db", db.string()});
    REQUIRE(r.exitCode == 0);
    const auto shown = nlohmann::json::parse(r.out);
    REQUIRE(shown["registrations"].size() == 1);
    CHECK(shown["registrations"][0]["path"] == "/m2m/scls/7");
    CHECK(shown["registrations"][0]["via"].is_null());
    CHECK(shown["applications"][0]["registration"] == 7);
    CHECK(shown["gateways"].empty());
}
