#include "transfer_errors.hpp"

#include <openssl/ssl.h>

#include "tls_profile.hpp"
#include "transfer.hpp"

namespace securechannel::tls::detail {

namespace {

// TLS alerts (RFC 5246 §7.2, RFC 4279 §2) that decide the error type.
constexpr int kAlertBadRecordMac = 20;
constexpr int kAlertHandshakeFailure = 40;
constexpr int kAlertDecryptError = 51;
constexpr int kAlertUnknownPskIdentity = 115;

std::string alertName(int description) {
    return SSL_alert_desc_string_long(description);
}

// The PSK handshake's failures (PskRejected, NoSharedCipher, HandshakeFailed); returns when
// the transfer shows none.
void throwHandshakeError(const Transfer& t, CURLcode code, const std::string& where,
                         const std::string& detail) {
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
}

}  // namespace

void rethrowCardFailure(const Transfer& t, const std::string& url) {
    for (const auto& handle : t.handles) {
        if (const std::exception_ptr error = handle->error()) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception&) {
                throw;
            } catch (...) {
                throw CardFailure(url + ": the card failed during the TLS handshake");
            }
        }
    }
}

void throwTransferError(const Transfer& t, CURLcode code, const std::string& url,
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
    if (t.key != nullptr) {  // the PSK profile: what the handshake with the card tells
        throwHandshakeError(t, code, where, detail);
    }
    throw TransferFailed(where + detail);
}

}  // namespace securechannel::tls::detail
