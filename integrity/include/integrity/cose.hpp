// COSE_Sign1 with ES256 (RFC 9052 §4.2/§4.4, RFC 9053 §2.1) on libcbor and OpenSSL: the envelope of
// the manifest, the report and the decision (FORMATS.md §1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "integrity/errors.hpp"

namespace integrity {

// A P-256 public key: the 65-byte SEC1 uncompressed point, as the card stores and exports it.
class PublicKey {
public:
    static PublicKey fromPoint(base::ByteView point);  // KeyError if not on P-256
    static PublicKey fromPem(std::string_view pem);    // SubjectPublicKeyInfo; KeyError
    static PublicKey fromCertificateDer(base::ByteView der);
    [[nodiscard]] const base::Bytes& point() const { return point_; }
    [[nodiscard]] std::string pem() const;    // SubjectPublicKeyInfo PEM
    [[nodiscard]] base::Bytes keyId() const;  // SHA-256(point)[0..8]
    // ES256 over `message` (raw r‖s, 64 bytes); false when it does not verify.
    [[nodiscard]] bool verify(base::ByteView message, base::ByteView rawSignature) const;

private:
    base::Bytes point_;
};

// A P-256 private key on the terminal or network side (test SP key, NSCL policy key). Loaded from a
// PEM file that must not be readable by group or others (KeyError otherwise); the key stays inside
// OpenSSL's EVP_PKEY, never in a buffer of ours.
class PrivateKey {
public:
    static PrivateKey generate();
    static PrivateKey fromPemFile(const std::string& path);
    PrivateKey(PrivateKey&&) noexcept;
    PrivateKey& operator=(PrivateKey&&) noexcept;
    ~PrivateKey();
    void writePemFile(const std::string& path) const;  // written 0600
    [[nodiscard]] PublicKey publicKey() const;
    [[nodiscard]] base::Bytes sign(base::ByteView message) const;  // raw r‖s
    // The EVP_PKEY*, for issuing certificates (certificate.hpp) inside this library.
    [[nodiscard]] void* nativeHandle() const { return pkey_; }

private:
    explicit PrivateKey(void* pkey);
    void* pkey_ = nullptr;  // EVP_PKEY*
};

struct CoseSign1 {
    base::Bytes protectedHeader;       // the bstr's content: A1 01 26
    std::optional<base::Bytes> kid;    // unprotected 4
    std::vector<base::Bytes> x5chain;  // unprotected 33, leaf first (DER)
    base::Bytes payload;
    base::Bytes signature;  // r‖s

    // Strict decoding (tag 18 optional); MalformedInput on anything else, protected header other
    // than {1:-7} included.
    static CoseSign1 decode(base::ByteView encoded);
    [[nodiscard]] base::Bytes encode() const;      // tagged, deterministic
    [[nodiscard]] base::Bytes toBeSigned() const;  // Sig_structure, external_aad empty
    // SignatureInvalid unless the signature verifies under `key`.
    void verify(const PublicKey& key) const;
    // Builds and signs a message with protected {1:-7}.
    static CoseSign1 sign(const PrivateKey& key, base::ByteView payload,
                          std::optional<base::Bytes> kid, std::vector<base::Bytes> x5chain = {});
};

// base64url without padding (RFC 4648 §5), the form reports and decisions travel in.
std::string toBase64Url(base::ByteView bytes);
base::Bytes fromBase64Url(std::string_view text);  // MalformedInput

}  // namespace integrity
