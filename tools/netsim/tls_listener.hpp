// One TLS-PSK listener on loopback: TLS 1.2 only, the PSK suites the agent offers, no
// certificate. The PSK callback looks the client's identity up in one key table (Kbs, Kmr or
// Kmc: the identities of Kmr and Kmc look alike, so the port decides); an unknown, revoked or
// expired identity makes OpenSSL answer unknown_psk_identity. Each accepted connection gets a
// thread that runs the session handler until the peer leaves, goes idle, or the server stops.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store.hpp"

namespace netsim {

inline constexpr const char* kPskCipherList =
    "PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA";

// "127.0.0.1:8441", "[::1]:0", "localhost:8441"; StoreError-like std::invalid_argument for
// anything that is not a loopback address.
struct ListenAddress {
    std::string host;  // numeric
    std::uint16_t port = 0;
    bool ipv6 = false;
};
[[nodiscard]] ListenAddress parseLoopbackAddress(const std::string& text);

// A handshaken TLS session, as the HTTP side sees it.
class TlsSession {
public:
    TlsSession(SSL* ssl, std::string identity, std::string nodeId)
        : ssl_(ssl), identity_(std::move(identity)), nodeId_(std::move(nodeId)) {}
    [[nodiscard]] SSL* ssl() const { return ssl_; }
    [[nodiscard]] const std::string& identity() const { return identity_; }
    [[nodiscard]] const std::string& nodeId() const { return nodeId_; }
    // > 0 bytes, 0 at a clean close, < 0 on timeout or error.
    long read(char* buffer, std::size_t size);
    bool writeAll(std::string_view data);

private:
    SSL* ssl_;
    std::string identity_;
    std::string nodeId_;
};

class TlsListener {
public:
    using Handler = std::function<void(TlsSession&)>;

    TlsListener(Store& store, Endpoint endpoint, KeyKind keys, const ListenAddress& address,
                std::chrono::seconds idleTimeout, Handler handler);
    TlsListener(const TlsListener&) = delete;
    TlsListener& operator=(const TlsListener&) = delete;
    ~TlsListener();

    [[nodiscard]] std::uint16_t port() const { return port_; }
    void start();
    // Stops accepting, ends every open connection, and joins their threads.
    void stop();

private:
    struct Connection {
        int fd = -1;
        std::thread thread;
        std::atomic<bool> done{false};
    };
    static unsigned int pskCallback(SSL* ssl, const char* identity, unsigned char* psk,
                                    unsigned int maxPskLength);
    void acceptLoop();
    void serve(Connection& connection);
    void reap(bool all);

    Store& store_;
    Endpoint endpoint_;
    KeyKind keys_;
    std::chrono::seconds idleTimeout_;
    Handler handler_;
    SSL_CTX* ctx_ = nullptr;
    int listenFd_ = -1;
    int wakePipe_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::thread acceptThread_;
    std::atomic<bool> stopping_{false};
    std::mutex connectionsMutex_;
    std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace netsim
