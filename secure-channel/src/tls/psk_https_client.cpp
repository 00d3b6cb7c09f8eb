#include "securechannel/tls/psk_https_client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "base/bytes.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "card_prf_provider.hpp"

namespace securechannel::tls {

ClientCounters& ClientCounters::operator+=(const ClientCounters& other) {
    requests += other.requests;
    handshakes += other.handshakes;
    bytesSent += other.bytesSent;
    bytesReceived += other.bytesReceived;
    return *this;
}

namespace {

// security-profile §3: 0x00AE, 0x00A8 first, 0x008C last; no certificate suite, ever.
constexpr const char* kCipherList =
    "PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA";
constexpr std::array<std::uint16_t, 3> kCipherIds{0x00AE, 0x00A8, 0x008C};
constexpr std::size_t kRandomSize = 32;

// TLS alerts (RFC 5246 §7.2, RFC 4279 §2) that decide the error type.
constexpr int kAlertBadRecordMac = 20;
constexpr int kAlertHandshakeFailure = 40;
constexpr int kAlertDecryptError = 51;
constexpr int kAlertUnknownPskIdentity = 115;

int sslCtxIndex() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

void initialiseOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        detail::ensureCardPrfProvider();
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw TransferFailed("curl_global_init failed");
        }
        if (sslCtxIndex() < 0) {
            throw TransferFailed("SSL_CTX_get_ex_new_index failed");
        }
    });
}

std::string alertName(int description) {
    return SSL_alert_desc_string_long(description);
}

}  // namespace

namespace detail {

// What one perform() observed; the OpenSSL and curl callbacks write into it.
struct Transfer {
    const PskKey* key = nullptr;
    CardKeyOperations* card = nullptr;
    std::size_t maxBody = 0;
    std::vector<std::unique_ptr<detail::HandleRegistration>> handles;
    std::string callbackFailure;  // why the PSK callback refused (no secret in here)

    unsigned handshakes = 0;
    bool serverHelloSeen = false;
    std::optional<int> fatalAlertReceived;
    std::array<std::uint8_t, kRandomSize> clientRandom{};
    std::array<std::uint8_t, kRandomSize> serverRandom{};
    TlsSummary summary;

    std::string body;
    bool bodyTooLarge = false;
    std::string contentType;
    std::string location;
};

}  // namespace detail

using detail::Transfer;

struct PskHttpsClient::Impl {
    ClientOptions options;
    CURL* easy = nullptr;
    curl_slist* resolve = nullptr;
    // The identity and slot of the kept-alive connections (one key per easy handle: curl picks
    // a cached connection by host and port only, so a different key needs an empty cache).
    std::optional<std::pair<std::string, seuicc::KeySlot>> connectionKey;
    TlsSummary connectionSummary;  // of the last full handshake on a reusable connection
    ClientCounters counters;
    // The transfer running now; the SSL_CTX of each connection points here (ex data).
    Transfer* current = nullptr;
    std::array<char, CURL_ERROR_SIZE> errorBuffer{};

    explicit Impl(ClientOptions o) : options(std::move(o)) {
        for (const auto& entry : options.resolve) {
            curl_slist* grown = curl_slist_append(resolve, entry.c_str());
            if (grown == nullptr) {
                curl_slist_free_all(resolve);
                throw std::bad_alloc();
            }
            resolve = grown;
        }
    }
    ~Impl() {
        if (easy != nullptr) {
            curl_easy_cleanup(easy);
        }
        curl_slist_free_all(resolve);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    void newHandle();
    void dropHandle() {
        if (easy != nullptr) {
            curl_easy_cleanup(easy);
            easy = nullptr;
        }
        connectionKey.reset();
    }
};

namespace {

Transfer* transferOf(const SSL* ssl) {
    auto* current =
        static_cast<Transfer**>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), sslCtxIndex()));
    return current != nullptr ? *current : nullptr;
}

