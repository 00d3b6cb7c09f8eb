// CertHttpClient, the plain-HTTP (and certificate-HTTPS) client on the PSK client's transfer core,
// against cpp-httplib on loopback: request headers go out, every response header comes back in
// order with lowercase names, statuses are returned, and the transport errors are the ones
// PskHttpsClient maps (ConnectFailed, ResponseTooLarge).
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <httplib.h>

#include <catch2/catch.hpp>

#include "securechannel/tls/cert_http_client.hpp"

using namespace securechannel::tls;

namespace {

class Server {
public:
    Server() {
        server_.Get("/r", [this](const httplib::Request& req, httplib::Response& res) {
            seenAuthorization = req.get_header_value("Authorization");
            seenUserAgent = req.get_header_value("User-Agent");
            res.status = 401;
            res.headers.emplace("WWW-Authenticate", "Basic realm=\"a\"");
            res.headers.emplace("WWW-Authenticate", "Digest realm=\"b\"");
            res.set_content("hello", "text/plain");
        });
        server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(std::string(4096, 'x'), "text/plain");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        REQUIRE(port_ > 0);
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    ~Server() {
        server_.stop();
        thread_.join();
    }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    [[nodiscard]] std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

    std::string seenAuthorization;
    std::string seenUserAgent;

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace

TEST_CASE("CertHttpClient: headers both ways, a status is returned", "[cert-http-client]") {
    Server server;
    CertHttpClient client;
    HttpRequest request;
    request.url = server.url("/r");
    request.headers = {"Authorization: Digest x=\"1\"", "User-Agent: test; 3gpp-gba"};
    const HttpResponse response = client.perform(request);
    CHECK(response.status == 401);
    CHECK(response.body == "hello");
    CHECK(response.contentType == "text/plain");
    CHECK(response.all("www-authenticate") ==
          std::vector<std::string>{"Basic realm=\"a\"", "Digest realm=\"b\""});
    CHECK(server.seenAuthorization == "Digest x=\"1\"");
    CHECK(server.seenUserAgent == "test; 3gpp-gba");
    // The kept-alive handle serves the next request.
    CHECK(client.perform(request).status == 401);
}

TEST_CASE("CertHttpClient: transport failures are the TLS client's errors", "[cert-http-client]") {
    CertClientOptions options;
    options.maxResponseBytes = 1024;
    HttpRequest request;
    SECTION("a body over the limit") {
        Server server;
        CertHttpClient client(options);
        request.url = server.url("/big");
        CHECK_THROWS_AS(client.perform(request), ResponseTooLarge);
    }
    SECTION("nobody listening") {
        {
            Server server;
            request.url = server.url("/r");
        }
        CertHttpClient client(options);
        CHECK_THROWS_AS(client.perform(request), ConnectFailed);
    }
    SECTION("not http or https") {
        CertHttpClient client(options);
        request.url = "ftp://127.0.0.1/";
        CHECK_THROWS_AS(client.perform(request), std::invalid_argument);
    }
}
