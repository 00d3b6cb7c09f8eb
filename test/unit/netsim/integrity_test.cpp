// The lab NSCL's integrity appraisal (integrity/FORMATS.md §4-§5) over real TLS-PSK on loopback:
// the test plays the card (an attestation key of its own signs EATs with the integrity library)
// and the agent (challenge, registration with integrityValResults), and checks the signed
// decisions with the public key `m2m-netsim policy-key` prints.
#include <thread>

#include <catch2/catch.hpp>

#include "agent/mid_resources.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"
#include "netsim_support.hpp"
#include "securechannel/crypto.hpp"

using namespace nstest;
using integrity::Verdict;

namespace {

Bytes bytesOf(std::string_view text) {
    const ByteView view = base::asBytes(text);
    return {view.begin(), view.end()};
}

const Bytes kAgent = bytesOf("the agent's executable");
const Bytes kConfig = bytesOf("[network]\nmsbf = \"https://msbf\"\n");
const Bytes kPlugin = bytesOf("a plug-in");

std::string base64Url(ByteView bytes) {
    return integrity::toBase64Url(bytes);
}

// The reference manifest, signed by a test SP key: @agent and @config required, a plug-in not.
Bytes signedManifest(std::uint32_t version, const Bytes& agentBytes) {
    static const integrity::PrivateKey spKey = integrity::PrivateKey::generate();
    integrity::Manifest m;
    m.version = version;
    m.objects = {{"@agent", securechannel::sha256(agentBytes), true, {}},
                 {"@config", securechannel::sha256(kConfig), true, {}},
                 {"plugins/x.so", securechannel::sha256(kPlugin), false, {}}};
    return integrity::CoseSign1::sign(spKey, m.encodePayload(), std::nullopt).encode();
}

// A stand-in IV-SED: the attestation key, the report counter, and the comparison the card makes.
struct Card {
    integrity::PrivateKey key = integrity::PrivateKey::generate();
    std::uint32_t counter = 0;

    // The report on `measured` (name -> content) for the challenge `nonce`, as the agent sends it.
    agent::IntegrityValResults report(const TestNode& node, const Bytes& nonce,
                                      const std::vector<std::pair<std::string, Bytes>>& measured,
                                      std::optional<std::uint32_t> counterOverride = {}) {
        const integrity::Manifest reference =
            integrity::SignedManifest::decode(signedManifest(1, kAgent)).manifest;
        integrity::EatClaims claims;
        claims.nonce = nonce;
        claims.ueid = Bytes{0x01};
        claims.ueid.insert(claims.ueid.end(), node.nodeId.begin(), node.nodeId.end());
        claims.manifestVersion = reference.version;
        claims.counter = counterOverride ? *counterOverride : ++counter;
        agent::IntegrityValResults xml;
        for (std::size_t i = 0; i < reference.objects.size(); ++i) {
            const auto& object = reference.objects[i];
            const auto m = std::find_if(measured.begin(), measured.end(),
                                        [&](const auto& x) { return x.first == object.name; });
            auto result = integrity::MeasurementResult::Absent;
            if (m != measured.end()) {
                const Bytes digest = securechannel::sha256(m->second);
                claims.measurements.push_back({object.name, digest});
                result = digest == object.sha256 ? integrity::MeasurementResult::Success
                                                 : integrity::MeasurementResult::Fail;
            }
            claims.results.push_back({object.name, result});
            if (result != integrity::MeasurementResult::Success) {
                xml.ivalResults |= std::uint64_t{1} << i;
            }
        }
        xml.signedIvalResult = claims.counter;
        xml.eat = base64Url(
            integrity::CoseSign1::sign(key, claims.encode(), key.publicKey().keyId()).encode());
        return xml;
    }
};

const std::vector<std::pair<std::string, Bytes>> kGood = {
    {"@agent", kAgent}, {"@config", kConfig}, {"plugins/x.so", kPlugin}};
const std::vector<std::pair<std::string, Bytes>> kTampered = {
    {"@agent", kAgent}, {"@config", bytesOf("[network]\nmsbf = \"https://evil\"\n")}};

std::string sclWith(const std::optional<agent::IntegrityValResults>& report) {
    agent::SclRegistration scl;
    scl.sclId = "m2m:scl/device-0001";
    scl.link = "coap://device.lab.m2m/m2m";
    scl.integrityValResults = report;
    return agent::toXml(scl);
}

// A lab network with one node whose card has `card`'s key, and an mId connection for it.
struct Lab {
    TestNode node;
    NetsimServer server;
    std::unique_ptr<PskClient> mid;

    static TestNode nodeWith(const Card& card, std::uint8_t seed) {
        TestNode node = TestNode::random(seed);
        node.attestationKeyPem = card.key.publicKey().pem();
        return node;
    }