// The key never goes to OpenSSL: a fresh random handle does, and the provider maps it back.
unsigned int pskClientCallback(SSL* ssl, const char* /*hint*/, char* identity,
                               unsigned int maxIdentityLen, unsigned char* psk,
                               unsigned int maxPskLen) {
    Transfer* t = transferOf(ssl);
    if (t == nullptr) {
        return 0;
    }
    try {
        const std::string& id = t->key->identity;
        if (id.empty() || id.size() > maxIdentityLen || maxPskLen < detail::kHandleSize) {
            t->callbackFailure = "the PSK identity is empty or longer than OpenSSL allows";
            return 0;
        }
        auto registration = std::make_unique<detail::HandleRegistration>(*t->card, t->key->slot);
        std::memcpy(identity, id.data(), id.size());
        identity[id.size()] = '\0';  // OpenSSL's buffer has room for maxIdentityLen + 1
        std::memcpy(psk, registration->handle().data(), detail::kHandleSize);
        t->handles.push_back(std::move(registration));
        return static_cast<unsigned int>(detail::kHandleSize);
    } catch (const std::exception& e) {
        t->callbackFailure = e.what();
        return 0;
    }
}

void infoCallback(const SSL* ssl, int where, int value) {
    Transfer* t = transferOf(ssl);
    if (t == nullptr) {
        return;
    }
    if ((where & SSL_CB_READ_ALERT) != 0 && (value >> 8) == SSL3_AL_FATAL) {
        t->fatalAlertReceived = value & 0xFF;
    }
    if ((where & SSL_CB_LOOP) != 0 && SSL_get_state(ssl) == TLS_ST_CR_SRVR_HELLO) {
        t->serverHelloSeen = true;
    }
    if ((where & SSL_CB_HANDSHAKE_DONE) != 0) {
        ++t->handshakes;
        SSL_get_client_random(ssl, t->clientRandom.data(), t->clientRandom.size());
        SSL_get_server_random(ssl, t->serverRandom.data(), t->serverRandom.size());
        const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
        t->summary.protocol = SSL_get_version(ssl);
        t->summary.cipher = cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "";
        t->summary.cipherId = cipher != nullptr ? SSL_CIPHER_get_protocol_id(cipher) : 0;
        t->summary.newHandshake = true;
        base::log::kTls->debug("handshake done protocol={} cipher={} identity={}",
                               t->summary.protocol, t->summary.cipher, t->key->identity);
    }
}

CURLcode sslCtxCallback(CURL* /*easy*/, void* sslctx, void* userptr) {
    auto* ctx = static_cast<SSL_CTX*>(sslctx);
    if (SSL_CTX_set_ex_data(ctx, sslCtxIndex(), userptr) == 0 ||
        SSL_CTX_set_cipher_list(ctx, kCipherList) == 0 ||
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 0 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) == 0) {
        return CURLE_SSL_CIPHER;
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    // No renegotiation: a server-initiated handshake on a kept-alive connection would ask the
    // card for a master secret between a handshake and its export.
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_psk_client_callback(ctx, &pskClientCallback);
    SSL_CTX_set_info_callback(ctx, &infoCallback);
    return CURLE_OK;
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
    if (line.starts_with("HTTP/")) {  // a new response (after a 100 Continue, say)
        t->contentType.clear();
        t->location.clear();
        return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
        return n;
    }
    const std::string_view name = base::trim(line.substr(0, colon));
    const std::string_view value = base::trim(line.substr(colon + 1));
    if (base::equalsIgnoreCase(name, "Content-Type")) {
        t->contentType = value;
    } else if (base::equalsIgnoreCase(name, "Location")) {
        t->location = value;
    }
    return n;
}

void check(CURLcode code, const char* what) {
    if (code != CURLE_OK) {
        throw TransferFailed(std::string("curl_easy_setopt(") + what +
                             "): " + curl_easy_strerror(code));
    }
}

}  // namespace

