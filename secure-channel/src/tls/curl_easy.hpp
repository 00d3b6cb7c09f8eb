// One libcurl easy handle, set up for the TLS profile, and the HTTP request and response around
// it. Private to src/tls/.
//
// Fixed options: HTTPS only, never a proxy from the environment, HTTP/1.1, TLS 1.2 with the PSK
// suites of tls_profile.hpp, no certificate check (PSK suites carry none), no TLS session cache
// (every new connection is a full handshake with the card), the SSL_CTX hook of ssl_context.hpp,
// the client's timeouts, --resolve entries and body limit. Its kept-alive connections live and
// die with the handle, so one handle serves one PSK identity (curl picks a cached connection by
// host and port only).
#pragma once

#include <array>
#include <memory>
#include <string>

#include <curl/curl.h>

#include "securechannel/tls/https_client.hpp"

namespace securechannel::tls::detail {

struct Transfer;

class CurlEasy {
public:
    explicit CurlEasy(const ClientOptions& options);
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

private:
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
