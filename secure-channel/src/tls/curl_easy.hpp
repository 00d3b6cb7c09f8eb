// One libcurl easy handle and the HTTP request and response around it: the transfer core of both
// clients, PskHttpsClient and CertHttpClient. Private to src/tls/.
//
// Options of both: never a proxy from the environment, HTTP/1.1, no redirects followed, the
// client's timeouts, --resolve entries and body limit, every response header collected into the
// Transfer (transfer.hpp). Its kept-alive connections live and die with the handle.
//
// The PSK profile adds: HTTPS only, TLS 1.2 with the PSK suites of tls_profile.hpp, no
// certificate check (PSK suites carry none), no TLS session cache (every new connection is a full
// handshake with the card), the SSL_CTX hook of ssl_context.hpp. One such handle serves one PSK
// identity (curl picks a cached connection by host and port only).
//
// The certificate profile: http or https, the server's certificate and host name verified
// against the system's CAs or the given file.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <curl/curl.h>

#include "securechannel/tls/cert_http_client.hpp"
#include "securechannel/tls/https_client.hpp"

namespace securechannel::tls::detail {

struct Transfer;

class CurlEasy {
public:
    // The PSK profile.
    explicit CurlEasy(const ClientOptions& options);
    // The certificate profile (or plain HTTP).
    explicit CurlEasy(const CertClientOptions& options);
    ~CurlEasy();
    // The SSL_CTX of each connection points at current_: the object must not move.
    CurlEasy(const CurlEasy&) = delete;
    CurlEasy& operator=(const CurlEasy&) = delete;

    // Runs `request`; the OpenSSL and curl callbacks write what they see into `transfer`. With
    // `fresh`, a new connection is opened and not kept afterwards (a handshake of its own, for
    // an export).
    CURLcode perform(const HttpRequest& request, bool fresh, Transfer& transfer);

    // About the last perform(): the HTTP status, whether a TCP connection was made, and curl's
    // own message (may be empty).
    [[nodiscard]] long responseStatus() const;
    [[nodiscard]] bool connected() const;
    [[nodiscard]] std::string errorText() const;

    // The response of the last perform(), which returned CURLE_OK: its status and what
    // `transfer` collected (moved out of it). `tls` is left empty.
    [[nodiscard]] HttpResponse response(Transfer& transfer) const;

private:
    // What both profiles share; the public constructors add their own options.
    CurlEasy(const char* protocols, const std::vector<std::string>& resolve,
             std::chrono::milliseconds connectTimeout, std::chrono::milliseconds timeout,
             std::size_t maxResponseBytes);

    struct ListDeleter {
        void operator()(curl_slist* list) const { curl_slist_free_all(list); }
    };
    using List = std::unique_ptr<curl_slist, ListDeleter>;
    static void append(List& list, const std::string& line);

    CURL* easy_ = nullptr;
    List resolve_;
    Transfer* current_ = nullptr;  // the transfer running now
    std::array<char, CURL_ERROR_SIZE> errorBuffer_{};
};

}  // namespace securechannel::tls::detail
