// An HTTPS server on TLS 1.2 PSK, on cpp-httplib: the lab network's endpoints and the TLS
// client's in-test server are each one of these. TLS 1.2 only, PSK suites only (no certificate
// unless a test installs one), no session resumption or tickets, no renegotiation; the PSK
// callback asks the server's key lookup for the client's identity (an unknown one makes OpenSSL
// answer unknown_psk_identity). Keys pass only through base::SecretBuffer and are never logged.
//
// Resources are bounded: a fixed number of workers, a bounded backlog (a connection beyond it is
// closed at once, without a handshake), deadlines for the handshake and each request enforced by
// a watchdog, a byte cap per request, and the strict HTTP/1.1 subset of http_rules.hpp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <httplib.h>

#include "base/error.hpp"
#include "base/secret.hpp"
#include "securechannel/tls/server/connection_watchdog.hpp"
#include "securechannel/tls/server/psk_connection.hpp"

namespace securechannel::tls::server {

inline constexpr const char* kPskCipherList =
    "PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA";

class PskServerError : public base::Error {
public:
    using base::Error::Error;
};

// The key a PSK identity names, and whose it is.
struct PskKey {
    std::string owner;
    base::SecretBuffer key;
};
// nullopt: the identity is unknown (or its key revoked, expired, superseded). `cipherSuite` is
// the suite the server has chosen (TLS 1.2 asks for the PSK after ServerHello): a GBA NAF's key
// depends on it (TS 33.220 Annex H, NAF_Id 01 00 01 yy zz).
using PskLookup =
    std::function<std::optional<PskKey>(const std::string& identity, std::uint16_t cipherSuite)>;

struct PskServerLimits {
    std::size_t workers = 8;   // connections served at once
    std::size_t backlog = 16;  // accepted connections waiting for a worker; beyond: refused
    std::chrono::milliseconds handshakeTimeout{10'000};
    std::chrono::milliseconds requestTimeout{10'000};  // head and body from the first byte
    std::chrono::milliseconds idleTimeout{30'000};     // a kept-alive connection between requests
    std::size_t maxHeadBytes = 8 * 1024;               // -> 431
    std::size_t maxBodyBytes = 64 * 1024;              // -> 413
};

// Called on the connection's worker (refused: on the accepting thread); they may block briefly.
struct PskServerEvents {
    std::function<void(const PskConnection&)> handshake;
    std::function<void(const PskConnection&, const std::string& reason)> handshakeFailed;
    // No worker free and the backlog full: `count` connections were closed before their
    // handshake. Reported from the watchdog's thread about ten times a second at most, so that
    // the accepting thread spends nothing but the close on a flood.
    std::function<void(std::size_t count)> refused;
    // A handshaken connection the server ended because a deadline passed or a request was too
    // large (`reason` says which).
    std::function<void(const PskConnection&, const std::string& reason)> cutOff;
    // Each answer, just before it is written (so that what a client sees has been counted and
    // logged); not for a request left unanswered.
    std::function<void(const httplib::Request&, const httplib::Response&, const PskConnection&)>
        answering;
};

// Every request that passes the HTTP rules, its body read, whatever its method or path.
using PskHandler = std::function<void(const httplib::Request&, httplib::Response&, PskConnection&)>;

struct PskServerConfig {
    std::string host = "127.0.0.1";  // numeric
    std::uint16_t port = 0;          // 0: the OS picks
    std::string cipherList = kPskCipherList;
    bool extendedMasterSecret = true;  // false: a client must cope with the plain master secret
    // Extra context setup after the standard one (a test installs a certificate).
    std::function<bool(SSL_CTX&)> configureContext;
    PskServerLimits limits;
    PskLookup lookup;
    PskHandler handler;
    PskServerEvents events;
};

class PskServer {
public:
    // Sets up TLS, binds and serves (PskServerError if TLS or the address fail).
    explicit PskServer(PskServerConfig config);
    PskServer(const PskServer&) = delete;
    PskServer& operator=(const PskServer&) = delete;
    ~PskServer();

    [[nodiscard]] std::uint16_t port() const { return port_; }
    // Stops accepting, ends every open connection and joins every thread. Idempotent.
    void stop();

private:
    // The PskConnection of an SSL, in its ex_data slot (freed with the SSL).
    static int connectionIndex();
    static PskConnection* connectionOf(const SSL* ssl);
    static unsigned int pskCallback(SSL* ssl, const char* identity, unsigned char* psk,
                                    unsigned int maxPskLength);
    static int clientHelloCallback(SSL* ssl, int* alert, void* arg);
    static void infoCallback(const SSL* ssl, int where, int value);
    static void messageCallback(int writing, int version, int contentType, const void* data,
                                std::size_t length, SSL* ssl, void* arg);
    static void freeConnection(void* parent, void* connection, CRYPTO_EX_DATA* data, int index,
                               long argl, void* argp);

    bool setUpContext(SSL_CTX& ctx);
    void setUpHttp();
    void connectionStarts(SSL* ssl);
    void handshakeDone(PskConnection& connection);
    void runConnection(std::function<void()>& task, bool refused);
    void report(const PskConnection& connection);
    void reportRefusals();
    // Refuses a head outside the HTTP rules; true if `response` now holds the refusal.
    bool refuseHead(const httplib::Request& request, httplib::Response& response,
                    PskConnection& connection);
    httplib::Server::HandlerResponse onError(const httplib::Request& request,
                                             httplib::Response& response);
    void onAnswering(const httplib::Request& request, const httplib::Response& response);
    void onAnswered();

    PskServerConfig config_;
    ConnectionWatchdog watchdog_;
    // The workers, started by the constructor, handed over when httplib asks for its queue: a
    // failure to start them (a process limit) is then the constructor's error, not an exception
    // on the listening thread that would end the process.
    std::unique_ptr<httplib::TaskQueue> queue_;
    std::unique_ptr<httplib::SSLServer> http_;
    std::uint16_t port_ = 0;
    std::thread listener_;
    int listenFd_ = -1;
    std::atomic<std::size_t> refusals_{0};  // not reported yet
    std::atomic<bool> listenerDone_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> stopped_{false};
};

}  // namespace securechannel::tls::server
