// issueCertificate and the certificate PEM forms (certificate.hpp), over OpenSSL's X509 API.
#include "integrity/certificate.hpp"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ossl.hpp"

namespace integrity {

namespace {

ossl::Ptr<X509> parse(base::ByteView der) {
    const unsigned char* in = der.data();
    ossl::Ptr<X509> cert(d2i_X509(nullptr, &in, static_cast<long>(der.size())));
    if (!cert || in != der.data() + der.size()) {
        throw KeyError("not a DER X.509 certificate");
    }
    return cert;
}

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) {
        X509_EXTENSION_free(ext);
        throw KeyError("cannot add a certificate extension: " + ossl::lastError());
    }
    X509_EXTENSION_free(ext);
}

}  // namespace

base::Bytes issueCertificate(const CertificateRequest& request, const PublicKey& subject,
                             const PrivateKey& issuerKey, std::optional<base::ByteView> issuerDer) {
    const auto subjectKey = ossl::keyFromPoint(subject.point());
    EVP_PKEY* signer = static_cast<EVP_PKEY*>(issuerKey.nativeHandle());
    ossl::Ptr<X509> issuer;
    if (issuerDer) {
        issuer = parse(*issuerDer);
    }
    const ossl::Ptr<X509> cert(X509_new());
    std::uint8_t serial[16];
    if (!cert || RAND_bytes(serial, sizeof serial) != 1) {
        throw KeyError("cannot create a certificate: " + ossl::lastError());
    }
    serial[0] &= 0x7f;  // a positive INTEGER
    const ossl::Ptr<BIGNUM> serialBn(BN_bin2bn(serial, sizeof serial, nullptr));
    X509_NAME* name = X509_get_subject_name(cert.get());
    if (!serialBn || X509_set_version(cert.get(), 2) != 1 ||
        BN_to_ASN1_INTEGER(serialBn.get(), X509_get_serialNumber(cert.get())) == nullptr ||
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                        static_cast<long>(request.days) * 24 * 3600) == nullptr ||
        X509_set_pubkey(cert.get(), subjectKey.get()) != 1 ||
        X509_NAME_add_entry_by_txt(
            name, "CN", MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(request.commonName.c_str()), -1, -1, 0) != 1 ||
        X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer.get()) : name) !=
            1) {
        throw KeyError("cannot fill in the certificate: " + ossl::lastError());
    }
    X509* issuerCert = issuer ? issuer.get() : cert.get();
    addExtension(cert.get(), issuerCert, NID_basic_constraints,
                 request.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    addExtension(cert.get(), issuerCert, NID_key_usage,
                 request.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    addExtension(cert.get(), issuerCert, NID_subject_key_identifier, "hash");
    addExtension(cert.get(), issuerCert, NID_authority_key_identifier, "keyid:always");
    if (X509_sign(cert.get(), signer, EVP_sha256()) == 0) {
        throw KeyError("cannot sign the certificate: " + ossl::lastError());
    }
    unsigned char* der = nullptr;
    const int size = i2d_X509(cert.get(), &der);
    if (size <= 0) {
        throw KeyError("cannot encode the certificate: " + ossl::lastError());
    }
    base::Bytes out(der, der + size);
    OPENSSL_free(der);
    return out;
}

std::vector<base::Bytes> certificatesFromPem(std::string_view pem) {
    const ossl::Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    std::vector<base::Bytes> out;
    while (bio) {
        const ossl::Ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!cert) {
            break;
        }
        unsigned char* der = nullptr;
        const int size = i2d_X509(cert.get(), &der);
        if (size <= 0) {
            throw KeyError("cannot encode a certificate: " + ossl::lastError());
        }
        out.emplace_back(der, der + size);
        OPENSSL_free(der);
    }
    ossl::lastError();  // the end of the PEM stream is reported as an error; clear it
    if (out.empty()) {
        throw KeyError("no PEM certificate found");
    }
    return out;
}

std::string certificateToPem(base::ByteView der) {
    const auto cert = parse(der);
    const ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
        throw KeyError("cannot write the certificate as PEM: " + ossl::lastError());
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace integrity
