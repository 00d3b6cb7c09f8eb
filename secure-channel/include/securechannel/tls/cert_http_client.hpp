// Plain HTTP, or HTTPS that authenticates the server by its certificate (TLS as libcurl and
// OpenSSL default it, not the PSK profile of psk_https_client.hpp): for a server that holds no
// key of the card, GBA's BSF on Ub.
//
// The same transfer core as PskHttpsClient (src/tls/curl_easy.hpp): one libcurl easy handle whose
// kept-alive connection serves the requests that follow, never a proxy from the environment,
// HTTP/1.1, the client's timeouts, --resolve entries and body limit; redirects are not followed.
// HTTP statuses are returned, not thrown; transport failures are the TlsError types of
// https_client.hpp with the same mapping: ConnectFailed, ResponseTooLarge or TransferFailed (a
// certificate that does not verify is a TransferFailed).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "securechannel/tls/https_client.hpp"

namespace securechannel::tls {

struct CertClientOptions {
    // curl CURLOPT_RESOLVE entries "host:port:address": the lab network's names on loopback.
    std::vector<std::string> resolve;
    std::chrono::milliseconds connectTimeout{5000};
    std::chrono::milliseconds timeout{15000};
    std::size_t maxResponseBytes = 256 * 1024;
    // HTTPS: CA certificates (PEM file) the server's certificate must chain to; empty = the
    // system's. The host name is always checked.
    std::string caFile;
};

class CertHttpClient {
public:
    explicit CertHttpClient(CertClientOptions options = {});
    ~CertHttpClient();
    CertHttpClient(const CertHttpClient&) = delete;
    CertHttpClient& operator=(const CertHttpClient&) = delete;

    // One request to an http:// or https:// URL. The response's `tls` stays empty.
    HttpResponse perform(const HttpRequest& request);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace securechannel::tls
