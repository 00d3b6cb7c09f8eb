// HTTPS over TLS 1.2 PSK with card-held keys (security-profile.md §3), on libcurl + OpenSSL.
//
// The PSK callback hands OpenSSL an opaque per-handshake handle instead of a key; a small
// in-process OpenSSL provider (card_prf_provider.hpp) recognises the handle's premaster in the
// TLS1-PRF derivation of the master secret and asks the card (CardKeyOperations) for it. Every
// other derivation goes to OpenSSL's default provider.
//
// TLS settings (fixed, never configurable): TLS 1.2 only; PSK suites only, 0x00AE and 0x00A8
// first, 0x008C last; no certificate suite in the list; SNI = the URL's host name.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "securechannel/errors.hpp"
#include "securechannel/tls/card_keys.hpp"

namespace securechannel::tls {

// Errors of a request. Messages never contain key material.
//
//   TlsError
//   ├── ConnectFailed        no TCP connection (refused, unreachable, DNS, connect timeout)
//   ├── HandshakeFailed      the TLS handshake did not complete
//   │   ├── PskRejected        the server refused the PSK identity or the key (alert
//   │   │                      unknown_psk_identity, decrypt_error, bad_record_mac,
//   │   │                      handshake_failure after the client key exchange)
//   │   └── NoSharedCipher     the server offers no PSK suite (e.g. certificate suites only)
//   ├── CardFailure          the card side of the handshake failed (the nested card error's
//   │                        message is kept; the original exception is rethrown where possible)
//   ├── ResponseTooLarge     the body exceeded ClientOptions::maxResponseBytes
//   └── TransferFailed       anything else libcurl reports (timeout, connection reset mid-body)
class TlsError : public Error {
public:
    using Error::Error;
};
class ConnectFailed : public TlsError {
public:
    using TlsError::TlsError;
};
class HandshakeFailed : public TlsError {
public:
    using TlsError::TlsError;
};
class PskRejected : public HandshakeFailed {
public:
    using HandshakeFailed::HandshakeFailed;
};
class NoSharedCipher : public HandshakeFailed {
public:
    using HandshakeFailed::HandshakeFailed;
};
class CardFailure : public TlsError {
public:
    using TlsError::TlsError;
};
class ResponseTooLarge : public TlsError {
public:
    using TlsError::TlsError;
};
class TransferFailed : public TlsError {
public:
    using TlsError::TlsError;
};

// Which card-held key a request uses.
struct PskKey {
    std::string identity;  // security-profile §3: "<hex node id>.<index>" or ".bootstrap"
    seuicc::KeySlot slot;
};

// After the handshake, have the card compute an exporter into one of its key slots.
enum class Export {
    None,
    Bootstrap,   // "EXPORTER-ETSI-TC-M2M-Bootstrap"  -> pending Kmr (needs a Kbs handshake)
    Connection,  // "EXPORTER-ETSI-TC-M2M-Connection" -> pending Kmc (needs a Kmr handshake)
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;  // https://host[:port]/path
    std::string body;
    std::string contentType;  // sent when the body is not empty
};

struct TlsSummary {
    std::string protocol;                            // "TLSv1.2"
    std::string cipher;                              // OpenSSL name, e.g. "PSK-AES128-CBC-SHA256"
    std::uint16_t cipherId = 0;                      // IANA value, e.g. 0x00AE
    bool newHandshake = false;                       // false: a kept-alive connection was reused
    std::optional<seuicc::KeyCheckValue> exportKcv;  // with Export::Bootstrap/Connection
};

struct HttpResponse {
    long status = 0;
    std::string contentType;
    std::string location;  // the Location header, if any
    std::string body;
    TlsSummary tls;
};

struct ClientOptions {
    // curl CURLOPT_RESOLVE entries "host:port:address": the lab network's names on loopback.
    std::vector<std::string> resolve;
    std::chrono::milliseconds connectTimeout{5000};
    std::chrono::milliseconds timeout{15000};
    std::size_t maxResponseBytes = 256 * 1024;
};

struct ClientCounters {
    std::uint64_t requests = 0;
    std::uint64_t handshakes = 0;  // full handshakes (each one master secret from the card)
    std::uint64_t bytesSent = 0;   // HTTP bodies
    std::uint64_t bytesReceived = 0;
    ClientCounters& operator+=(const ClientCounters& other);
};

class PskHttpsClient {
public:
    explicit PskHttpsClient(ClientOptions options = {});
    ~PskHttpsClient();
    PskHttpsClient(const PskHttpsClient&) = delete;
    PskHttpsClient& operator=(const PskHttpsClient&) = delete;

    // One request under `key`; `card` does the card's part of a handshake (called from inside
    // the transfer). A kept-alive connection opened with the same identity and slot is reused;
    // with `exportTo` other than None a fresh handshake is forced and, after it, the card
    // derives the exported key (its KCV is in tls.exportKcv). HTTP error statuses are returned,
    // not thrown.
    HttpResponse perform(const HttpRequest& request, const PskKey& key, CardKeyOperations& card,
                         Export exportTo = Export::None);

    // Drops kept-alive connections (after the key behind an identity changed).
    void closeConnections();

    [[nodiscard]] const ClientCounters& counters() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace securechannel::tls