    Lab(const Card& card, std::vector<std::string> serveArgs = {}, std::uint8_t seed = 0x51)
        : node(nodeWith(card, seed)), server({node}, {std::move(serveArgs)}) {
        const auto [kmc, params] = connect(server, node, node.kmr, node.kmrIndex);
        mid = std::make_unique<PskClient>(server.mid(), node.identity(params.kmcIndex), kmc);
        REQUIRE(mid->connected());
    }

    // `m2m-netsim policy NODE ARGS...` with the manifest written to a file first.
    void policy(const Bytes& manifest, std::vector<std::string> args, const char* file = "m.cose") {
        const auto path = server.dir().path() / file;
        sctest::writeFile(path, manifest);
        std::vector<std::string> command = {"policy", node.nodeHex(), "--manifest", path.string()};
        command.insert(command.end(), args.begin(), args.end());
        const CommandResult r = server.netsim(command);
        REQUIRE(r.exitCode == 0);
    }

    Bytes challenge() {
        const auto r = mid->request("POST", "/m2m/integrity/challenge", "");
        REQUIRE(r);
        REQUIRE(r->status == 201);
        const agent::IntegrityChallenge c = agent::parseIntegrityChallenge(r->body);
        CHECK(c.nonce.size() == 32);
        CHECK(c.expirationTime > std::chrono::system_clock::now());
        return c.nonce;
    }

    HttpResponse registerWith(const std::optional<agent::IntegrityValResults>& report) {
        auto r = mid->request("POST", "/m2m/scls", sclWith(report));
        REQUIRE(r);
        return *r;
    }

    integrity::PublicKey policyKey() const {
        const CommandResult r = server.netsim({"policy-key"});
        REQUIRE(r.exitCode == 0);
        return integrity::PublicKey::fromPem(r.out);
    }

    nlohmann::json lastVerdict() const {
        const auto verdicts = server.show()["integrity_verdicts"];
        REQUIRE_FALSE(verdicts.empty());
        return verdicts.back();
    }
};

integrity::Decision decisionOf(const std::string& base64url, const integrity::PublicKey& key) {
    integrity::Decision d = integrity::Decision::decode(integrity::fromBase64Url(base64url));
    d.verifyWith(key);
    return d;
}

std::uint64_t nowUnix() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

}  // namespace

TEST_CASE("integrity: a good report gets full access and a decision signed by the policy key",
          "[netsim][integrity]") {
    Card card;
    Lab lab(card);
    lab.policy(signedManifest(1, kAgent), {});
    const Bytes nonce = lab.challenge();
    const auto report = card.report(lab.node, nonce, kGood);
    const HttpResponse r = lab.registerWith(report);
    REQUIRE(r.status == 201);
    const agent::SclRegistration answer = agent::parseSclRegistration(r.body);
    REQUIRE(answer.integrityDecision);
    const integrity::Decision d = decisionOf(*answer.integrityDecision, lab.policyKey());
    CHECK(d.claims.verdict == Verdict::Full);
    CHECK(d.claims.counter == 1);
    CHECK_FALSE(d.claims.remediation);
    d.checkAnswers(integrity::Report::decode(integrity::fromBase64Url(report.eat)).claims,
                   nowUnix());
    // A decision under another key does not verify.
    CHECK_THROWS_AS(
        decisionOf(*answer.integrityDecision, integrity::PrivateKey::generate().publicKey()),
        integrity::SignatureInvalid);

    const auto app = lab.mid->request("POST", r.header("location") + "/applications",
                                      agent::toXml(agent::Application{"telemetry"}));
    REQUIRE(app);
    CHECK(app->status == 201);
    const nlohmann::json v = lab.lastVerdict();
    CHECK(v["verdict"] == "full");
    CHECK(v["counter"] == 1);
    CHECK(v["failed"].empty());
    // The policy key file is private and stays the same across commands.
    CHECK(lab.policyKey().point() == lab.policyKey().point());

    // The text form lists the verdict.
    const CommandResult text = lab.server.netsim({"show"});
    CHECK_THAT(text.out, Catch::Contains(lab.node.nodeHex() + "  full  counter 1"));
}

