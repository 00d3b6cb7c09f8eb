#include "ssl_context.hpp"

#include <cstring>

#include <openssl/ssl.h>

#include "base/log.hpp"
#include "tls_profile.hpp"
#include "transfer.hpp"

namespace securechannel::tls::detail {

int sslContextIndex() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

namespace {

Transfer* transferOf(const SSL* ssl) {
    auto* const* current =
        static_cast<Transfer* const*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), sslContextIndex()));
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
        if (id.empty() || id.size() > maxIdentityLen || maxPskLen < kHandleSize) {
            t->callbackFailure = "the PSK identity is empty or longer than OpenSSL allows";
            return 0;
        }
        auto registration = std::make_unique<HandleRegistration>(*t->card, t->key->slot);
        std::memcpy(identity, id.data(), id.size());
        identity[id.size()] = '\0';  // OpenSSL's buffer has room for maxIdentityLen + 1
        std::memcpy(psk, registration->handle().data(), kHandleSize);
        t->handles.push_back(std::move(registration));
        return static_cast<unsigned int>(kHandleSize);
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

}  // namespace

CURLcode configureSslContext(CURL* /*easy*/, void* sslctx, void* userptr) {
    auto* ctx = static_cast<SSL_CTX*>(sslctx);
    const Transfer* const* current = static_cast<Transfer* const*>(userptr);
    const char* ciphers = current != nullptr && *current != nullptr && (*current)->cipherList
                              ? (*current)->cipherList
                              : kCipherList;
    if (SSL_CTX_set_ex_data(ctx, sslContextIndex(), userptr) == 0 ||
        SSL_CTX_set_cipher_list(ctx, ciphers) == 0 ||
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

}  // namespace securechannel::tls::detail
