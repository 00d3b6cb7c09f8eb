// The card-held-PSK HTTPS client against real TLS servers on loopback: `openssl s_server` (an
// implementation nobody here wrote) and a small in-test server for keep-alive, identities and
// the plain master secret. The card is RecordingKeyOperations (InMemoryKeyOperations, recorded).
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

#include <spdlog/sinks/ostream_sink.h>
#include <catch2/catch.hpp>
#include <sstream>

#include "base/log.hpp"
#include "openssl_s_server.hpp"
#include "psk_test_server.hpp"
#include "recording_keys.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/tls/psk_https_client.hpp"
#include "test_support.hpp"

using namespace securechannel;
using namespace securechannel::tls;
using sctest::fromHex;
using sctest::toHex;
using seuicc::KeySlot;
using seuicc::MasterSecretMode;

namespace {

// The node of test/integration/sed_fixture.hpp, with KmrIndex 7 (security-profile §3).
const std::string kKmrIdentity = "00112233445566778899aabbccddeeff.7";
const std::string kKbsIdentity = "00112233445566778899aabbccddeeff.bootstrap";

Bytes vectorPsk() {
    return fromHex(sctest::loadSection("tls12-prf.json", "/handshakes/0/psk").get<std::string>());
}

std::string upperHex(ByteView bytes) {
    std::string hex = toHex(bytes);
    for (auto& c : hex) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return hex;
}

// Kmr and Kbs both hold the vector's PSK; Kmc is empty.
sctest::RecordingKeyOperations vectorCard() {
    std::map<KeySlot, SecretBuffer> keys;
    keys.emplace(KeySlot::Kmr, SecretBuffer::copyOf(vectorPsk()));
    keys.emplace(KeySlot::Kbs, SecretBuffer::copyOf(vectorPsk()));
    return sctest::RecordingKeyOperations(std::move(keys));
}

HttpRequest get(const std::string& url) {
    HttpRequest request;
    request.url = url;
    return request;
}

std::vector<std::string> pskServerArgs(ByteView psk, const std::string& identity) {
    return {"-nocert", "-psk", toHex(psk), "-psk_identity", identity, "-tls1_2"};
}

std::string kcvHex(const seuicc::KeyCheckValue& kcv) {
    return toHex(ByteView(kcv.data(), kcv.size()));
}

}  // namespace

TEST_CASE("PSK handshake with openssl s_server, extended master secret", "[tls][psk-client]") {
    const Bytes psk = vectorPsk();
    auto args = pskServerArgs(psk, kKmrIdentity);
    args.push_back("-www");
    tlstest::OpensslServer server(args);
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;

    const HttpResponse response =
        client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card);

    CHECK(response.status == 200);
    CHECK(response.tls.protocol == "TLSv1.2");
    CHECK(response.tls.cipher == "PSK-AES128-CBC-SHA256");
    CHECK(response.tls.cipherId == 0x00AE);
    CHECK(response.tls.newHandshake);
    CHECK_FALSE(response.tls.exportKcv);
    REQUIRE(card.masterSecretModes.size() == 1);
    CHECK(card.masterSecretModes[0] == MasterSecretMode::Extended);
    CHECK(client.counters().handshakes == 1);
    CHECK(client.counters().requests == 1);
    // s_server's own view of the session: the identity we sent, and the master secret the
    // "card" computed is the one the server computed from the real key.
    CHECK(response.body.find("PSK identity: " + kKmrIdentity) != std::string::npos);
    CHECK(response.body.find("Extended master secret: yes") != std::string::npos);
    CHECK(response.body.find("Master-Key: " + upperHex(card.lastMasterSecret())) !=
          std::string::npos);
    CHECK(response.contentType == "text/html");
}

TEST_CASE("PSK handshake without the extended master secret (plain master secret)",
          "[tls][psk-client]") {
    sctest::PskTestServerOptions options;
    options.keys[kKmrIdentity] = vectorPsk();
    options.extendedMasterSecret = false;
    sctest::PskTestServer server(options);
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;

    const HttpResponse response =
        client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card, Export::Connection);

    CHECK(response.status == 200);
    CHECK(response.body == "ok");
    REQUIRE(card.masterSecretModes.size() == 1);
    CHECK(card.masterSecretModes[0] == MasterSecretMode::Plain);
    const auto connections = server.connections();
    REQUIRE(connections.size() == 1);
    CHECK_FALSE(connections[0].extendedMasterSecret);
    REQUIRE(response.tls.exportKcv);
    CHECK(kcvHex(*response.tls.exportKcv) == toHex(keyCheckValue(connections[0].connectionExport)));
}

