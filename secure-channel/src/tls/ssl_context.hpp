// The OpenSSL side of every connection curl opens for the client: the SSL_CTX set to the TLS
// profile (tls_profile.hpp), the PSK client callback that hands libssl a fresh registered handle
// (psk_handles.hpp) in place of the key, and the info callback that records the handshake's
// facts and the alerts received into the running Transfer. Private to src/tls/.
#pragma once

#include <curl/curl.h>

namespace securechannel::tls::detail {

struct Transfer;

// The SSL_CTX ex-data index under which each context points at its client's "transfer running
// now" (a Transfer* const*). Negative if OpenSSL refused to allocate one.
int sslContextIndex();

// CURLOPT_SSL_CTX_FUNCTION. CURLOPT_SSL_CTX_DATA must be a Transfer* const* that stays valid
// for the life of the easy handle and points at the transfer running now (null between two).
CURLcode configureSslContext(CURL* easy, void* sslctx, void* userptr);

}  // namespace securechannel::tls::detail
