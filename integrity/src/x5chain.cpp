// SignedManifest::verifyChain: the manifest's x5chain (RFC 9360) checked up to the service
// provider's root with OpenSSL's own path validation, not a check of our making.
#include <openssl/x509_vfy.h>

#include "integrity/manifest.hpp"
#include "ossl.hpp"

namespace integrity {

namespace {

ossl::Ptr<X509> parseCertificate(base::ByteView der, std::string_view what) {
    const unsigned char* in = der.data();
    ossl::Ptr<X509> cert(d2i_X509(nullptr, &in, static_cast<long>(der.size())));
    if (!cert || in != der.data() + der.size()) {
        throw KeyError(std::string(what) + " is not a DER X.509 certificate");
    }
    return cert;
}

struct X509StackFree {
    void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_pop_free(stack, X509_free); }
};

}  // namespace

PublicKey SignedManifest::verifyChain(base::ByteView trustedRootDer) const {
    if (envelope.x5chain.empty()) {
        throw KeyError("the manifest carries no x5chain to check against the trusted root");
    }
    const auto root = parseCertificate(trustedRootDer, "the trusted root");
    const auto leaf = parseCertificate(envelope.x5chain.front(), "the x5chain leaf");
    std::unique_ptr<STACK_OF(X509), X509StackFree> untrusted(sk_X509_new_null());
    if (!untrusted) {
        throw KeyError("out of memory");
    }
    for (std::size_t i = 1; i < envelope.x5chain.size(); ++i) {
        auto cert = parseCertificate(envelope.x5chain[i], "an x5chain certificate");
        if (sk_X509_push(untrusted.get(), cert.get()) == 0) {
            throw KeyError("out of memory");
        }
        cert.release();  // owned by the stack now
    }
    const ossl::Ptr<X509_STORE> store(X509_STORE_new());
    const ossl::Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
    if (!store || !ctx || X509_STORE_add_cert(store.get(), root.get()) != 1 ||
        X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) {
        throw KeyError("cannot set up certificate path validation: " + ossl::lastError());
    }
    if (X509_verify_cert(ctx.get()) != 1) {
        const int code = X509_STORE_CTX_get_error(ctx.get());
        ossl::lastError();
        throw KeyError(std::string("the manifest's certificate chain does not lead to the trusted "
                                   "root: ") +
                       X509_verify_cert_error_string(code));
    }
    const PublicKey key = PublicKey::fromCertificateDer(envelope.x5chain.front());
    envelope.verify(key);
    return key;
}

}  // namespace integrity
