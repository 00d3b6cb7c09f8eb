#include "securechannel/tls/cert_http_client.hpp"

#include <stdexcept>
#include <utility>

#include "base/log.hpp"
#include "curl_easy.hpp"
#include "transfer.hpp"
#include "transfer_errors.hpp"

namespace securechannel::tls {

struct CertHttpClient::Impl {
    CertClientOptions options;
    std::unique_ptr<detail::CurlEasy> easy;  // its kept-alive connection serves the next request
};

CertHttpClient::CertHttpClient(CertClientOptions options)
    : impl_(std::make_unique<Impl>(Impl{std::move(options), {}})) {}

CertHttpClient::~CertHttpClient() = default;

HttpResponse CertHttpClient::perform(const HttpRequest& request) {
    if (!request.url.starts_with("http://") && !request.url.starts_with("https://")) {
        throw std::invalid_argument("CertHttpClient: only http:// and https:// URLs, got " +
                                    request.url);
    }
    Impl& impl = *impl_;
    if (!impl.easy) {
        impl.easy = std::make_unique<detail::CurlEasy>(impl.options);
    }
    detail::Transfer t;
    t.maxBody = impl.options.maxResponseBytes;
    const CURLcode code = impl.easy->perform(request, false, t);
    if (code != CURLE_OK) {
        const std::string curlText = impl.easy->errorText();
        const bool connected = impl.easy->connected();
        impl.easy.reset();  // the handle's connection is of no further use
        detail::throwTransferError(t, code, request.url, curlText, connected);
    }
    HttpResponse response = impl.easy->response(t);
    base::log::kTls->debug("{} {} -> {}", request.method, request.url, response.status);
    return response;
}

}  // namespace securechannel::tls