TEST_CASE("Exporters agree with openssl s_server -keymatexport", "[tls][psk-client][export]") {
    const Bytes psk = vectorPsk();
    struct Case {
        const char* label;
        Export exportTo;
        std::string identity;
        KeySlot slot;
    };
    const Case cases[] = {
        {"EXPORTER-ETSI-TC-M2M-Connection", Export::Connection, kKmrIdentity, KeySlot::Kmr},
        {"EXPORTER-ETSI-TC-M2M-Bootstrap", Export::Bootstrap, kKbsIdentity, KeySlot::Kbs},
    };
    for (const auto& c : cases) {
        SECTION(c.label) {
            auto args = pskServerArgs(psk, c.identity);
            args.insert(args.end(), {"-keymatexport", c.label, "-keymatexportlen", "32"});
            tlstest::OpensslServer server(args);
            server.autoReply(tlstest::httpReply("exported"));
            sctest::RecordingKeyOperations card = vectorCard();
            PskHttpsClient client;

            const HttpResponse response =
                client.perform(get(server.url()), {c.identity, c.slot}, card, c.exportTo);

            CHECK(response.status == 200);
            CHECK(response.body == "exported");
            REQUIRE(server.waitFor("Keying material:", std::chrono::seconds(5)));
            const auto material = server.keyingMaterial();
            REQUIRE(material);
            REQUIRE(response.tls.exportKcv);
            CHECK(kcvHex(*response.tls.exportKcv) == toHex(keyCheckValue(fromHex(*material))));
            CHECK(card.exports == 1);
            // What the client offered, as s_server saw it: the three PSK suites, in order.
            CHECK(server.sharedCiphers() ==
                  std::string("PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA"));
        }
    }
}

TEST_CASE("The client offers the three PSK suites only, with SNI", "[tls][psk-client]") {
    sctest::PskTestServerOptions options;
    options.keys[kKmrIdentity] = vectorPsk();
    options.cipherList = "ALL:PSK";  // the server would take anything; the client decides
    sctest::PskTestServer server(options);
    ClientOptions clientOptions;
    clientOptions.resolve.push_back("nscl.lab.m2m:" + std::to_string(server.port()) + ":127.0.0.1");
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client(clientOptions);

    const std::string url = "https://nscl.lab.m2m:" + std::to_string(server.port()) + "/m2m";
    const HttpResponse response = client.perform(get(url), {kKmrIdentity, KeySlot::Kmr}, card);

    CHECK(response.status == 200);
    const auto connections = server.connections();
    REQUIRE(connections.size() == 1);
    std::vector<std::uint16_t> suites;
    for (const auto id : connections[0].offeredCiphers) {
        if (id != 0x00FF) {  // TLS_EMPTY_RENEGOTIATION_INFO_SCSV: a signal, not a suite
            suites.push_back(id);
        }
    }
    CHECK(suites == std::vector<std::uint16_t>{0x00AE, 0x00A8, 0x008C});
    CHECK(connections[0].serverName == "nscl.lab.m2m");
    CHECK(connections[0].identity == kKmrIdentity);
}

TEST_CASE(
    "onlyCipherSuite: exactly that suite is offered (GBA Ua); one outside the profile is refused",
    "[tls][psk-client][gba]") {
    for (const std::uint16_t only :
         {std::uint16_t{0x00AE}, std::uint16_t{0x00A8}, std::uint16_t{0x008C}}) {
        sctest::PskTestServerOptions options;
        options.keys[kKmrIdentity] = vectorPsk();
        options.cipherList = "ALL:PSK";
        sctest::PskTestServer server(options);
        ClientOptions clientOptions;
        clientOptions.onlyCipherSuite = only;
        sctest::RecordingKeyOperations card = vectorCard();
        PskHttpsClient client(clientOptions);
        const HttpResponse response =
            client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card);
        CHECK(response.status == 200);
        CHECK(response.tls.cipherId == only);
        const auto connections = server.connections();
        REQUIRE(connections.size() == 1);
        std::vector<std::uint16_t> suites;
        for (const auto id : connections[0].offeredCiphers) {
            if (id != 0x00FF) {
                suites.push_back(id);
            }
        }
        CHECK(suites == std::vector<std::uint16_t>{only});
    }
    for (const std::uint16_t outside :
         {std::uint16_t{0xC02F}, std::uint16_t{0x00A9}, std::uint16_t{0}}) {
        ClientOptions clientOptions;
        clientOptions.onlyCipherSuite = outside;
        CHECK_THROWS_AS(PskHttpsClient(clientOptions), std::invalid_argument);
    }
}

