// OpenSSL handles owned by unique_ptr, and the one place a P-256 key becomes its SEC1 point.
// Internal to the library.
#pragma once

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "base/bytes.hpp"

namespace integrity::ossl {

struct Free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
    void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
    void operator()(BIO* p) const noexcept { BIO_free_all(p); }
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
    void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
    void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Free>;

// The last OpenSSL error as text (for messages; never carries key bytes), and clears the queue.
std::string lastError();

// The 65-byte uncompressed point of a P-256 key; KeyError for any other kind of key.
base::Bytes p256Point(const EVP_PKEY& key);
// An EVP_PKEY for a P-256 point; KeyError unless the point is on the curve.
Ptr<EVP_PKEY> keyFromPoint(base::ByteView point);

}  // namespace integrity::ossl