void PskHttpsClient::Impl::newHandle() {
    dropHandle();
    easy = curl_easy_init();
    if (easy == nullptr) {
        throw TransferFailed("curl_easy_init failed");
    }
    check(curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https"), "PROTOCOLS_STR");
    check(curl_easy_setopt(easy, CURLOPT_PROXY, ""), "PROXY");  // never via a proxy from env
    check(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L), "NOSIGNAL");
    check(curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_1_1}),
          "HTTP_VERSION");
    check(curl_easy_setopt(easy, CURLOPT_SSLVERSION,
                           long{CURL_SSLVERSION_TLSv1_2} | long{CURL_SSLVERSION_MAX_TLSv1_2}),
          "SSLVERSION");
    check(curl_easy_setopt(easy, CURLOPT_SSL_CIPHER_LIST, kCipherList), "SSL_CIPHER_LIST");
    // PSK suites carry no certificate; the list above holds nothing else, so there is nothing
    // to verify, and curl would otherwise fail for want of a server certificate.
    check(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L), "SSL_VERIFYPEER");
    check(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L), "SSL_VERIFYHOST");
    // Every new connection is a full handshake with the card.
    check(curl_easy_setopt(easy, CURLOPT_SSL_SESSIONID_CACHE, 0L), "SSL_SESSIONID_CACHE");
    check(curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &sslCtxCallback), "SSL_CTX_FUNCTION");
    check(curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, &current), "SSL_CTX_DATA");
    check(curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                           static_cast<long>(options.connectTimeout.count())),
          "CONNECTTIMEOUT_MS");
    check(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count())),
          "TIMEOUT_MS");
    check(curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                           static_cast<curl_off_t>(options.maxResponseBytes)),
          "MAXFILESIZE_LARGE");
    if (resolve != nullptr) {
        check(curl_easy_setopt(easy, CURLOPT_RESOLVE, resolve), "RESOLVE");
    }
    check(curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errorBuffer.data()), "ERRORBUFFER");
    check(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &writeCallback), "WRITEFUNCTION");
    check(curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &headerCallback), "HEADERFUNCTION");
}

PskHttpsClient::PskHttpsClient(ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

PskHttpsClient::~PskHttpsClient() = default;

void PskHttpsClient::closeConnections() {
    impl_->dropHandle();
}

const ClientCounters& PskHttpsClient::counters() const {
    return impl_->counters;
}

namespace {

seuicc::KeySlot requiredSlot(Export exportTo) {
    return exportTo == Export::Bootstrap ? seuicc::KeySlot::Kbs : seuicc::KeySlot::Kmr;
}

// Turns a failed transfer into the typed error of the header. Only public facts go into the
// message: the URL, the identity, the alert, curl's text.
[[noreturn]] void throwTransferError(const Transfer& t, CURLcode code, const std::string& url,
                                     const std::string& curlText, bool connected) {
    const std::string where = url + ": ";
    const std::string detail = curlText.empty() ? curl_easy_strerror(code) : curlText;
    if (t.bodyTooLarge || code == CURLE_FILESIZE_EXCEEDED) {
        throw ResponseTooLarge(where + "the response body exceeds the limit of " +
                               std::to_string(t.maxBody) + " bytes");
    }
    if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT ||
        (code == CURLE_OPERATION_TIMEDOUT && !connected)) {
        throw ConnectFailed(where + "no connection: " + detail);
    }
    if (t.fatalAlertReceived) {
        const int alert = *t.fatalAlertReceived;
        const std::string alertText =
            "alert " + alertName(alert) + " (" + std::to_string(alert) + ")";
        if (alert == kAlertUnknownPskIdentity || alert == kAlertDecryptError ||
            alert == kAlertBadRecordMac || (alert == kAlertHandshakeFailure && t.serverHelloSeen)) {
            throw PskRejected(where + "the server rejected the PSK identity '" + t.key->identity +
                              "' or its key: " + alertText);
        }
        if (alert == kAlertHandshakeFailure) {
            throw NoSharedCipher(where + "the server accepts none of the PSK suites " +
                                 kCipherList + ": " + alertText);
        }
        throw HandshakeFailed(where + "TLS handshake failed: " + alertText + "; " + detail);
    }
    if (!t.callbackFailure.empty()) {
        throw HandshakeFailed(where + "TLS handshake failed: " + t.callbackFailure);
    }
    if (t.handshakes == 0 && code == CURLE_SSL_CONNECT_ERROR) {
        throw HandshakeFailed(where + "TLS handshake failed: " + detail);
    }
    throw TransferFailed(where + detail);
}

}  // namespace