TEST_CASE("Each of the three PSK suites can be negotiated", "[tls][psk-client]") {
    const std::pair<const char*, std::uint16_t> suites[] = {
        {"PSK-AES128-CBC-SHA256", 0x00AE},
        {"PSK-AES128-GCM-SHA256", 0x00A8},
        {"PSK-AES128-CBC-SHA", 0x008C},
    };
    for (const auto& [name, id] : suites) {
        SECTION(name) {
            sctest::PskTestServerOptions options;
            options.keys[kKmrIdentity] = vectorPsk();
            options.cipherList = name;
            sctest::PskTestServer server(options);
            sctest::RecordingKeyOperations card = vectorCard();
            PskHttpsClient client;
            const HttpResponse response = client.perform(
                get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card, Export::Connection);
            CHECK(response.tls.cipher == name);
            CHECK(response.tls.cipherId == id);
            const auto connections = server.connections();
            REQUIRE(connections.size() == 1);
            REQUIRE(response.tls.exportKcv);
            CHECK(kcvHex(*response.tls.exportKcv) ==
                  toHex(keyCheckValue(connections[0].connectionExport)));
        }
    }
}

TEST_CASE("Keep-alive: one handshake for two requests with the same key", "[tls][psk-client]") {
    sctest::PskTestServerOptions options;
    options.keys[kKmrIdentity] = vectorPsk();
    options.keys[kKbsIdentity] = vectorPsk();
    options.contentType = "application/xml";
    options.location = "/m2m/scls/device";
    sctest::PskTestServer server(options);
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;

    HttpRequest post = get(server.url("/m2m/scls"));
    post.method = "POST";
    post.body = "<scl/>";
    post.contentType = "application/xml";
    const HttpResponse first = client.perform(post, {kKmrIdentity, KeySlot::Kmr}, card);
    const HttpResponse second =
        client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card);

    CHECK(first.tls.newHandshake);
    CHECK_FALSE(second.tls.newHandshake);
    REQUIRE(client.lastHandshake());
    CHECK_FALSE(client.lastHandshake()->newHandshake);
    CHECK(client.lastHandshake()->cipher == second.tls.cipher);
    CHECK(second.tls.cipher == first.tls.cipher);
    CHECK(second.tls.cipherId == first.tls.cipherId);
    CHECK(client.counters().handshakes == 1);
    CHECK(client.counters().requests == 2);
    CHECK(client.counters().bytesSent == post.body.size());
    CHECK(card.masterSecretModes.size() == 1);
    CHECK(first.contentType == "application/xml");
    CHECK(first.location == "/m2m/scls/device");
    {
        const auto connections = server.connections();
        REQUIRE(connections.size() == 1);
        CHECK(connections[0].requests == 2);
    }

    SECTION("another identity: a new connection") {
        const HttpResponse third =
            client.perform(get(server.url()), {kKbsIdentity, KeySlot::Kbs}, card);
        CHECK(third.tls.newHandshake);
        CHECK(client.counters().handshakes == 2);
        const auto connections = server.connections();
        REQUIRE(connections.size() == 2);
        CHECK(connections[1].identity == kKbsIdentity);
    }
    SECTION("an export: a fresh handshake, even with the same key") {
        const HttpResponse third = client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr},
                                                  card, Export::Connection);
        CHECK(third.tls.newHandshake);
        REQUIRE(third.tls.exportKcv);
        const auto connections = server.connections();
        REQUIRE(connections.size() == 2);
        CHECK(kcvHex(*third.tls.exportKcv) ==
              toHex(keyCheckValue(connections[1].connectionExport)));
        // And the kept-alive connection after it is still the first one.
        const HttpResponse fourth =
            client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card);
        CHECK_FALSE(fourth.tls.newHandshake);
        CHECK(client.counters().handshakes == 2);
    }
    SECTION("closeConnections(): a new handshake") {
        client.closeConnections();
        const HttpResponse third =
            client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card);
        CHECK(third.tls.newHandshake);
        CHECK(client.counters().handshakes == 2);
    }
}

