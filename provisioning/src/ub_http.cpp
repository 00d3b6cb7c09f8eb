#include "ub_http.hpp"

#include <memory>
#include <new>

#include "base/text.hpp"
#include "securechannel/tls/https_client.hpp"

namespace provisioning {

namespace tls = securechannel::tls;

namespace {

struct Collected {
    UbResponse response;
    std::size_t maxBody = 0;
    bool tooLarge = false;
};

void check(CURLcode code, const char* what) {
    if (code != CURLE_OK) {
        throw tls::TransferFailed(std::string("Ub: curl_easy_setopt(") + what +
                                  "): " + curl_easy_strerror(code));
    }
}

std::size_t writeCallback(char* data, std::size_t size, std::size_t count, void* userdata) {
    auto* c = static_cast<Collected*>(userdata);
    const std::size_t n = size * count;
    if (c->response.body.size() + n > c->maxBody) {
        c->tooLarge = true;
        return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    c->response.body.append(data, n);
    return n;
}

std::size_t headerCallback(char* data, std::size_t size, std::size_t count, void* userdata) {
    auto* c = static_cast<Collected*>(userdata);
    const std::size_t n = size * count;
    std::string_view line(data, n);
    while (line.ends_with('\n') || line.ends_with('\r')) {
        line.remove_suffix(1);
    }
    if (line.starts_with("HTTP/")) {  // a new response: only the last one's headers count
        c->response.headers.clear();
        return n;
    }
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
        // Obsolete line folding (RFC 9112 §5.2): the continuation joins the previous value.
        if (!c->response.headers.empty()) {
            c->response.headers.back().second += ' ';
            c->response.headers.back().second += base::trim(line);
        }
        return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return n;
    }
    c->response.headers.emplace_back(base::toLower(base::trim(line.substr(0, colon))),
                                     std::string(base::trim(line.substr(colon + 1))));
    return n;
}

}  // namespace

std::vector<std::string> UbResponse::all(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [key, value] : headers) {
        if (key == name) {
            values.push_back(value);
        }
    }
    return values;
}

void UbClient::Http::append(List& list, const std::string& line) {
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (grown == nullptr) {
        throw std::bad_alloc();
    }
    (void)list.release();  // now part of `grown`
    list.reset(grown);
}

UbClient::Http::Http(const UbClientOptions& options) : maxBody_(options.maxResponseBytes) {
    for (const auto& entry : options.resolve) {
        append(resolve_, entry);
    }
    easy_ = curl_easy_init();
    if (easy_ == nullptr) {
        throw tls::TransferFailed("Ub: curl_easy_init failed");
    }
    try {
        check(curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https"), "PROTOCOLS_STR");
        check(curl_easy_setopt(easy_, CURLOPT_PROXY, ""), "PROXY");  // never via a proxy from env
        check(curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L), "NOSIGNAL");
        check(curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L), "FOLLOWLOCATION");
        check(curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_1_1}),
              "HTTP_VERSION");
        // HTTPS: the BSF proves itself with a certificate (the only TLS the Ub has).
        check(curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 1L), "SSL_VERIFYPEER");
        check(curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 2L), "SSL_VERIFYHOST");
        if (!options.caFile.empty()) {
            check(curl_easy_setopt(easy_, CURLOPT_CAINFO, options.caFile.c_str()), "CAINFO");
        }
        check(curl_easy_setopt(easy_, CURLOPT_USERAGENT, options.userAgent.c_str()), "USERAGENT");
        check(curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS,
                               static_cast<long>(options.connectTimeout.count())),
              "CONNECTTIMEOUT_MS");
        check(
            curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count())),
            "TIMEOUT_MS");
        if (resolve_) {
            check(curl_easy_setopt(easy_, CURLOPT_RESOLVE, resolve_.get()), "RESOLVE");
        }
        check(curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, errorBuffer_.data()), "ERRORBUFFER");
        check(curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &writeCallback), "WRITEFUNCTION");
        check(curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &headerCallback), "HEADERFUNCTION");
        check(curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L), "HTTPGET");
    } catch (...) {
        curl_easy_cleanup(easy_);
        throw;
    }
}

UbClient::Http::~Http() {
    curl_easy_cleanup(easy_);
}

UbResponse UbClient::Http::get(const std::string& url, const std::vector<std::string>& headers) {
    List list;
    for (const auto& header : headers) {
        append(list, header);
    }
    Collected collected;
    collected.maxBody = maxBody_;
    errorBuffer_[0] = '\0';
    check(curl_easy_setopt(easy_, CURLOPT_URL, url.c_str()), "URL");
    check(curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, list.get()), "HTTPHEADER");
    check(curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &collected), "WRITEDATA");
    check(curl_easy_setopt(easy_, CURLOPT_HEADERDATA, &collected), "HEADERDATA");
    const CURLcode code = curl_easy_perform(easy_);
    // The list must not outlive its use by the handle.
    check(curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, nullptr), "HTTPHEADER");
    if (code != CURLE_OK) {
        const std::string detail =
            errorBuffer_[0] != '\0' ? errorBuffer_.data() : curl_easy_strerror(code);
        const std::string what = "Ub: GET " + url + ": " + detail;
        if (collected.tooLarge) {
            throw tls::ResponseTooLarge("Ub: GET " + url + ": the body is larger than " +
                                        std::to_string(maxBody_) + " bytes");
        }
        if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
            code == CURLE_COULDNT_RESOLVE_PROXY) {
            throw tls::ConnectFailed(what);
        }
        throw tls::TransferFailed(what);
    }
    long status = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    collected.response.status = status;
    return std::move(collected.response);
}

}  // namespace provisioning
