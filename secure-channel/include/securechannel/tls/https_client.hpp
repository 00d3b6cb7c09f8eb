// HTTPS with a card-held pre-shared key, as the procedures (bootstrap, service connection, mId)
// see it: a request under a PSK identity, the card doing its part of each handshake. The real
// client is PskHttpsClient (libcurl + OpenSSL + the card PRF provider); the agent's unit tests
// put a scripted one in its place.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
    std::string url;  // https://host[:port]/path (CertHttpClient: also http://)
    std::string body;
    std::string contentType;           // sent when the body is not empty
    std::vector<std::string> headers;  // further request headers, "Name: value"
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
    std::string contentType;  // the last Content-Type header, if any
    std::string location;     // the last Location header, if any
    // Every header of the final response (after a 100 Continue, say), names lowercase, values
    // trimmed, obsolete line folding joined (RFC 9112 §5.2), in the order received.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    TlsSummary tls;  // PskHttpsClient only

    // The values of every header called `name` (lowercase), in order.
    [[nodiscard]] std::vector<std::string> all(std::string_view name) const;
};

struct ClientOptions {
    // curl CURLOPT_RESOLVE entries "host:port:address": the lab network's names on loopback.
    std::vector<std::string> resolve;
    std::chrono::milliseconds connectTimeout{5000};
    std::chrono::milliseconds timeout{15000};
    std::size_t maxResponseBytes = 256 * 1024;
    // Offer this one suite of the profile's PSK list instead of the whole list: GBA's Ua, where
    // the key (Ks_ext_NAF) depends on the suite through the NAF_Id and must be known before the
    // handshake (TS 33.220 Annex H). Any other value is refused by the client's constructor.
    std::optional<std::uint16_t> onlyCipherSuite;
};

struct ClientCounters {
    std::uint64_t requests = 0;
    std::uint64_t handshakes = 0;  // full handshakes (each one master secret from the card)
    std::uint64_t bytesSent = 0;   // HTTP bodies
    std::uint64_t bytesReceived = 0;
    ClientCounters& operator+=(const ClientCounters& other);
};

class HttpsClient {
public:
    HttpsClient() = default;
    virtual ~HttpsClient() = default;
    HttpsClient(const HttpsClient&) = delete;
    HttpsClient& operator=(const HttpsClient&) = delete;

    // One request under `key`; `card` does the card's part of a handshake (called from inside
    // the transfer). A kept-alive connection opened with the same identity and slot is reused;
    // with `exportTo` other than None a fresh handshake is forced and, after it, the card
    // derives the exported key (its KCV is in tls.exportKcv). HTTP error statuses are returned,
    // not thrown; everything else is a TlsError (or the card's own error, rethrown).
    virtual HttpResponse perform(const HttpRequest& request, const PskKey& key,
                                 CardKeyOperations& card, Export exportTo = Export::None) = 0;

    // Drops kept-alive connections (after the key behind an identity changed).
    virtual void closeConnections() = 0;

    [[nodiscard]] virtual const ClientCounters& counters() const = 0;
};

}  // namespace securechannel::tls
