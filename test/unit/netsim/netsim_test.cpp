// m2m-netsim over real TLS-PSK on loopback: bootstrap and connection keys derived by the
// exporter on both ends, the mId resources, refused identities, the HTTP subset, injected
// faults, and no key in the server's log.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "agent/mid_resources.hpp"
#include "netsim_support.hpp"
#include "provisioning/param_sets.hpp"

using namespace nstest;
using namespace std::chrono_literals;

namespace {

constexpr const char* kBootstrapLabel = "EXPORTER-ETSI-TC-M2M-Bootstrap";

unsigned modeOf(const std::filesystem::path& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

// A bootstrap on the MSBF with Kbs; returns the new Kmr (the client's exporter) and its index.
std::pair<Bytes, std::uint32_t> bootstrap(const NetsimServer& server, const TestNode& node) {
    PskClient client(server.msbf(), node.kbsIdentity(), node.kbs);
    REQUIRE(client.connected());
    const auto r = client.request("GET", "/m2m/bootstrap");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const auto params = provisioning::parseBootstrapParamSet(r->body);
    return {client.exporter(kBootstrapLabel), params.kmrIndex};
}

std::string sclXml(const std::string& sclId) {
    agent::SclRegistration scl;
    scl.sclId = sclId;
    scl.link = "coap://device.lab.m2m/m2m";
    return agent::toXml(scl);
}

void requireNoKeysIn(const std::string& text, const std::vector<TestNode>& nodes,
                     const std::vector<Bytes>& derived) {
    for (const TestNode& node : nodes) {
        for (const std::string& hex : node.keyHexes()) {
            CHECK(text.find(hex) == std::string::npos);
        }
    }
    for (const Bytes& key : derived) {
        CHECK(text.find(lowerHex(key)) == std::string::npos);
    }
}

}  // namespace

TEST_CASE("netsim: openssl s_client bootstraps with Kbs over TLS 1.2 PSK", "[netsim]") {
    const TestNode node = TestNode::random(1);
    NetsimServer server({node});
    const std::string request =
        "GET /m2m/bootstrap HTTP/1.1\r\nHost: msbf.lab.m2m\r\nConnection: close\r\n\r\n";
    const CommandResult r = runCommand({"openssl", "s_client", "-quiet", "-psk", lowerHex(node.kbs),
                                        "-psk_identity", node.kbsIdentity(), "-tls1_2", "-connect",
                                        "127.0.0.1:" + std::to_string(server.msbf()), "-ign_eof"},
                                       request);
    if (r.exitCode == 127) {
        WARN("openssl is not installed: s_client check skipped");
        return;
    }
    INFO(r.err);
    REQUIRE_THAT(r.out, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
    const std::string body = r.out.substr(r.out.find("\r\n\r\n") + 4);
    const auto params = provisioning::parseBootstrapParamSet(body);
    CHECK(lowerHex(ByteView(params.nodeId.data(), params.nodeId.size())) == node.nodeHex());
    CHECK(params.kmrIndex == 2);
    CHECK(params.sclId == "m2m:scl/device-0001");
    CHECK(params.masFqdn == "mas.lab.m2m");
    CHECK(params.nsclList == std::vector<std::string>{"https://nscl.lab.m2m:8443/m2m"});
    CHECK(params.kmrExpiry > std::chrono::system_clock::now() + std::chrono::hours(24 * 29));

    // The bootstrap superseded the imported Kmr (index 1).
    const CommandResult old =
        runCommand({"openssl", "s_client", "-quiet", "-psk", lowerHex(node.kmr), "-psk_identity",
                    node.identity(1), "-tls1_2", "-connect",
                    "127.0.0.1:" + std::to_string(server.connection()), "-ign_eof"},
                   "POST /m2m/connection HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    CHECK(old.exitCode != 0);
    CHECK_THAT(old.err, Catch::Contains("unknown psk identity"));
}

TEST_CASE("netsim: bootstrap derives Kmr by the exporter; indexes count up", "[netsim]") {
    const TestNode node = TestNode::random(2);
    NetsimServer server({node});
    const auto [kmr, index] = bootstrap(server, node);
    CHECK(index == 2);
    auto state = server.nodeState(node);
    CHECK(state["kmr_index"] == 2);
    CHECK(state["kmr_kcv"] == kcv(kmr));
    CHECK(state["kbs_kcv"] == kcv(node.kbs));
    CHECK(state["kiv_kcv"] == kcv(node.kiv));
    CHECK(state.dump().find(lowerHex(kmr)) == std::string::npos);

    const auto [kmr2, index2] = bootstrap(server, node);
    CHECK(index2 == 3);
    CHECK(kmr2 != kmr);
    CHECK(server.nodeState(node)["kmr_kcv"] == kcv(kmr2));

    // Only the newest Kmr opens the connection endpoint.
    PskClient stale(server.connection(), node.identity(2), kmr);
    CHECK_FALSE(stale.connected());
    CHECK(stale.handshakeError() == kUnknownPsk);
    PskClient fresh(server.connection(), node.identity(3), kmr2);
    CHECK(fresh.connected());
}

TEST_CASE("netsim: --without-kmr forces the TLS bootstrap", "[netsim]") {
    const TestNode node = TestNode::random(3);
    NetsimServer server({node}, {}, /*withoutKmr=*/true);
    CHECK(server.nodeState(node)["kmr_kcv"].is_null());
    PskClient imported(server.connection(), node.identity(1), node.kmr);
    CHECK(imported.handshakeError() == kUnknownPsk);
    const auto [kmr, index] = bootstrap(server, node);
    CHECK(index == 2);
    const auto [kmc, params] = connect(server, node, kmr, index);
    CHECK(params.kmcIndex == 1);
}

TEST_CASE("netsim: connection derives Kmc by the exporter, a new one each time", "[netsim]") {
    const TestNode node = TestNode::random(4);
    NetsimServer server({node}, {{"--kmc-lifetime", "600"}});
    const auto before = std::chrono::system_clock::now();
    const auto [kmc, params] = connect(server, node, node.kmr, 1);
    CHECK(params.kmcIndex == 1);
    CHECK(params.sclId == "m2m:scl/device-0001");
    CHECK(params.midFlags == "tls");
    CHECK(params.kmcExpiry >= std::chrono::floor<std::chrono::seconds>(before) + 600s);
    CHECK(params.kmcExpiry <= std::chrono::system_clock::now() + 601s);
    auto state = server.nodeState(node);
    CHECK(state["kmc_kcv"] == kcv(kmc));
    CHECK(state["kmc_index"] == 1);
    CHECK(state["connection_id"] == params.connectionId);

    const auto [kmc2, params2] = connect(server, node, node.kmr, 1);
    CHECK(params2.kmcIndex == 2);
    CHECK(params2.connectionId != params.connectionId);
    CHECK(kmc2 != kmc);
    CHECK(server.nodeState(node)["kmc_kcv"] == kcv(kmc2));

    PskClient old(server.mid(), node.identity(1), kmc);
    CHECK(old.handshakeError() == kUnknownPsk);
    PskClient current(server.mid(), node.identity(2), kmc2);
    CHECK(current.connected());
    // Every suite the agent offers is served.
    for (const char* suite :
         {"PSK-AES128-CBC-SHA256", "PSK-AES128-GCM-SHA256", "PSK-AES128-CBC-SHA"}) {
        PskClient c(server.mid(), node.identity(2), kmc2, suite);
        INFO(suite);
        CHECK(c.connected());
        CHECK(c.cipher() == suite);
    }
    PskClient certificateSuite(server.mid(), node.identity(2), kmc2, "ECDHE-RSA-AES128-GCM-SHA256");
    CHECK_FALSE(certificateSuite.connected());
}

TEST_CASE("netsim: mId registration, application, container, contentInstances", "[netsim]") {
    const TestNode node = TestNode::random(5);
    NetsimServer server({node});
    const auto [kmc, params] = connect(server, node, node.kmr, 1);
    PskClient mid(server.mid(), node.identity(params.kmcIndex), kmc);
    REQUIRE(mid.connected());

    const auto reg = mid.request("POST", "/m2m/scls", sclXml("m2m:scl/device-0001"));
    REQUIRE(reg);
    REQUIRE(reg->status == 201);
    const std::string scl = reg->header("location");
    CHECK(scl == "/m2m/scls/1");
    const auto registered = agent::parseSclRegistration(reg->body);
    CHECK(registered.sclId == "m2m:scl/device-0001");
    CHECK(registered.expirationTime > std::chrono::system_clock::now() + 3500s);

    const auto refreshed = mid.request("PUT", scl, sclXml("m2m:scl/device-0001"));
    REQUIRE(refreshed);
    CHECK(refreshed->status == 200);
    CHECK(agent::parseSclRegistration(refreshed->body).expirationTime >= registered.expirationTime);

    const auto app =
        mid.request("POST", scl + "/applications", agent::toXml(agent::Application{"thermo"}));
    REQUIRE(app);
    CHECK(app->status == 201);
    const std::string appPath = app->header("location");
    CHECK(appPath == scl + "/applications/thermo");
    const auto again =
        mid.request("POST", scl + "/applications", agent::toXml(agent::Application{"thermo"}));
    REQUIRE(again);
    CHECK(again->status == 200);  // exists: the same resource, no duplicate
    CHECK(again->header("location") == appPath);

    const auto container =
        mid.request("POST", appPath + "/containers", agent::toXml(agent::Container{"readings"}));
    REQUIRE(container);
    CHECK(container->status == 201);
    const std::string containerPath = container->header("location");
    CHECK(containerPath == appPath + "/containers/readings");

    agent::ContentInstance reading;
    reading.contentType = "application/json";
    reading.content = "{\"celsius\":21.5}";
    const auto posted =
        mid.request("POST", containerPath + "/contentInstances", agent::toXml(reading));
    REQUIRE(posted);
    CHECK(posted->status == 201);
    const auto stored = agent::parseContentInstance(posted->body);
    CHECK_FALSE(stored.id.empty());
    CHECK(posted->header("location") == containerPath + "/contentInstances/" + stored.id);
    CHECK(stored.content == reading.content);
    CHECK(stored.creationTime > std::chrono::system_clock::now() - 60s);
    reading.content = std::string("\x00\xff binary", 9);
    REQUIRE(
        mid.request("POST", containerPath + "/contentInstances", agent::toXml(reading))->status ==
        201);
    // An id the device proposes names the instance: the same request sent again (its answer
    // lost) is a conflict, not a second copy.
    agent::ContentInstance named;
    named.id = "r1-3";
    named.contentType = "application/json";
    named.content = "{\"seq\":3}";
    const auto first =
        mid.request("POST", containerPath + "/contentInstances", agent::toXml(named));
    REQUIRE(first);
    CHECK(first->status == 201);
    CHECK(first->header("location") == containerPath + "/contentInstances/r1-3");
    const auto second =
        mid.request("POST", containerPath + "/contentInstances", agent::toXml(named));
    REQUIRE(second);
    CHECK(second->status == 409);

    const auto list = mid.request("GET", containerPath + "/contentInstances");
    REQUIRE(list);
    CHECK(list->status == 200);
    const auto instances = agent::parseContentInstances(list->body);
    REQUIRE(instances.size() == 3);
    CHECK(instances[0].content == "{\"celsius\":21.5}");
    CHECK(instances[1].content == reading.content);
    CHECK(instances[2].id == "r1-3");

    // Where the data landed, as the demo shows it.
    const auto shown = server.show();
    CHECK(shown["registrations"][0]["path"] == "/m2m/scls/1");
    CHECK(shown["applications"][0]["app_id"] == "thermo");
    CHECK(shown["containers"][0]["path"] == containerPath);
    CHECK(shown["content_instances"][0]["content"] == "{\"celsius\":21.5}");
    CHECK_FALSE(shown["content_instances"][1].contains("content"));
    CHECK(shown["content_instances"][1]["content_hex"] == "00FF2062696E617279");
    CHECK(shown["content_instances"][0]["name"] == "");
    CHECK(shown["content_instances"][2]["name"] == "r1-3");
    CHECK(shown["content_instances"].size() == 3);
    CHECK(shown["counters"]["mid"]["handshakes"] == 1);
    CHECK(shown["counters"]["mid"]["requests"] == 10);
    const CommandResult text = server.netsim({"show"});
    CHECK(text.exitCode == 0);
    CHECK_THAT(text.out, Catch::Contains("{\"celsius\":21.5}") && Catch::Contains(containerPath));

    // Bad bodies and paths, on the same kept-alive connection.
    CHECK(mid.request("POST", scl + "/applications", "<not xml")->status == 400);
    CHECK(mid.request("POST", containerPath + "/contentInstances",
                      agent::toXml(agent::Container{"x"}))
              ->status == 400);
    CHECK(mid.request("POST", scl + "/applications/nothere/containers",
                      agent::toXml(agent::Container{"x"}))
              ->status == 404);
    CHECK(mid.request("GET", "/m2m/scls/99")->status == 404);
    CHECK(mid.request("GET", "/m2m/other")->status == 404);
    const auto wrongMethod = mid.request("DELETE", containerPath + "/contentInstances");
    REQUIRE(wrongMethod);
    CHECK(wrongMethod->status == 405);
    CHECK(wrongMethod->header("allow") == "GET, POST");
    CHECK(mid.request("GET", "/m2m/scls")->status == 405);
}

TEST_CASE("netsim: a node touches only its own SCL, and only while registered", "[netsim]") {
    const TestNode a = TestNode::random(6), b = TestNode::random(7);
    NetsimServer server({a, b}, {{"--registration-lifetime", "2"}});
    const auto [kmcA, pa] = connect(server, a, a.kmr, 1);
    const auto [kmcB, pb] = connect(server, b, b.kmr, 1);
    PskClient midA(server.mid(), a.identity(pa.kmcIndex), kmcA);
    PskClient midB(server.mid(), b.identity(pb.kmcIndex), kmcB);

    CHECK(midA.request("POST", "/m2m/scls", sclXml("m2m:scl/someone-else"))->status == 403);
    const auto reg = midA.request("POST", "/m2m/scls", sclXml("m2m:scl/device-0001"));
    REQUIRE(reg->status == 201);
    const std::string scl = reg->header("location");
    CHECK(midB.request("GET", scl)->status == 403);
    CHECK(midB.request("POST", scl + "/applications", agent::toXml(agent::Application{"x"}))
              ->status == 403);
    CHECK(midB.request("PUT", scl, sclXml("m2m:scl/device-0001"))->status == 403);
    CHECK(midA.request("PUT", scl, sclXml("m2m:scl/other"))->status == 403);
    CHECK(midA.request("POST", scl + "/applications", agent::toXml(agent::Application{"x"}))
              ->status == 201);

    std::this_thread::sleep_for(3s);
    const auto expired =
        midA.request("POST", scl + "/applications", agent::toXml(agent::Application{"y"}));
    REQUIRE(expired);
    CHECK(expired->status == 403);
    CHECK_THAT(expired->body, Catch::Contains("expired"));
    CHECK(midA.request("PUT", scl, sclXml("m2m:scl/device-0001"))->status == 403);
    // Registering again revives it (same SCL resource).
    const auto again = midA.request("POST", "/m2m/scls", sclXml("m2m:scl/device-0001"));
    CHECK(again->status == 201);
    CHECK(again->header("location") == scl);
    CHECK(midA.request("POST", scl + "/applications", agent::toXml(agent::Application{"y"}))
              ->status == 201);
}

TEST_CASE("netsim: unknown, wrong-listener, revoked and expired keys are refused", "[netsim]") {
    const TestNode node = TestNode::random(8);
    const TestNode stranger = TestNode::random(9);
    NetsimServer server({node});

    SECTION("unknown identities and wrong keys") {
        CHECK(PskClient(server.msbf(), stranger.kbsIdentity(), stranger.kbs).handshakeError() ==
              kUnknownPsk);
        CHECK(PskClient(server.connection(), stranger.identity(1), stranger.kmr).handshakeError() ==
              kUnknownPsk);
        CHECK(PskClient(server.mid(), stranger.identity(1), stranger.kmr).handshakeError() ==
              kUnknownPsk);
        // A Kmr identity means nothing on the mId port, nor Kbs's on the connection port.
        CHECK(PskClient(server.mid(), node.identity(1), node.kmr).handshakeError() == kUnknownPsk);
        CHECK(PskClient(server.connection(), node.kbsIdentity(), node.kbs).handshakeError() ==
              kUnknownPsk);
        CHECK(PskClient(server.msbf(), node.identity(1), node.kmr).handshakeError() == kUnknownPsk);
        // Malformed identities: uppercase hex, leading zero index, no dot.
        std::string upperId = node.identity(1);
        for (char& c : upperId) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        CHECK(PskClient(server.connection(), upperId, node.kmr).handshakeError() == kUnknownPsk);
        CHECK(PskClient(server.connection(), node.nodeHex() + ".01", node.kmr).handshakeError() ==
              kUnknownPsk);
        CHECK(PskClient(server.connection(), node.nodeHex(), node.kmr).handshakeError() ==
              kUnknownPsk);
        // The right identity with the wrong key fails the handshake too.
        PskClient wrongKey(server.connection(), node.identity(1), node.kbs);
        CHECK_FALSE(wrongKey.connected());
        CHECK(server.show()["counters"]["connection"]["handshake_failures"].get<int>() >= 5);
    }
    SECTION("revoked Kbs, Kmr, Kmc") {
        const auto [kmc, params] = connect(server, node, node.kmr, 1);
        for (const char* key : {"kbs", "kmr", "kmc"}) {
            const CommandResult r =
                server.netsim({"revoke", "--node", node.nodeHex(), "--key", key});
            INFO(r.err);
            CHECK(r.exitCode == 0);
        }
        CHECK(PskClient(server.msbf(), node.kbsIdentity(), node.kbs).handshakeError() ==
              kUnknownPsk);
        CHECK(PskClient(server.connection(), node.identity(1), node.kmr).handshakeError() ==
              kUnknownPsk);
        CHECK(PskClient(server.mid(), node.identity(params.kmcIndex), kmc).handshakeError() ==
              kUnknownPsk);
        const auto state = server.nodeState(node);
        CHECK(state["kbs_revoked"] == true);
        CHECK(state["kmr_revoked"] == true);
        CHECK(state["kmc_revoked"] == true);
        CHECK(server.netsim({"revoke", "--node", stranger.nodeHex(), "--key", "kmr"}).exitCode ==
              1);
        CHECK(server.netsim({"revoke", "--node", "xyz", "--key", "kmr"}).exitCode == 1);
        CHECK(server.netsim({"revoke", "--node", node.nodeHex(), "--key", "kmsa"}).exitCode == 2);
    }
    SECTION("expired Kmr and Kmc; a new Kmc after expiry works") {
        const auto [kmc, params] = connect(server, node, node.kmr, 1);
        CHECK(server.netsim({"expire", "--node", node.nodeHex(), "--key", "kmc"}).exitCode == 0);
        CHECK(PskClient(server.mid(), node.identity(params.kmcIndex), kmc).handshakeError() ==
              kUnknownPsk);
        const auto [kmc2, params2] = connect(server, node, node.kmr, 1);
        CHECK(PskClient(server.mid(), node.identity(params2.kmcIndex), kmc2).connected());
        CHECK(server.netsim({"expire", "--node", node.nodeHex(), "--key", "kmr"}).exitCode == 0);
        CHECK(PskClient(server.connection(), node.identity(1), node.kmr).handshakeError() ==
              kUnknownPsk);
        CHECK(server.netsim({"expire", "--node", node.nodeHex(), "--key", "kbs"}).exitCode == 2);
        // The bootstrap gives a fresh Kmr.
        const auto [kmr, index] = bootstrap(server, node);
        CHECK(PskClient(server.connection(), node.identity(index), kmr).connected());
    }
    SECTION("a key that stops being valid ends its kept-alive connection") {
        const auto [kmc, params] = connect(server, node, node.kmr, 1);
        PskClient mid(server.mid(), node.identity(params.kmcIndex), kmc);
        REQUIRE(mid.request("GET", "/m2m/scls/1"));                       // 404, but answered
        const auto [kmc2, params2] = connect(server, node, node.kmr, 1);  // supersedes kmc
        CHECK_FALSE(mid.request("GET", "/m2m/scls/1"));
        CHECK(PskClient(server.mid(), node.identity(params2.kmcIndex), kmc2).connected());
    }
}

TEST_CASE("netsim: strict HTTP/1.1 (400, 404, 405, 411, 413, 414, 415, 417, 431, 501, 505)",
          "[netsim]") {
    const TestNode node = TestNode::random(10);
    NetsimServer server({node}, {{"--idle-timeout", "2"}});
    auto fresh = [&] {
        return std::make_unique<PskClient>(server.connection(), node.identity(1), node.kmr);
    };
    // A refusal of the head: its status, "Connection: close", and the connection closed after.
    auto refused = [&](const std::string& raw) {
        auto c = fresh();
        REQUIRE(c->connected());
        REQUIRE(c->send(raw));
        const auto r = c->receive();
        if (!r) {
            return -1;
        }
        CHECK(r->header("connection") == "close");
        CHECK_THAT(r->header("content-type"), Catch::StartsWith("text/plain"));
        CHECK(c->closedByPeer(2s));
        return r->status;
    };
    CHECK(refused("GARBAGE\r\n\r\n") == 400);
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == 400);  // no Host
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: "
                  "0\r\n\r\n") == 400);
    CHECK(refused("POST /m2m/connection HTTP/1.1\nHost: a\nContent-Length: 0\n\n\r\n\r\n") == 400);
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nBad Header: x\r\nContent-Length: "
                  "0\r\n\r\n") == 400);
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\nContent-Length: "
                  "0\r\n\r\n") == 400);
    // A folded line is refused when it has a colon (its name starts with a space); httplib's
    // parser drops one without a colon unseen (tools/netsim/README.md).
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\n folded: x\r\nContent-Length: "
                  "0\r\n\r\n") == 400);
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n") == 400);
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                  "Content-Length: 2\r\n\r\nab") == 400);
    CHECK(refused("POST http://x/m2m/connection HTTP/1.1\r\nHost: a\r\nContent-Length: "
                  "0\r\n\r\n") == 400);
    CHECK(refused("POST /m2m/connection HTTP/1.0\r\nHost: a\r\nContent-Length: 0\r\n\r\n") == 505);
    // httplib's parser knows HTTP/1.0 and 1.1 only: any other version is malformed to it.
    CHECK(refused("POST /m2m/connection HTTP/2.0\r\nHost: a\r\nContent-Length: 0\r\n\r\n") == 400);
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\n\r\n") == 411);
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                  "chunked\r\n\r\n0\r\n\r\n") == 501);
    CHECK(refused("TRACE /m2m/connection HTTP/1.1\r\nHost: a\r\n\r\n") == 501);
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\n"
                  "Content-Length: 0\r\n\r\n") == 415);
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n") ==
          413);
    // Over 8 KiB of head: in one header line (httplib's parser gives up on it), in many lines
    // (the head as parsed), in the request line (httplib: 414).
    CHECK(refused("GET /m2m/connection HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(9000, 'a') +
                  "\r\n\r\n") == 431);
    std::string manyFields = "GET /m2m/connection HTTP/1.1\r\nHost: a\r\n";
    for (int i = 0; i < 100; ++i) {
        manyFields += "X-Field-" + std::to_string(i) + ": " + std::string(80, 'b') + "\r\n";
    }
    CHECK(refused(manyFields + "\r\n") == 431);
    CHECK(refused("GET /" + std::string(9000, 'p') + " HTTP/1.1\r\nHost: a\r\n\r\n") == 414);
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: "
                  "0\r\n\r\n") == 417);
    // A head refused before its body is asked for: the refusal, no 100 Continue first.
    CHECK(refused("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                  "Content-Length: 70000\r\n\r\n") == 413);
    {
        // libcurl's larger bodies: the head first, the body after the interim answer.
        auto expecting = fresh();
        REQUIRE(
            expecting->send("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nExpect: "
                            "100-continue\r\nContent-Length: 5\r\n\r\n"));
        const auto interim = expecting->receive();
        REQUIRE(interim);
        CHECK(interim->status == 100);
        REQUIRE(expecting->send("hello"));
        const auto final = expecting->receive();
        REQUIRE(final);
        CHECK(final->status == 200);
    }

    auto c = fresh();
    CHECK(c->request("GET", "/m2m/nothing")->status == 404);
    const auto notAllowed = c->request("GET", "/m2m/connection");
    REQUIRE(notAllowed);
    CHECK(notAllowed->status == 405);
    CHECK(notAllowed->header("allow") == "POST");
    // Kept alive: httplib says so in a Keep-Alive header (HTTP/1.1 needs no "Connection:
    // keep-alive"), with the idle timeout and its cap on requests per connection.
    CHECK(notAllowed->header("connection").empty());
    CHECK(notAllowed->header("keep-alive") == "timeout=2, max=1000");
    CHECK_THAT(notAllowed->header("content-type"), Catch::StartsWith("text/plain"));
    // Several requests on one TLS connection, the last one pipelined with the one before. Each
    // starts a TLS record of its own: between requests httplib waits on the socket, not on what
    // OpenSSL has already decrypted (README).
    CHECK(c->request("POST", "/m2m/connection")->status == 200);
    REQUIRE(c->send("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
    REQUIRE(
        c->send("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n"));
    CHECK(c->receive()->status == 200);
    const auto last = c->receive();
    REQUIRE(last);
    CHECK(last->header("connection") == "close");
    CHECK(c->closedByPeer(2s));
    CHECK(server.nodeState(node)["kmc_index"] == 4);
    // An idle connection ends after the idle timeout.
    auto idle = fresh();
    REQUIRE(idle->connected());
    CHECK(idle->closedByPeer(5s));
}

TEST_CASE("netsim: fixed workers and backlog; connections past them are refused, not queued",
          "[netsim][limits]") {
    const TestNode node = TestNode::random(14);
    NetsimServer server({node},
                        {{"--workers", "2", "--backlog", "1", "--handshake-timeout", "1.5"}});
    const int pid = server.pid();
    // main, and per endpoint: its accepting thread, 2 workers, the deadline watchdog.
    const std::size_t threadsIdle = threads(pid);
    CHECK(threadsIdle == 1 + 3 * (1 + 2 + 1));
    const std::size_t fdsIdle = openFds(pid);

    // Eight clients connect and say nothing: 2 get a worker (for their handshake), 1 waits for
    // one, the other 5 are closed at once.
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 8; ++i) {
        idle.push_back(std::make_unique<RawConnection>(server.connection()));
        REQUIRE(idle.back()->connected());
    }
    std::vector<bool> closed(idle.size(), false);
    const auto refusedBy = std::chrono::steady_clock::now() + 1s;  // before the handshake deadline
    while (std::count(closed.begin(), closed.end(), true) < 5 &&
           std::chrono::steady_clock::now() < refusedBy) {
        for (std::size_t i = 0; i < idle.size(); ++i) {
            closed[i] = closed[i] || idle[i]->closedByPeer(0ms);
        }
        std::this_thread::sleep_for(20ms);
    }
    CHECK(std::count(closed.begin(), closed.end(), true) == 5);
    CHECK(threads(pid) == threadsIdle);  // no thread per connection
    while (openFds(pid) != fdsIdle + 3 && std::chrono::steady_clock::now() < refusedBy) {
        std::this_thread::sleep_for(20ms);
    }
    CHECK(openFds(pid) == fdsIdle + 3);  // no socket kept for a refused one
    {
        // Workers and backlog full: a real client is refused as well.
        PskClient early(server.connection(), node.identity(1), node.kmr);
        CHECK_FALSE(early.connected());
    }

    // The handshake deadline frees the two workers; the waiting connection gets one (and its
    // own deadline), and a real client the other.
    CHECK(idle[0]->closedByPeer(3s));
    CHECK(idle[1]->closedByPeer(3s));
    std::this_thread::sleep_for(200ms);
    {
        PskClient late(server.connection(), node.identity(1), node.kmr);
        REQUIRE(late.connected());
        CHECK(late.request("POST", "/m2m/connection")->status == 200);
    }
    CHECK(idle[2]->closedByPeer(3s));
    idle.clear();

    CHECK(counterOnceAt(server, "connection", "refused", 6) == 6);
    CHECK(counterOnceAt(server, "connection", "handshake_failures", 3) == 3);
    CHECK(server.show()["counters"]["connection"]["handshakes"] == 1);
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (openFds(pid) != fdsIdle && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    CHECK(openFds(pid) == fdsIdle);
    CHECK(threads(pid) == threadsIdle);
    CHECK(server.stop() == 0);
    const std::string log = server.log();
    CHECK_THAT(log, Catch::Contains("connection(s): 2 workers busy and 1 connections waiting"));
    CHECK_THAT(log, Catch::Contains("connection: handshake failed, identity -: handshake "
                                    "deadline passed"));
}

TEST_CASE("netsim: a stalled handshake and a trickled request end at their deadlines",
          "[netsim][limits]") {
    const TestNode node = TestNode::random(15);
    NetsimServer server({node}, {{"--handshake-timeout", "1", "--request-timeout", "1"}});

    // Three bytes of a TLS record header, then nothing.
    RawConnection stalled(server.mid());
    REQUIRE(stalled.send("\x16\x03\x01"));
    CHECK(stalled.closedByPeer(3s));

    // A request head one byte at a time: every read is in time, the request never completes.
    PskClient trickle(server.connection(), node.identity(1), node.kmr);
    REQUIRE(trickle.connected());
    REQUIRE(trickle.send("POST /m2m/connection HTTP/1.1\r\nHost: a\r\n"));
    bool cutOff = false;
    for (int i = 0; i < 30 && !cutOff; ++i) {
        trickle.send("X");
        cutOff = trickle.closedByPeer(200ms);
    }
    CHECK(cutOff);
    // The same key on a new connection is served.
    PskClient normal(server.connection(), node.identity(1), node.kmr);
    CHECK(normal.request("POST", "/m2m/connection")->status == 200);

    CHECK(counterOnceAt(server, "mid", "handshake_failures", 1) == 1);
    CHECK(counterOnceAt(server, "connection", "cut_off", 1) == 1);
    CHECK(server.show()["counters"]["connection"]["requests"] == 1);
    const std::string log = server.log();
    CHECK_THAT(log,
               Catch::Contains("mid: handshake failed, identity -: handshake deadline passed"));
    CHECK_THAT(log, Catch::Contains("connection: connection closed, node=" + node.nodeHex() +
                                    " identity=" + node.identity(1) +
                                    ": request deadline passed (request not complete)"));
}

TEST_CASE("netsim: --max-head-bytes and --max-body-bytes; a head without end is cut off",
          "[netsim][limits]") {
    const TestNode node = TestNode::random(16);
    NetsimServer server({node}, {{"--max-head-bytes", "2048", "--max-body-bytes", "100"}});
    PskClient c(server.connection(), node.identity(1), node.kmr);
    CHECK(c.request("POST", "/m2m/connection", std::string(100, 'x'))->status == 200);
    CHECK(c.request("POST", "/m2m/connection", std::string(101, 'x'))->status == 413);
    PskClient big(server.connection(), node.identity(1), node.kmr);
    std::string fields;
    for (int i = 0; i < 30; ++i) {
        fields += "X-Field-" + std::to_string(i) + ": " + std::string(80, 'b') + "\r\n";
    }
    CHECK(big.request("POST", "/m2m/connection", "", fields)->status == 431);

    // One header line that never ends: httplib would read it for ever; the byte cap per
    // request (head + body limits + two TLS records) ends it.
    PskClient flood(server.connection(), node.identity(1), node.kmr);
    REQUIRE(flood.send("POST /m2m/connection HTTP/1.1\r\nHost: a\r\nX-Flood: "));
    const std::string chunk(16 * 1024, 'f');
    for (int i = 0; i < 64 && flood.send(chunk); ++i) {
    }
    CHECK(flood.closedByPeer(5s));
    CHECK(counterOnceAt(server, "connection", "cut_off", 1) == 1);
    CHECK_THAT(server.log(), Catch::Contains("request larger than"));
}

TEST_CASE("netsim: injected faults, each kind, N times, then normal service", "[netsim]") {
    const TestNode node = TestNode::random(11);
    NetsimServer server({node});
    auto fault = [&](const char* endpoint, const char* kind, int count) {
        const CommandResult r = server.netsim(
            {"fault", "--endpoint", endpoint, "--kind", kind, "--count", std::to_string(count)});
        INFO(r.err);
        REQUIRE(r.exitCode == 0);
    };
    PskClient msbf(server.msbf(), node.kbsIdentity(), node.kbs);
    REQUIRE(msbf.connected());

    fault("msbf", "http-500", 2);
    CHECK(server.show()["faults"][0]["remaining"] == 2);
    CHECK(msbf.request("GET", "/m2m/bootstrap")->status == 500);
    CHECK(msbf.request("GET", "/m2m/bootstrap")->status == 500);
    CHECK(msbf.request("GET", "/m2m/bootstrap")->status == 200);
    const Bytes kmr = msbf.exporter(kBootstrapLabel);
    CHECK(server.nodeState(node)["kmr_index"] == 2);  // the faulted ones issued no Kmr

    fault("msbf", "http-503", 1);
    const auto unavailable = msbf.request("GET", "/m2m/bootstrap");
    CHECK(unavailable->status == 503);
    CHECK(unavailable->header("retry-after") == "1");

    fault("msbf", "malformed-xml", 1);
    const auto malformed = msbf.request("GET", "/m2m/bootstrap");
    CHECK(malformed->status == 200);
    CHECK_THROWS_AS(provisioning::parseBootstrapParamSet(malformed->body),
                    provisioning::ParamSetError);

    fault("msbf", "oversized-body", 1);
    const auto oversized = msbf.request("GET", "/m2m/bootstrap");
    CHECK(oversized->status == 200);
    CHECK(oversized->body.size() == 2 * 1024 * 1024);

    fault("msbf", "close", 1);
    CHECK_FALSE(msbf.request("GET", "/m2m/bootstrap"));

    // Faults are per endpoint.
    fault("mid", "http-503", 1);
    const auto [kmc, params] = connect(server, node, kmr, 2);
    PskClient mid(server.mid(), node.identity(params.kmcIndex), kmc);
    CHECK(mid.request("POST", "/m2m/scls", sclXml("m2m:scl/device-0001"))->status == 503);
    CHECK(mid.request("POST", "/m2m/scls", sclXml("m2m:scl/device-0001"))->status == 201);
    CHECK(server.show()["faults"].empty());

    CHECK(server.netsim({"fault", "--endpoint", "bsf", "--kind", "close"}).exitCode == 2);
    CHECK(server.netsim({"fault", "--endpoint", "mid", "--kind", "slow"}).exitCode == 2);
}

TEST_CASE("netsim: keys appear nowhere in the log or in show; the store is private", "[netsim]") {
    const TestNode node = TestNode::random(12);
    NetsimServer server({node}, {{"--log", "netsim=debug"}});
    const auto [kmr, index] = bootstrap(server, node);
    const auto [kmc, params] = connect(server, node, kmr, index);
    PskClient mid(server.mid(), node.identity(params.kmcIndex), kmc);
    REQUIRE(mid.request("POST", "/m2m/scls", sclXml("m2m:scl/device-0001"))->status == 201);
    PskClient(server.connection(), node.identity(index), node.kbs);  // a failed handshake
    CHECK(server.stop() == 0);

    const std::string log = server.log();
    CHECK_THAT(log, Catch::Contains("msbf GET /m2m/bootstrap 200 node=" + node.nodeHex() +
                                    " identity=" + node.kbsIdentity()));
    CHECK_THAT(log, Catch::Contains("connection POST /m2m/connection 200"));
    CHECK_THAT(log, Catch::Contains("mid POST /m2m/scls 201"));
    CHECK_THAT(log, Catch::Contains("handshake failed"));
    CHECK_THAT(log, !Catch::Contains("<m2m:"));  // no bodies
    requireNoKeysIn(log, {node}, {kmr, kmc});
    requireNoKeysIn(server.netsim({"show", "--json"}).out, {node}, {kmr, kmc});
    requireNoKeysIn(server.netsim({"show"}).out, {node}, {kmr, kmc});
    CHECK(modeOf(server.db()) == 0600);
    for (const auto& entry : std::filesystem::directory_iterator(server.dir().path())) {
        if (entry.path().filename().string().rfind("netsim.db", 0) == 0) {
            INFO(entry.path());
            CHECK((modeOf(entry.path()) & 077) == 0);
        }
    }
}

TEST_CASE("netsim: import and serve refusals", "[netsim]") {
    const TestNode node = TestNode::random(13);
    TempDir dir;
    const auto keys = dir / "keys.json";
    { std::ofstream(keys) << node.exportJson(); }
    ::chmod(keys.c_str(), 0644);
    const std::string db = (dir / "n.db").string();
    const std::string netsim = netsimBinary().string();
    const CommandResult open = runCommand({netsim, "import", "--db", db, keys.string()});
    CHECK(open.exitCode == 1);
    CHECK_THAT(open.err, Catch::Contains("keys.json"));
    ::chmod(keys.c_str(), 0600);
    const CommandResult ok =
        runCommand({netsim, "import", "--db", db, keys.string(), "--scl-id", "m2m:scl/x", "--nscl",
                    "https://a/m2m", "--nscl", "https://b/m2m", "--mas-fqdn", "mas.x"});
    INFO(ok.err);
    CHECK(ok.exitCode == 0);
    CHECK(modeOf(db) == 0600);
    // Re-import updates the node (one row, new values).
    CHECK(runCommand({netsim, "import", "--db", db, keys.string(), "--scl-id", "m2m:scl/y"})
              .exitCode == 0);
    const auto shown =
        nlohmann::json::parse(runCommand({netsim, "show", "--db", db, "--json"}).out);
    REQUIRE(shown["nodes"].size() == 1);
    CHECK(shown["nodes"][0]["scl_id"] == "m2m:scl/y");
    CHECK(shown["nodes"][0]["kmr_kcv"] == kcv(node.kmr));
    CHECK(shown["nodes"][0]["kmr_index"] == 1);
    CHECK(shown["nodes"][0]["iccid"] == node.iccid);

    const auto broken = dir / "broken.json";
    {
        std::ofstream(broken) << "{\"iccid\": \"" + node.iccid +
                                     "\", \"node_id\": \"0011\", \"kmr\": \"" + lowerHex(node.kmr) +
                                     "\"}";
    }
    ::chmod(broken.c_str(), 0600);
    const CommandResult bad = runCommand({netsim, "import", "--db", db, broken.string()});
    CHECK(bad.exitCode == 1);
    CHECK_THAT(bad.err, Catch::Contains("node_id"));
    CHECK_THAT(bad.err, !Catch::Contains(lowerHex(node.kmr)));

    for (const char* address :
         {"0.0.0.0:0", "192.168.1.1:0", "[::]:0", "example.com:0", "127.0.0.1"}) {
        INFO(address);
        const CommandResult r = runCommand({netsim, "serve", "--db", db, "--msbf", address});
        CHECK(r.exitCode == 1);
        CHECK_THAT(r.err, Catch::Contains("loopback") || Catch::Contains("HOST:PORT"));
    }
    ::chmod(db.c_str(), 0644);
    CHECK(runCommand({netsim, "show", "--db", db}).exitCode == 1);
}

TEST_CASE("netsim: lifetimes up to 10 years give dates; beyond, NaN or infinite are refused",
          "[netsim][neg]") {
    const TestNode node = TestNode::random(14);
    // netsim::kMaxLifetime: 10 years of 366 days.
    constexpr long long kTenYears = 10LL * 366 * 24 * 3600;
    const std::string tenYears = std::to_string(kTenYears);
    NetsimServer server({node}, {{"--kmr-lifetime", tenYears, "--kmc-lifetime", tenYears}});
    const auto [kmr, index] = bootstrap(server, node);
    const auto [kmc, params] = connect(server, node, kmr, index);
    const auto now = std::chrono::system_clock::now();
    const auto kmrExpiry = std::chrono::system_clock::time_point(
        std::chrono::seconds(server.nodeState(node)["kmr_expiry_unix"].get<std::int64_t>()));
    CHECK(kmrExpiry - now > std::chrono::hours(24 * 3650));
    CHECK(kmrExpiry - now <= std::chrono::hours(24 * 3660));
    CHECK(params.kmcExpiry - now > std::chrono::hours(24 * 3650));
    CHECK(params.kmcExpiry - now <= std::chrono::hours(24 * 3660));

    TempDir dir;
    const std::string db = (dir / "n.db").string();
    for (const std::vector<std::string>& option :
         {std::vector<std::string>{"--kmr-lifetime", "9223372036854775807"},
          {"--kmc-lifetime", std::to_string(kTenYears + 1)},
          {"--registration-lifetime", "0"},
          {"--handshake-timeout", "nan"},
          {"--request-timeout", "inf"}}) {
        INFO(option[0] << " " << option[1]);
        std::vector<std::string> args{netsimBinary().string(), "serve", "--db", db};
        args.insert(args.end(), option.begin(), option.end());
        const CommandResult r = runCommand(args);
        CHECK(r.exitCode != 0);
        CHECK_THAT(r.err, Catch::Contains(option[0]));
    }
}

TEST_CASE("netsim: import refuses a Kmr expiry of 2^64-1 by name", "[netsim][neg]") {
    const TestNode node = TestNode::random(15);
    TempDir dir;
    const auto keys = dir / "keys.json";
    auto doc = nlohmann::json::parse(node.exportJson());
    for (const char* expiry : {"18446744073709551615", "9223372036854775807", "-1"}) {
        INFO(expiry);
        doc["kmr_expiry_unix"] = nlohmann::json::parse(expiry);
        std::filesystem::remove(keys);
        sctest::writeFile(keys, std::string_view(doc.dump()));
        const CommandResult r = runCommand(
            {netsimBinary().string(), "import", "--db", (dir / "n.db").string(), keys.string()});
        CHECK(r.exitCode == 1);
        CHECK_THAT(r.err, Catch::Contains("'kmr_expiry_unix'"));
        CHECK_THAT(r.err, !Catch::Contains(lowerHex(node.kmr)));
    }
}

TEST_CASE("netsim: the server runs hardened (no core dumps)", "[netsim]") {
    const TestNode node = TestNode::random(16);
    NetsimServer server({node});
    // What the kernel says of the running server: RLIMIT_CORE 0, soft and hard.
    const std::string limits = readText("/proc/" + std::to_string(server.pid()) + "/limits");
    REQUIRE_FALSE(limits.empty());
    CHECK_THAT(limits, Catch::Matches("[\\s\\S]*Max core file size +0 +0 +bytes[\\s\\S]*"));
}
