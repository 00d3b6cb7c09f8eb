// A small TLS 1.2 PSK HTTPS server on a thread of the test, for what `openssl s_server` cannot
// do: HTTP keep-alive (several requests on one connection), refusing an unknown PSK identity,
// turning the extended master secret off, and reporting what the client offered (cipher suites,
// SNI) and the exporters of each connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "securechannel/types.hpp"

namespace sctest {

struct PskTestServerOptions {
    std::map<std::string, base::Bytes> keys;  // identity -> PSK
    bool extendedMasterSecret = true;
    std::string cipherList = "PSK";
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

private:
    void run();
    void serve(int fd);

    PskTestServerOptions options_;
    int listenFd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::vector<ServedConnection> connections_;
    std::thread thread_;
};

}  // namespace sctest
