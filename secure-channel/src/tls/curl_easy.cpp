#include "curl_easy.hpp"

#include <mutex>
#include <new>
#include <string_view>
#include <utility>

#include "base/scope_exit.hpp"
#include "base/text.hpp"
#include "ssl_context.hpp"
#include "tls_profile.hpp"
#include "transfer.hpp"

namespace securechannel::tls::detail {

namespace {

void check(CURLcode code, const char* what) {
    if (code != CURLE_OK) {
        throw TransferFailed(std::string("curl_easy_setopt(") + what +
                             "): " + curl_easy_strerror(code));
    }
}

std::size_t writeCallback(char* data, std::size_t size, std::size_t count, void* userdata) {
    auto* t = static_cast<Transfer*>(userdata);
    const std::size_t n = size * count;
    if (t->body.size() + n > t->maxBody) {
        t->bodyTooLarge = true;
        return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    t->body.append(data, n);
    return n;
}

std::size_t headerCallback(char* data, std::size_t size, std::size_t count, void* userdata) {
    auto* t = static_cast<Transfer*>(userdata);
    const std::size_t n = size * count;
    std::string_view line(data, n);
    while (line.ends_with('\n') || line.ends_with('\r')) {
        line.remove_suffix(1);
    }
    if (line.starts_with("HTTP/")) {  // a new response (after a 100 Continue, say): only the
        t->headers.clear();           // last one's headers count
        return n;
    }
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
        // Obsolete line folding (RFC 9112 §5.2): the continuation joins the previous value.
        if (!t->headers.empty()) {
            t->headers.back().second += ' ';
            t->headers.back().second += base::trim(line);
        }
        return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return n;
    }
    t->headers.emplace_back(base::toLower(base::trim(line.substr(0, colon))),
                            std::string(base::trim(line.substr(colon + 1))));
    return n;
}

void globalInitOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw TransferFailed("curl_global_init failed");
        }
    });
}

}  // namespace

void CurlEasy::append(List& list, const std::string& line) {
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (grown == nullptr) {
        throw std::bad_alloc();
    }
    (void)list.release();  // now part of `grown`
    list.reset(grown);
}

CurlEasy::CurlEasy(const char* protocols, const std::vector<std::string>& resolve,
                   std::chrono::milliseconds connectTimeout, std::chrono::milliseconds timeout,
                   std::size_t maxResponseBytes) {
    globalInitOnce();
    for (const auto& entry : resolve) {
        append(resolve_, entry);
    }
    easy_ = curl_easy_init();
    if (easy_ == nullptr) {
        throw TransferFailed("curl_easy_init failed");
    }
    try {
        check(curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, protocols), "PROTOCOLS_STR");
        check(curl_easy_setopt(easy_, CURLOPT_PROXY, ""), "PROXY");  // never via a proxy from env
        check(curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L), "NOSIGNAL");
        check(curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L), "FOLLOWLOCATION");
        check(curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_1_1}),
              "HTTP_VERSION");
        check(curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS,
                               static_cast<long>(connectTimeout.count())),
              "CONNECTTIMEOUT_MS");
        check(curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count())),
              "TIMEOUT_MS");
        check(curl_easy_setopt(easy_, CURLOPT_MAXFILESIZE_LARGE,
                               static_cast<curl_off_t>(maxResponseBytes)),
              "MAXFILESIZE_LARGE");
        if (resolve_) {
            check(curl_easy_setopt(easy_, CURLOPT_RESOLVE, resolve_.get()), "RESOLVE");
        }
        check(curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, errorBuffer_.data()), "ERRORBUFFER");
        check(curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &writeCallback), "WRITEFUNCTION");
        check(curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &headerCallback), "HEADERFUNCTION");
    } catch (...) {
        curl_easy_cleanup(easy_);
        throw;
    }
}