TEST_CASE("integrity: a changed measurement under on-fail partial leaves only the allowed paths",
          "[netsim][integrity]") {
    Card card;
    Lab lab(card);
    lab.policy(signedManifest(1, kAgent),
               {"--on-fail", "partial", "--allow", "applications/maintenance"});
    const HttpResponse first = lab.registerWith(card.report(lab.node, lab.challenge(), kGood));
    REQUIRE(first.status == 201);
    const std::string scl = first.header("location");
    for (const char* app : {"maintenance", "telemetry"}) {
        const auto r =
            lab.mid->request("POST", scl + "/applications", agent::toXml(agent::Application{app}));
        REQUIRE(r);
        REQUIRE(r->status == 201);
    }
    // The refresh reports the tampered configuration.
    const auto refresh =
        lab.mid->request("PUT", scl, sclWith(card.report(lab.node, lab.challenge(), kTampered)));
    REQUIRE(refresh);
    REQUIRE(refresh->status == 200);
    const auto answer = agent::parseSclRegistration(refresh->body);
    REQUIRE(answer.integrityDecision);
    const integrity::Decision d = decisionOf(*answer.integrityDecision, lab.policyKey());
    CHECK(d.claims.verdict == Verdict::Partial);
    CHECK(d.claims.allowed == std::vector<std::string>{"applications/maintenance"});
    const nlohmann::json v = lab.lastVerdict();
    CHECK(v["verdict"] == "partial");
    CHECK(v["failed"] == nlohmann::json::array({"@config", "plugins/x.so"}));

    const auto maintenance = lab.mid->request("POST", scl + "/applications/maintenance/containers",
                                              agent::toXml(agent::Container{"log"}));
    REQUIRE(maintenance);
    CHECK(maintenance->status == 201);
    const auto telemetry = lab.mid->request("POST", scl + "/applications/telemetry/containers",
                                            agent::toXml(agent::Container{"readings"}));
    REQUIRE(telemetry);
    CHECK(telemetry->status == 403);
    CHECK_THAT(telemetry->body, Catch::Contains("integrity verdict partial"));
    const auto other = lab.mid->request("GET", scl + "/applications/telemetry");
    REQUIRE(other);
    CHECK(other->status == 403);
    // The SCL itself and the challenge still pass; a passing report restores full access.
    const auto get = lab.mid->request("GET", scl);
    REQUIRE(get);
    CHECK(get->status == 200);
    const auto healed =
        lab.mid->request("PUT", scl, sclWith(card.report(lab.node, lab.challenge(), kGood)));
    REQUIRE(healed);
    CHECK(healed->status == 200);
    const auto again = lab.mid->request("GET", scl + "/applications/telemetry");
    REQUIRE(again);
    CHECK(again->status == 200);
}

TEST_CASE("integrity: a changed measurement under on-fail deny refuses the registration",
          "[netsim][integrity]") {
    Card card;
    Lab lab(card);
    lab.policy(signedManifest(1, kAgent), {"--on-fail", "deny"});
    const HttpResponse r = lab.registerWith(card.report(lab.node, lab.challenge(), kTampered));
    REQUIRE(r.status == 403);
    const integrity::Decision d =
        decisionOf(agent::parseIntegrityDecision(r.body), lab.policyKey());
    CHECK(d.claims.verdict == Verdict::Deny);
    CHECK(lab.server.show()["registrations"].empty());
    const nlohmann::json v = lab.lastVerdict();
    CHECK(v["verdict"] == "deny");
    CHECK(v["failed"][0] == "@config");
}

TEST_CASE("integrity: reports that are not genuine, fresh or this node's are refused",
          "[netsim][integrity][neg]") {
    Card card;
    Lab lab(card, {"--integrity-challenge-lifetime", "1"});
    lab.policy(signedManifest(1, kAgent), {});
    auto refusedWith = [&](const agent::IntegrityValResults& report, const std::string& reason) {
        const HttpResponse r = lab.registerWith(report);
        CHECK(r.status == 403);
        CHECK_THAT(r.body, Catch::Contains("integrity report refused: " + reason));
        const nlohmann::json v = lab.lastVerdict();
        CHECK(v["verdict"] == "refused");
        CHECK_THAT(v["reason"].get<std::string>(), Catch::Contains(reason));
    };

    SECTION("no report") {
        const HttpResponse r = lab.registerWith(std::nullopt);
        CHECK(r.status == 403);
        CHECK_THAT(r.body, Catch::Contains("integrity report required"));
    }
    SECTION("replayed nonce") {
        const Bytes nonce = lab.challenge();
        REQUIRE(lab.registerWith(card.report(lab.node, nonce, kGood)).status == 201);
        refusedWith(card.report(lab.node, nonce, kGood), "nonce already used");
    }
    SECTION("unknown nonce") {
        refusedWith(card.report(lab.node, Bytes(32, 0x42), kGood), "unknown nonce");
    }
    SECTION("expired nonce") {
        const Bytes nonce = lab.challenge();
        std::this_thread::sleep_for(std::chrono::milliseconds(2100));
        refusedWith(card.report(lab.node, nonce, kGood), "nonce expired");
    }
    SECTION("counter not increasing") {
        REQUIRE(lab.registerWith(card.report(lab.node, lab.challenge(), kGood, 5)).status == 201);
        refusedWith(card.report(lab.node, lab.challenge(), kGood, 5),
                    "report counter 5 is not greater than the last accepted 5");
        refusedWith(card.report(lab.node, lab.challenge(), kGood, 4),
                    "report counter 4 is not greater than the last accepted 5");
    }
    SECTION("signed by another card") {
        Card other;
        refusedWith(other.report(lab.node, lab.challenge(), kGood),
                    "report signature does not verify under this node's attestation key");
    }
    SECTION("another node's ueid") {
        const TestNode stranger = TestNode::random(0x77);
        refusedWith(card.report(stranger, lab.challenge(), kGood),
                    "report is another node's (ueid)");
    }
    SECTION("XML summary disagreeing with the signed report") {
        auto report = card.report(lab.node, lab.challenge(), kTampered);
        report.ivalResults = 0;
        refusedWith(report, "integrityValResults disagree with the signed report");
    }
    SECTION("not a report") {
        agent::IntegrityValResults report = card.report(lab.node, lab.challenge(), kGood);
        report.eat = "AAAA";
        const HttpResponse r = lab.registerWith(report);
        CHECK(r.status == 400);
        CHECK_THAT(r.body, Catch::Contains("malformed report"));
    }
    CHECK(lab.server.running());
}

