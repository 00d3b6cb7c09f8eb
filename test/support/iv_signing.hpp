// Signed inputs of the IV-SED for tests: a test service provider's reference-value key with its
// self-signed certificate (carried as x5chain), manifests and NSCL decisions signed with the
// integrity library, and an ES256 check done with OpenSSL alone (no project code) over the
// Sig_structure, for what the card signs.
#pragma once

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "integrity/certificate.hpp"
#include "integrity/cose.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"

namespace testsupport {

// A service provider's reference-value key and its certificate, and an NSCL policy key: made
// fresh per test, so no private key is committed.
struct IvSigners {
    integrity::PrivateKey reference = integrity::PrivateKey::generate();
    integrity::PrivateKey policy = integrity::PrivateKey::generate();
    base::Bytes referenceCertificate = integrity::issueCertificate(
        {.commonName = "test service provider reference values", .ca = false, .days = 30},
        reference.publicKey(), reference);
};

// `count` objects named "@agent", "@config", then "lib/object-N", digest SHA-256-like bytes
// derived from the index (what a test compares against), every one required.
inline integrity::Manifest testManifest(std::uint32_t version, std::size_t count) {
    integrity::Manifest m;
    m.version = version;
    for (std::size_t i = 0; i < count; ++i) {
        integrity::ManifestObject o;
        o.name = i == 0 ? "@agent" : i == 1 ? "@config" : "lib/object-" + std::to_string(i);
        o.sha256 = base::Bytes(32, static_cast<std::uint8_t>(0x10 + i));
        o.action = integrity::RecoveryAction::Report;
        m.objects.push_back(std::move(o));
    }
    return m;
}

// The manifest as the SP ships it: COSE_Sign1 under `key`, x5chain = `certificate` when given.
inline base::Bytes signManifest(const integrity::PrivateKey& key,
                                const integrity::Manifest& manifest,
                                const base::Bytes& certificate = {}) {
    std::vector<base::Bytes> chain;
    if (!certificate.empty()) {
        chain.push_back(certificate);
    }
    return integrity::CoseSign1::sign(key, manifest.encodePayload(), std::nullopt, chain).encode();
}

inline base::Bytes signDecision(const integrity::PrivateKey& policy,
                                const integrity::DecisionClaims& claims) {
    return integrity::CoseSign1::sign(policy, claims.encode(), policy.publicKey().keyId()).encode();
}

// Whether `rawSignature` (r ‖ s) is an ES256 signature of `payload` as a COSE_Sign1 with
// protected {1: -7} under the SEC1 point `point`, checked with OpenSSL's EVP API only: the
// Sig_structure is built here byte by byte and the signature converted to DER here.
inline bool opensslVerifiesEs256(base::ByteView point, base::ByteView payload,
                                 base::ByteView rawSignature) {
    if (rawSignature.size() != 64) {
        return false;
    }
    // ["Signature1", h'A10126', h'', payload]
    base::Bytes sigStructure{0x84, 0x6A, 'S', 'i',  'g',  'n',  'a',  't', 'u',
                             'r',  'e',  '1', 0x43, 0xA1, 0x01, 0x26, 0x40};
    const std::size_t n = payload.size();
    if (n < 24) {
        sigStructure.push_back(static_cast<std::uint8_t>(0x40 | n));
    } else if (n < 256) {
        sigStructure.insert(sigStructure.end(), {0x58, static_cast<std::uint8_t>(n)});
    } else {
        sigStructure.insert(sigStructure.end(), {0x59, static_cast<std::uint8_t>(n >> 8),
                                                 static_cast<std::uint8_t>(n & 0xFF)});
    }
    sigStructure.insert(sigStructure.end(), payload.begin(), payload.end());

    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                        OSSL_PARAM_BLD_free);
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                     point.size());
    std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
        OSSL_PARAM_BLD_to_param(bld.get()), OSSL_PARAM_free);
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> fromData(
        EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata_init(fromData.get()) != 1 ||
        EVP_PKEY_fromdata(fromData.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        return false;
    }
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(raw, EVP_PKEY_free);

    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
    ECDSA_SIG_set0(sig.get(), BN_bin2bn(rawSignature.data(), 32, nullptr),
                   BN_bin2bn(rawSignature.data() + 32, 32, nullptr));
    unsigned char* der = nullptr;
    const int derLen = i2d_ECDSA_SIG(sig.get(), &der);
    std::unique_ptr<unsigned char, void (*)(unsigned char*)> derOwner(
        der, [](unsigned char* p) { OPENSSL_free(p); });

    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    return derLen > 0 &&
           EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) == 1 &&
           EVP_DigestVerify(md.get(), der, static_cast<std::size_t>(derLen), sigStructure.data(),
                            sigStructure.size()) == 1;
}

}  // namespace testsupport
