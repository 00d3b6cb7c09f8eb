#include "securechannel/tls/psk_https_client.hpp"

#include <mutex>
#include <stdexcept>
#include <utility>

#include <curl/curl.h>

#include "base/bytes.hpp"
#include "base/log.hpp"
#include "card_prf_provider.hpp"
#include "curl_easy.hpp"
#include "ssl_context.hpp"
#include "tls_profile.hpp"
#include "transfer.hpp"
#include "transfer_errors.hpp"

namespace securechannel::tls {

namespace {

void initialiseOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        detail::ensureCardPrfProvider();
        if (detail::sslContextIndex() < 0) {
            throw TransferFailed("SSL_CTX_get_ex_new_index failed");
        }
    });
}

seuicc::KeySlot requiredSlot(Export exportTo) {
    return exportTo == Export::Bootstrap ? seuicc::KeySlot::Kbs : seuicc::KeySlot::Kmr;
}

}  // namespace

struct PskHttpsClient::Impl {
    ClientOptions options;
    std::unique_ptr<detail::CurlEasy> easy;
    // The identity and slot of the kept-alive connections of `easy`.
    std::optional<std::pair<std::string, seuicc::KeySlot>> connectionKey;
    TlsSummary connectionSummary;  // of the last full handshake on a reusable connection
    ClientCounters counters;
    std::optional<TlsSummary> last;  // lastHandshake()

    void dropHandle() {
        easy.reset();
        connectionKey.reset();
    }
};

PskHttpsClient::PskHttpsClient(ClientOptions options)
    : impl_(std::make_unique<Impl>(Impl{std::move(options), {}, {}, {}, {}, {}})) {
    if (detail::cipherListFor(impl_->options.onlyCipherSuite) == nullptr) {
        throw std::invalid_argument(
            "PskHttpsClient: the only suite offered must be one of the "
            "profile's PSK suites (0x00AE, 0x00A8, 0x008C)");
    }
}

PskHttpsClient::~PskHttpsClient() = default;

void PskHttpsClient::closeConnections() {
    impl_->dropHandle();
}

const ClientCounters& PskHttpsClient::counters() const {
    return impl_->counters;
}

const std::optional<TlsSummary>& PskHttpsClient::lastHandshake() const {
    return impl_->last;
}

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
    impl.last.reset();
    const auto wantedKey = std::make_pair(key.identity, key.slot);
    if (!impl.easy || impl.connectionKey != wantedKey) {
        impl.dropHandle();
        impl.easy = std::make_unique<detail::CurlEasy>(impl.options);
    }

    detail::Transfer t;
    t.key = &key;
    t.card = &card;
    t.maxBody = impl.options.maxResponseBytes;
    t.cipherList = detail::cipherListFor(impl.options.onlyCipherSuite);
    const CURLcode code = impl.easy->perform(request, exportTo != Export::None, t);
    ++impl.counters.requests;
    impl.counters.handshakes += t.handshakes;
    impl.counters.bytesSent += request.body.size();
    impl.counters.bytesReceived += t.body.size();
    if (t.handshakes > 0) {
        impl.connectionKey = wantedKey;
    }

    try {
        detail::rethrowCardFailure(t, request.url);
    } catch (...) {
        impl.dropHandle();
        throw;
    }
    std::string curlText;
    bool connected = false;
    if (code != CURLE_OK) {  // the handle's connection is of no further use
        curlText = impl.easy->errorText();
        connected = impl.easy->connected();
        impl.dropHandle();
    }

    // The TLS session of this request: its own handshake, or the kept-alive connection it
    // reused. Known, and kept in lastHandshake(), even when the HTTP exchange then failed.
    if (t.handshakes > 0) {
        impl.last = t.summary;
        if (exportTo == Export::None) {
            impl.connectionSummary = t.summary;
        }
    } else if (code == CURLE_OK) {
        impl.last = impl.connectionSummary;
        impl.last->newHandshake = false;
    }
    if (impl.last && !detail::withinProfile(*impl.last)) {
        impl.dropHandle();
        throw HandshakeFailed(request.url + ": negotiated " + impl.last->protocol + " " +
                              impl.last->cipher + ", outside the PSK profile");
    }
    if (impl.last && exportTo != Export::None) {
        if (t.handshakes != 1) {
            throw HandshakeFailed(request.url + ": no fresh handshake to export from");
        }
        // Nothing has touched the card since the master secret: the exporter is bound to it.
        // Also after a failed HTTP exchange, so that a caller can compare the KCV with the
        // server's; the key stays pending (only ACTIVATE KEY makes it the card's).
        impl.last->exportKcv = card.deriveExportedKey(
            exportTo == Export::Bootstrap ? seuicc::ExportTarget::Kmr : seuicc::ExportTarget::Kmc,
            t.clientRandom, t.serverRandom);
        base::log::kTls->debug("exported key into the card's pending {}, KCV {}",
                               exportTo == Export::Bootstrap ? "Kmr" : "Kmc",
                               base::toHex(*impl.last->exportKcv));
    }
    if (code != CURLE_OK) {
        detail::throwTransferError(t, code, request.url, curlText, connected);
    }

    HttpResponse response = impl.easy->response(t);
    response.tls = *impl.last;
    base::log::kTls->debug("{} {} -> {} ({} handshake)", request.method, request.url,
                           response.status, response.tls.newHandshake ? "new" : "reused");
    return response;
}

}  // namespace securechannel::tls