TEST_CASE("integrity: a remediation order travels in the next decision, its objects over mId",
          "[netsim][integrity]") {
    Card card;
    Lab lab(card);
    lab.policy(signedManifest(1, kAgent), {});
    const Bytes newAgent = bytesOf("the agent's executable, version 2");
    const Bytes newManifest = signedManifest(2, newAgent);
    const auto manifestPath = lab.server.dir().path() / "m2.cose";
    const auto objectPath = lab.server.dir().path() / "agent-2";
    sctest::writeFile(manifestPath, newManifest);
    sctest::writeFile(objectPath, newAgent);
    const CommandResult ordered =
        lab.server.netsim({"policy", lab.node.nodeHex(), "--remediate", manifestPath.string(),
                           "--object", "@agent=" + objectPath.string()});
    REQUIRE(ordered.exitCode == 0);

    const HttpResponse r = lab.registerWith(card.report(lab.node, lab.challenge(), kGood));
    REQUIRE(r.status == 201);
    const auto d =
        decisionOf(*agent::parseSclRegistration(r.body).integrityDecision, lab.policyKey());
    REQUIRE(d.claims.remediation);
    CHECK(d.claims.remediation->manifest == newManifest);
    REQUIRE(d.claims.remediation->objects.size() == 1);
    const integrity::RemediationObject& object = d.claims.remediation->objects[0];
    CHECK(object.name == "@agent");
    CHECK(object.sha256 == securechannel::sha256(newAgent));
    const std::string prefix = "https://nscl.lab.m2m:8443/m2m/integrity/objects/";
    REQUIRE(object.url.starts_with(prefix));
    const auto fetched = lab.mid->request("GET", object.url.substr(object.url.find("/m2m/")));
    REQUIRE(fetched);
    CHECK(fetched->status == 200);
    CHECK(Bytes(fetched->body.begin(), fetched->body.end()) == newAgent);
    const auto missing = lab.mid->request("GET", "/m2m/integrity/objects/999");
    REQUIRE(missing);
    CHECK(missing->status == 404);

    // Once: the next decision carries no remediation; the NSCL now appraises against manifest 2.
    const auto second = lab.mid->request("PUT", r.header("location"),
                                         sclWith(card.report(lab.node, lab.challenge(), kGood)));
    REQUIRE(second);
    // The old agent is not manifest 2's: deny, the registration ends.
    REQUIRE(second->status == 403);
    const auto d2 = decisionOf(agent::parseIntegrityDecision(second->body), lab.policyKey());
    CHECK_FALSE(d2.claims.remediation);
    CHECK(d2.claims.verdict == Verdict::Deny);
    CHECK(lab.lastVerdict()["failed"][0] == "@agent");
}

TEST_CASE("integrity: --require-integrity asks every node for a report", "[netsim][integrity]") {
    Card card;
    TestNode plain = TestNode::random(0x61);
    NetsimServer server({plain}, {{"--require-integrity"}});
    const auto [kmc, params] = connect(server, plain, plain.kmr, plain.kmrIndex);
    PskClient mid(server.mid(), plain.identity(params.kmcIndex), kmc);
    const auto r = mid.request("POST", "/m2m/scls", sclWith(std::nullopt));
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK_THAT(r->body, Catch::Contains("integrity report required"));
}