TEST_CASE(
    "A server that closes unanswered after the handshake: TransferFailed, and "
    "lastHandshake() keeps the session and the export",
    "[tls][psk-client][neg][last-handshake]") {
    auto args = pskServerArgs(vectorPsk(), kKmrIdentity);
    args.insert(args.end(),
                {"-keymatexport", std::string(kConnectionExporterLabel), "-keymatexportlen", "32"});
    tlstest::OpensslServer server(args);
    server.autoReply("q\n");  // s_server's command: end this connection, answer nothing
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;
    CHECK_FALSE(client.lastHandshake());

    try {
        client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card, Export::Connection);
        FAIL("a request without an answer succeeded");
    } catch (const TransferFailed& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find(server.url()) != std::string::npos);
    }
    REQUIRE(client.lastHandshake());
    const TlsSummary session = *client.lastHandshake();
    CHECK(session.protocol == "TLSv1.2");
    CHECK(session.cipher == "PSK-AES128-CBC-SHA256");
    CHECK(session.cipherId == 0x00AE);
    CHECK(session.newHandshake);
    CHECK(client.counters().handshakes == 1);
    // The card derived the exporter after the handshake, as it does after an answered request,
    // and it is the one the server computed.
    CHECK(card.exports == 1);
    REQUIRE(session.exportKcv);
    REQUIRE(server.waitFor("Keying material:", std::chrono::seconds(5)));
    const auto material = server.keyingMaterial();
    REQUIRE(material);
    CHECK(kcvHex(*session.exportKcv) == toHex(keyCheckValue(fromHex(*material))));

    // The next request starts afresh: one that completes no handshake leaves nothing behind.
    const std::string nowhere = "https://127.0.0.1:" + std::to_string(tlstest::freeLoopbackPort());
    CHECK_THROWS_AS(client.perform(get(nowhere), {kKmrIdentity, KeySlot::Kmr}, card),
                    ConnectFailed);
    CHECK_FALSE(client.lastHandshake());
}

TEST_CASE("A wrong key is PskRejected, and the message holds no key", "[tls][psk-client][neg]") {
    const Bytes serverKey = randomBytes(32);
    tlstest::OpensslServer server([&] {
        auto args = pskServerArgs(serverKey, kKmrIdentity);
        args.push_back("-www");
        return args;
    }());
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;
    try {
        client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card);
        FAIL("the handshake succeeded with the wrong key");
    } catch (const PskRejected& e) {
        const std::string message = e.what();
        INFO(message);
        CHECK(message.find("rejected") != std::string::npos);
        CHECK(message.find(toHex(vectorPsk())) == std::string::npos);
        CHECK(message.find(toHex(serverKey)) == std::string::npos);
        CHECK(message.find(upperHex(vectorPsk())) == std::string::npos);
    }
    CHECK(client.counters().handshakes == 0);
    CHECK_FALSE(client.lastHandshake());  // no session to speak of
}

TEST_CASE("An unknown PSK identity is PskRejected", "[tls][psk-client][neg]") {
    sctest::PskTestServerOptions options;
    options.keys["someone-else.1"] = vectorPsk();
    sctest::PskTestServer server(options);
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;
    CHECK_THROWS_AS(client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card),
                    PskRejected);
    // TLS 1.2 sends the key exchange and Finished in one flight, before the server's verdict:
    // the card has computed a master secret for nothing (one per refused attempt, no more).
    CHECK(card.masterSecretModes.size() == 1);
}

TEST_CASE("A server with certificate suites only is NoSharedCipher", "[tls][psk-client][neg]") {
    const sctest::TempDir dir;
    const auto key = (dir / "key.pem").string();
    const auto cert = (dir / "cert.pem").string();
    const auto made = sctest::runCommand(
        {sctest::findExecutable("openssl").value_or("/usr/bin/openssl").string(), "req", "-x509",
         "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
         "-out", cert, "-subj", "/CN=localhost", "-days", "1"});
    REQUIRE(made.exitCode == 0);
    tlstest::OpensslServer server({"-cert", cert, "-key", key, "-cipher",
                                   "ECDHE-ECDSA-AES128-GCM-SHA256", "-tls1_2", "-www"});
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;
    try {
        client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card);
        FAIL("a handshake with a certificate-only server succeeded");
    } catch (const NoSharedCipher& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find("PSK") != std::string::npos);
    }
    CHECK(card.masterSecretModes.empty());
}

TEST_CASE("Nothing listening is ConnectFailed", "[tls][psk-client][neg]") {
    sctest::RecordingKeyOperations card = vectorCard();
    ClientOptions options;
    options.connectTimeout = std::chrono::milliseconds(2000);
    PskHttpsClient client(options);
    const std::string url = "https://127.0.0.1:" + std::to_string(tlstest::freeLoopbackPort());
    CHECK_THROWS_AS(client.perform(get(url), {kKmrIdentity, KeySlot::Kmr}, card), ConnectFailed);
    ClientOptions unresolvable;
    unresolvable.resolve.push_back("-nowhere.invalid:443");  // a removal entry: harmless
    PskHttpsClient other(unresolvable);
    CHECK_THROWS_AS(
        other.perform(get("https://nowhere.invalid/"), {kKmrIdentity, KeySlot::Kmr}, card),
        ConnectFailed);
}

