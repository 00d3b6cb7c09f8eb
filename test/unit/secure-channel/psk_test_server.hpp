// A small TLS 1.2 PSK HTTPS server in the test process, for what `openssl s_server` cannot do:
// HTTP keep-alive (several requests on one connection), refusing an unknown PSK identity,
// turning the extended master secret off, and reporting what the client offered (cipher suites,
// SNI) and the exporters of each connection. It is the lab network's server component
// (securechannel/tls/server/psk_server.hpp) with a table of keys and one fixed answer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "securechannel/types.hpp"

namespace securechannel::tls::server {
class PskServer;
}

namespace sctest {

struct PskTestServerOptions {
    std::map<std::string, base::Bytes> keys;  // identity -> PSK
    bool extendedMasterSecret = true;
    std::string cipherList = "PSK";
    // A server with a certificate and certificate suites only (no PSK): a PSK-only client finds
    // no suite to share.
    bool certificateOnly = false;
    std::string responseBody = "ok";
    std::string contentType = "text/plain";
    std::string location;  // sent as Location when not empty
};

struct ServedConnection {
    std::vector<std::uint16_t> offeredCiphers;  // from the ClientHello, in order
    std::string serverName;                     // SNI, empty if none
    std::string identity;
    std::string cipher;
    bool extendedMasterSecret = false;
    unsigned requests = 0;
    base::Bytes bootstrapExport;   // EXPORTER-ETSI-TC-M2M-Bootstrap, 32 bytes
    base::Bytes connectionExport;  // EXPORTER-ETSI-TC-M2M-Connection, 32 bytes
};

class PskTestServer {
public:
    explicit PskTestServer(PskTestServerOptions options);
    ~PskTestServer();
    PskTestServer(const PskTestServer&) = delete;
    PskTestServer& operator=(const PskTestServer&) = delete;

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string url(const std::string& path = "/") const;
    // Connections whose handshake completed, oldest first.
    [[nodiscard]] std::vector<ServedConnection> connections() const;
    // Handshakes that failed (an unknown identity, a wrong key, no shared suite), once at least
    // `atLeast` have, or after `timeout`: the server notes a failure on its own thread, after
    // the client already has the alert.
    [[nodiscard]] unsigned handshakeFailures(
        unsigned atLeast = 0, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

private:
    PskTestServerOptions options_;
    mutable std::mutex mutex_;
    mutable std::condition_variable failed_;
    std::vector<ServedConnection> connections_;
    std::map<std::uint64_t, std::size_t> indexOf_;  // PskConnection::id() -> connections_
    unsigned handshakeFailures_ = 0;
    std::unique_ptr<securechannel::tls::server::PskServer> server_;
    int port_ = 0;
};

}  // namespace sctest