// From here on the object is constructed: a throw below runs the destructor, which frees easy_.
CurlEasy::CurlEasy(const ClientOptions& options)
    : CurlEasy("https", options.resolve, options.connectTimeout, options.timeout,
               options.maxResponseBytes) {
    check(curl_easy_setopt(easy_, CURLOPT_SSLVERSION,
                           long{CURL_SSLVERSION_TLSv1_2} | long{CURL_SSLVERSION_MAX_TLSv1_2}),
          "SSLVERSION");
    const char* ciphers = cipherListFor(options.onlyCipherSuite);
    check(curl_easy_setopt(easy_, CURLOPT_SSL_CIPHER_LIST,
                           ciphers != nullptr ? ciphers : kCipherList),
          "SSL_CIPHER_LIST");
    // PSK suites carry no certificate; the list above holds nothing else, so there is nothing to
    // verify, and curl would otherwise fail for want of a server certificate.
    check(curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 0L), "SSL_VERIFYPEER");
    check(curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 0L), "SSL_VERIFYHOST");
    // Every new connection is a full handshake with the card.
    check(curl_easy_setopt(easy_, CURLOPT_SSL_SESSIONID_CACHE, 0L), "SSL_SESSIONID_CACHE");
    check(curl_easy_setopt(easy_, CURLOPT_SSL_CTX_FUNCTION, &configureSslContext),
          "SSL_CTX_FUNCTION");
    check(curl_easy_setopt(easy_, CURLOPT_SSL_CTX_DATA, &current_), "SSL_CTX_DATA");
}

CurlEasy::CurlEasy(const CertClientOptions& options)
    : CurlEasy("http,https", options.resolve, options.connectTimeout, options.timeout,
               options.maxResponseBytes) {
    check(curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 1L), "SSL_VERIFYPEER");
    check(curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 2L), "SSL_VERIFYHOST");
    if (!options.caFile.empty()) {
        check(curl_easy_setopt(easy_, CURLOPT_CAINFO, options.caFile.c_str()), "CAINFO");
    }
}

CurlEasy::~CurlEasy() {
    curl_easy_cleanup(easy_);
}

CURLcode CurlEasy::perform(const HttpRequest& request, bool fresh, Transfer& transfer) {
    List headers;
    append(headers, "Expect:");  // no 100-continue round trip for small bodies
    if (!request.body.empty() && !request.contentType.empty()) {
        append(headers, "Content-Type: " + request.contentType);
    }
    for (const std::string& header : request.headers) {
        append(headers, header);
    }

    check(curl_easy_setopt(easy_, CURLOPT_URL, request.url.c_str()), "URL");
    check(curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers.get()), "HTTPHEADER");
    if (request.method == "GET" && request.body.empty()) {
        check(curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L), "HTTPGET");
        check(curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, nullptr), "CUSTOMREQUEST");
    } else {
        check(curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE,
                               static_cast<curl_off_t>(request.body.size())),
              "POSTFIELDSIZE_LARGE");
        check(curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, request.body.data()), "POSTFIELDS");
        check(curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST,
                               request.method == "POST" ? nullptr : request.method.c_str()),
              "CUSTOMREQUEST");
    }
    const long freshConnection = fresh ? 1L : 0L;
    check(curl_easy_setopt(easy_, CURLOPT_FRESH_CONNECT, freshConnection), "FRESH_CONNECT");
    check(curl_easy_setopt(easy_, CURLOPT_FORBID_REUSE, freshConnection), "FORBID_REUSE");
    check(curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &transfer), "WRITEDATA");
    check(curl_easy_setopt(easy_, CURLOPT_HEADERDATA, &transfer), "HEADERDATA");

    errorBuffer_[0] = '\0';
    current_ = &transfer;
    const base::ScopeExit done([this] {
        current_ = nullptr;
        // The header list dies with this call; nothing may point at it afterwards.
        curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, nullptr);
    });
    return curl_easy_perform(easy_);
}

long CurlEasy::responseStatus() const {
    long status = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

bool CurlEasy::connected() const {
    curl_off_t connectMicros = 0;
    curl_easy_getinfo(easy_, CURLINFO_CONNECT_TIME_T, &connectMicros);
    return connectMicros > 0;
}

std::string CurlEasy::errorText() const {
    return errorBuffer_.data();
}

HttpResponse CurlEasy::response(Transfer& transfer) const {
    HttpResponse response;
    response.status = responseStatus();
    response.headers = std::move(transfer.headers);
    response.body = std::move(transfer.body);
    for (const auto& [name, value] : response.headers) {
        if (name == "content-type") {
            response.contentType = value;
        } else if (name == "location") {
            response.location = value;
        }
    }
    return response;
}

}  // namespace securechannel::tls::detail