HttpResponse PskHttpsClient::perform(const HttpRequest& request, const PskKey& key,
                                     CardKeyOperations& card, Export exportTo) {
    initialiseOnce();
    if (!request.url.starts_with("https://")) {
        throw std::invalid_argument("PskHttpsClient: only https:// URLs, got " + request.url);
    }
    if (exportTo != Export::None && key.slot != requiredSlot(exportTo)) {
        throw std::invalid_argument(exportTo == Export::Bootstrap
                                        ? "the bootstrap exporter needs a Kbs handshake"
                                        : "the connection exporter needs a Kmr handshake");
    }
    Impl& impl = *impl_;
    const auto wantedKey = std::make_pair(key.identity, key.slot);
    if (impl.easy == nullptr || impl.connectionKey != wantedKey) {
        impl.newHandle();
    }
    CURL* easy = impl.easy;

    Transfer t;
    t.key = &key;
    t.card = &card;
    t.maxBody = impl.options.maxResponseBytes;

    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr,
                                                                        &curl_slist_free_all);
    const auto addHeader = [&headers](const std::string& line) {
        curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
        if (grown == nullptr) {
            throw std::bad_alloc();
        }
        (void)headers.release();
        headers.reset(grown);
    };
    addHeader("Expect:");  // no 100-continue round trip for small bodies
    if (!request.body.empty() && !request.contentType.empty()) {
        addHeader("Content-Type: " + request.contentType);
    }

    check(curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str()), "URL");
    check(curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get()), "HTTPHEADER");
    if (request.method == "GET" && request.body.empty()) {
        check(curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L), "HTTPGET");
        check(curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, nullptr), "CUSTOMREQUEST");
    } else {
        check(curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                               static_cast<curl_off_t>(request.body.size())),
              "POSTFIELDSIZE_LARGE");
        check(curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data()), "POSTFIELDS");
        check(curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST,
                               request.method == "POST" ? nullptr : request.method.c_str()),
              "CUSTOMREQUEST");
    }
    const long fresh = exportTo != Export::None ? 1L : 0L;
    check(curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, fresh), "FRESH_CONNECT");
    check(curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, fresh), "FORBID_REUSE");
    check(curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t), "WRITEDATA");
    check(curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t), "HEADERDATA");

    impl.errorBuffer[0] = '\0';
    impl.current = &t;
    const CURLcode code = curl_easy_perform(easy);
    impl.current = nullptr;
    ++impl.counters.requests;
    impl.counters.handshakes += t.handshakes;
    impl.counters.bytesSent += request.body.size();
    impl.counters.bytesReceived += t.body.size();
    if (t.handshakes > 0) {
        impl.connectionKey = wantedKey;
    }

    // The card's own failure comes first: it is why the handshake broke.
    for (const auto& handle : t.handles) {
        if (const std::exception_ptr error = handle->error()) {
            impl.dropHandle();
            try {
                std::rethrow_exception(error);
            } catch (const std::exception&) {
                throw;
            } catch (...) {
                throw CardFailure(request.url + ": the card failed during the TLS handshake");
            }
        }
    }
    if (code != CURLE_OK) {
        curl_off_t connectMicros = 0;
        curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connectMicros);
        const std::string curlText = impl.errorBuffer.data();
        impl.dropHandle();
        throwTransferError(t, code, request.url, curlText, connectMicros > 0);
    }

    HttpResponse response;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
    response.body = std::move(t.body);
    response.contentType = std::move(t.contentType);
    response.location = std::move(t.location);
    if (t.handshakes > 0) {
        response.tls = t.summary;
        if (exportTo == Export::None) {
            impl.connectionSummary = t.summary;
        }
    } else {
        response.tls = impl.connectionSummary;
        response.tls.newHandshake = false;
    }
    if (response.tls.protocol != "TLSv1.2" ||
        std::find(kCipherIds.begin(), kCipherIds.end(), response.tls.cipherId) ==
            kCipherIds.end()) {
        impl.dropHandle();
        throw HandshakeFailed(request.url + ": negotiated " + response.tls.protocol + " " +
                              response.tls.cipher + ", outside the PSK profile");
    }

    if (exportTo != Export::None) {
        if (t.handshakes != 1) {
            throw HandshakeFailed(request.url + ": no fresh handshake to export from");
        }
        // Nothing has touched the card since the master secret: the exporter is bound to it.
        response.tls.exportKcv = card.deriveExportedKey(
            exportTo == Export::Bootstrap ? seuicc::ExportTarget::Kmr : seuicc::ExportTarget::Kmc,
            t.clientRandom, t.serverRandom);
        base::log::kTls->debug("exported key into the card's pending {}, KCV {}",
                               exportTo == Export::Bootstrap ? "Kmr" : "Kmc",
                               base::toHex(*response.tls.exportKcv));
    }
    base::log::kTls->debug("{} {} -> {} ({} handshake)", request.method, request.url,
                           response.status, response.tls.newHandshake ? "new" : "reused");
    return response;
}

}  // namespace securechannel::tls