TEST_CASE("A body over the limit is ResponseTooLarge", "[tls][psk-client][neg]") {
    auto args = pskServerArgs(vectorPsk(), kKmrIdentity);
    args.push_back("-www");  // the status page is a few kilobytes
    tlstest::OpensslServer server(args);
    sctest::RecordingKeyOperations card = vectorCard();
    ClientOptions options;
    options.maxResponseBytes = 100;
    PskHttpsClient client(options);
    CHECK_THROWS_AS(client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card),
                    ResponseTooLarge);
}

TEST_CASE("The card failing inside the handshake comes out of perform()",
          "[tls][psk-client][neg]") {
    sctest::PskTestServerOptions options;
    options.keys[kKmrIdentity] = vectorPsk();
    sctest::PskTestServer server(options);
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;

    card.failNextMasterSecret =
        std::make_exception_ptr(seuicc::SedNotPersonalised(0x6985, "COMPUTE MASTER SECRET"));
    CHECK_THROWS_AS(client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card),
                    seuicc::SedNotPersonalised);
    card.failNextMasterSecret = std::make_exception_ptr(42);  // not even an exception class
    CHECK_THROWS_AS(client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card),
                    CardFailure);
    // A slot the card does not hold: the card's own error, typed.
    CHECK_THROWS_AS(client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmc}, card),
                    seuicc::SedKeyMissing);
    CHECK(client.counters().handshakes == 0);

    // Nothing is left behind: the next handshake works.
    const HttpResponse response =
        client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card);
    CHECK(response.status == 200);
    CHECK(response.tls.newHandshake);
}

TEST_CASE("An export needs the handshake of its source key", "[tls][psk-client][neg]") {
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;
    CHECK_THROWS_AS(client.perform(get("https://127.0.0.1:1/"), {kKmrIdentity, KeySlot::Kmr}, card,
                                   Export::Bootstrap),
                    std::invalid_argument);
    CHECK_THROWS_AS(client.perform(get("https://127.0.0.1:1/"), {kKbsIdentity, KeySlot::Kbs}, card,
                                   Export::Connection),
                    std::invalid_argument);
    CHECK_THROWS_AS(client.perform(get("http://127.0.0.1:1/"), {kKmrIdentity, KeySlot::Kmr}, card),
                    std::invalid_argument);
}

TEST_CASE("Terminal-side TLS1-PRF calls still go to the default provider", "[tls][psk-client]") {
    // After the card provider is preferred process-wide, tls12Prf must still give the RFC answer.
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;  // perform() loads the provider; a refused URL is enough
    CHECK_THROWS(client.perform(get("http://x/"), {kKmrIdentity, KeySlot::Kmr}, card));
    const auto handshake = sctest::loadSection("tls12-prf.json", "/handshakes/0");
    const Bytes premaster = fromHex(handshake["premaster"].get<std::string>());
    Bytes randoms = fromHex(handshake["client_random"].get<std::string>());
    const Bytes server = fromHex(handshake["server_random"].get<std::string>());
    randoms.insert(randoms.end(), server.begin(), server.end());
    CHECK(toHex(tls12Prf(premaster, "master secret", randoms, 48).view()) ==
          handshake["master_secret"].get<std::string>());
}

TEST_CASE("The tls log says what happened and holds no secret", "[tls][psk-client]") {
    sctest::PskTestServerOptions options;
    options.keys[kKmrIdentity] = vectorPsk();
    sctest::PskTestServer server(options);
    sctest::RecordingKeyOperations card = vectorCard();
    PskHttpsClient client;

    std::ostringstream captured;
    const auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
    base::log::configure("tls=trace");
    base::log::addSink(sink);
    const HttpResponse response =
        client.perform(get(server.url()), {kKmrIdentity, KeySlot::Kmr}, card, Export::Connection);
    base::log::removeSink(sink);
    base::log::configure("*=info");

    const std::string log = captured.str();
    INFO(log);
    CHECK(log.find("handshake done") != std::string::npos);
    CHECK(log.find("cipher=PSK-AES128-CBC-SHA256") != std::string::npos);
    CHECK(log.find("identity=" + kKmrIdentity) != std::string::npos);
    for (const Bytes& secret :
         {vectorPsk(), card.lastMasterSecret(), server.connections().at(0).connectionExport}) {
        CHECK(log.find(toHex(secret)) == std::string::npos);
        CHECK(log.find(upperHex(secret)) == std::string::npos);
    }
    CHECK(response.tls.exportKcv);
}
