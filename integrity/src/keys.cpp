// PublicKey and PrivateKey (cose.hpp): P-256 keys over OpenSSL 3's EVP interface, and ES256's
// raw r‖s signature form (RFC 9053 §2.1) converted to and from the DER ECDSA-Sig-Value OpenSSL
// produces and expects.
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "integrity/cose.hpp"
#include "ossl.hpp"

namespace integrity {

namespace ossl {

std::string lastError() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "no OpenSSL error";
    }
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    return text.data();
}

base::Bytes p256Point(const EVP_PKEY& key) {
    std::array<char, 64> group{};
    std::size_t groupLength = 0;
    if (EVP_PKEY_get_base_id(&key) != EVP_PKEY_EC ||
        EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                       &groupLength) != 1 ||
        std::string_view(group.data(), groupLength) != "prime256v1") {
        ERR_clear_error();
        throw KeyError("not a P-256 (prime256v1) EC key");
    }
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    const bool ok = EVP_PKEY_get_bn_param(&key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                    EVP_PKEY_get_bn_param(&key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
    const Ptr<BIGNUM> xOwned(x);
    const Ptr<BIGNUM> yOwned(y);
    base::Bytes point(65);
    point[0] = 0x04;
    if (!ok || BN_bn2binpad(x, point.data() + 1, 32) != 32 ||
        BN_bn2binpad(y, point.data() + 33, 32) != 32) {
        throw KeyError("cannot read the P-256 public point: " + lastError());
    }
    return point;
}

Ptr<EVP_PKEY> keyFromPoint(base::ByteView point) {
    if (point.size() != 65 || point[0] != 0x04) {
        throw KeyError("a P-256 public key is a 65-byte uncompressed point (04 || X || Y)");
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                         const_cast<char*>("prime256v1"), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                          const_cast<std::uint8_t*>(point.data()), point.size()),
        OSSL_PARAM_construct_end(),
    };
    const Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        throw KeyError("not a point on P-256: " + lastError());
    }
    Ptr<EVP_PKEY> key(raw);
    // fromdata takes the point as given; the curve check is separate.
    const Ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
        throw KeyError("not a point on P-256: " + lastError());
    }
    return key;
}

}  // namespace ossl

namespace {

constexpr std::size_t kCoordinate = 32;

base::Bytes sha256(base::ByteView data) {
    base::Bytes digest(32);
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
        throw Error("SHA-256 failed: " + ossl::lastError());
    }
    return digest;
}

// r‖s (RFC 9053 §2.1) to the DER ECDSA-Sig-Value OpenSSL verifies.
std::optional<base::Bytes> rawToDer(base::ByteView raw) {
    if (raw.size() != 2 * kCoordinate) {
        return std::nullopt;
    }
    ossl::Ptr<ECDSA_SIG> sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(raw.data(), kCoordinate, nullptr);
    BIGNUM* s = BN_bin2bn(raw.data() + kCoordinate, kCoordinate, nullptr);
    if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        throw Error("cannot build an ECDSA signature: " + ossl::lastError());
    }
    unsigned char* der = nullptr;
    const int size = i2d_ECDSA_SIG(sig.get(), &der);
    if (size <= 0) {
        throw Error("cannot encode an ECDSA signature: " + ossl::lastError());
    }
    base::Bytes out(der, der + size);
    OPENSSL_free(der);
    return out;
}

base::Bytes derToRaw(base::ByteView der) {
    const unsigned char* in = der.data();
    const ossl::Ptr<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
    if (!sig) {
        throw Error("OpenSSL returned an unreadable ECDSA signature");
    }
    base::Bytes raw(2 * kCoordinate);
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), kCoordinate) != kCoordinate ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + kCoordinate, kCoordinate) !=
            kCoordinate) {
        throw Error("ECDSA signature component longer than 32 bytes");
    }
    return raw;
}

}  // namespace

// --- PublicKey ---

PublicKey PublicKey::fromPoint(base::ByteView point) {
    ossl::keyFromPoint(point);
    PublicKey key;
    key.point_.assign(point.begin(), point.end());
    return key;
}

PublicKey PublicKey::fromPem(std::string_view pem) {
    const ossl::Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    const ossl::Ptr<EVP_PKEY> pkey(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)
                                       : nullptr);
    if (!pkey) {
        throw KeyError("not a PEM public key (SubjectPublicKeyInfo): " + ossl::lastError());
    }
    return fromPoint(ossl::p256Point(*pkey));
}

