// The in-test TLS-PSK server (the lab network's server component) from the card-held-PSK
// client's side: its certificate-only variant, its count of refused handshakes, and that it
// stops at once with a kept-alive connection open.
#include <chrono>
#include <map>

#include <catch2/catch.hpp>

#include "psk_test_server.hpp"
#include "recording_keys.hpp"
#include "securechannel/tls/psk_https_client.hpp"
#include "test_support.hpp"

using namespace securechannel::tls;
using seuicc::KeySlot;

namespace {

const std::string kIdentity = "00112233445566778899aabbccddeeff.7";
const base::Bytes kKey =
    sctest::fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

// A "card" holding `kKey` as Kmr.
sctest::RecordingKeyOperations kmrCard() {
    std::map<KeySlot, base::SecretBuffer> keys;
    keys.emplace(KeySlot::Kmr, base::SecretBuffer::copyOf(kKey));
    return sctest::RecordingKeyOperations(std::move(keys));
}

HttpRequest get(const std::string& url) {
    HttpRequest request;
    request.url = url;
    return request;
}

}  // namespace

TEST_CASE("The in-test server with certificate suites only is NoSharedCipher",
          "[tls][psk-server][neg]") {
    sctest::PskTestServerOptions options;
    options.certificateOnly = true;
    sctest::PskTestServer server(options);
    sctest::RecordingKeyOperations card = kmrCard();
    PskHttpsClient client;
    CHECK_THROWS_AS(client.perform(get(server.url()), {kIdentity, KeySlot::Kmr}, card),
                    NoSharedCipher);
    CHECK(card.masterSecretModes.empty());
    CHECK(server.connections().empty());
}

TEST_CASE("The in-test server counts refused handshakes and stops with a connection open",
          "[tls][psk-server]") {
    sctest::RecordingKeyOperations card = kmrCard();
    PskHttpsClient client;
    auto server = std::make_unique<sctest::PskTestServer>(sctest::PskTestServerOptions{});
    CHECK_THROWS_AS(client.perform(get(server->url()), {kIdentity, KeySlot::Kmr}, card),
                    PskRejected);
    CHECK(server->handshakeFailures(1) == 1);

    sctest::PskTestServerOptions options;
    options.keys[kIdentity] = kKey;
    server = std::make_unique<sctest::PskTestServer>(options);
    CHECK(client.perform(get(server->url()), {kIdentity, KeySlot::Kmr}, card).status == 200);
    // The client keeps the connection; the server ends it instead of waiting out its idle
    // timeout (30 s).
    const auto before = std::chrono::steady_clock::now();
    server.reset();
    CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(5));
}