PublicKey PublicKey::fromCertificateDer(base::ByteView der) {
    const unsigned char* in = der.data();
    const ossl::Ptr<X509> cert(d2i_X509(nullptr, &in, static_cast<long>(der.size())));
    if (!cert || in != der.data() + der.size()) {
        throw KeyError("not a DER X.509 certificate: " + ossl::lastError());
    }
    const EVP_PKEY* pkey = X509_get0_pubkey(cert.get());
    if (pkey == nullptr) {
        throw KeyError("the certificate's public key cannot be read: " + ossl::lastError());
    }
    return fromPoint(ossl::p256Point(*pkey));
}

std::string PublicKey::pem() const {
    const auto pkey = ossl::keyFromPoint(point_);
    const ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) {
        throw KeyError("cannot write the public key as PEM: " + ossl::lastError());
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

base::Bytes PublicKey::keyId() const {
    base::Bytes digest = sha256(point_);
    digest.resize(8);
    return digest;
}

bool PublicKey::verify(base::ByteView message, base::ByteView rawSignature) const {
    const auto der = rawToDer(rawSignature);
    if (!der) {
        return false;
    }
    const auto pkey = ossl::keyFromPoint(point_);
    const ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1) {
        throw Error("cannot set up ES256 verification: " + ossl::lastError());
    }
    const int result =
        EVP_DigestVerify(ctx.get(), der->data(), der->size(), message.data(), message.size());
    ERR_clear_error();
    return result == 1;
}

// --- PrivateKey ---

PrivateKey::PrivateKey(void* pkey) : pkey_(pkey) {}

PrivateKey::PrivateKey(PrivateKey&& other) noexcept : pkey_(std::exchange(other.pkey_, nullptr)) {}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
    if (this != &other) {
        EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
        pkey_ = std::exchange(other.pkey_, nullptr);
    }
    return *this;
}

PrivateKey::~PrivateKey() {
    EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
}

PrivateKey PrivateKey::generate() {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    if (pkey == nullptr) {
        throw KeyError("cannot generate a P-256 key: " + ossl::lastError());
    }
    return PrivateKey(pkey);
}

PrivateKey PrivateKey::fromPemFile(const std::string& path) {
    // Opened once and checked on the descriptor, so the file checked is the file read.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        throw KeyError("cannot open the private key file " + path + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw KeyError("the private key file " + path + " is not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        throw KeyError("the private key file " + path +
                       " is readable by group or others: chmod 600 it");
    }
    const ossl::Ptr<BIO> bio(BIO_new_fd(fd, BIO_CLOSE));
    if (!bio) {
        ::close(fd);
        throw KeyError("cannot read " + path + ": " + ossl::lastError());
    }
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (pkey == nullptr) {
        throw KeyError("no PEM private key in " + path + ": " + ossl::lastError());
    }
    PrivateKey key(pkey);
    ossl::p256Point(*pkey);  // KeyError unless P-256
    return key;
}

void PrivateKey::writePemFile(const std::string& path) const {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        throw KeyError("cannot create " + path + ": " + std::strerror(errno));
    }
    // An existing file keeps its mode through O_CREAT; make it private before writing the key.
    if (::fchmod(fd, 0600) != 0) {
        ::close(fd);
        throw KeyError("cannot make " + path + " private: " + std::strerror(errno));
    }
    const ossl::Ptr<BIO> bio(BIO_new_fd(fd, BIO_CLOSE));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), static_cast<EVP_PKEY*>(pkey_), nullptr, nullptr,
                                         0, nullptr, nullptr) != 1) {
        if (!bio) {
            ::close(fd);
        }
        throw KeyError("cannot write the private key to " + path + ": " + ossl::lastError());
    }
}

PublicKey PrivateKey::publicKey() const {
    return PublicKey::fromPoint(ossl::p256Point(*static_cast<EVP_PKEY*>(pkey_)));
}

base::Bytes PrivateKey::sign(base::ByteView message) const {
    const ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    std::size_t size = 0;
    if (!ctx ||
        EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                           static_cast<EVP_PKEY*>(pkey_)) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &size, message.data(), message.size()) != 1) {
        throw Error("cannot set up ES256 signing: " + ossl::lastError());
    }
    base::Bytes der(size);
    if (EVP_DigestSign(ctx.get(), der.data(), &size, message.data(), message.size()) != 1) {
        throw Error("ES256 signing failed: " + ossl::lastError());
    }
    der.resize(size);
    return derToRaw(der);
}

}  // namespace integrity
