// CoseSign1 (cose.hpp): the COSE_Sign1 structure of RFC 9052 §4.2 with the one algorithm this
// profile allows, ES256 (FORMATS.md §1).
#include "integrity/cose.hpp"

#include <array>

#include "cbor.hpp"

namespace integrity {

namespace {

constexpr std::uint64_t kCoseSign1Tag = 18;       // RFC 9052 §2
constexpr std::uint8_t kCoseSign1TagByte = 0xd2;  // its CBOR head
constexpr std::int64_t kHeaderAlg = 1;            // RFC 9052 §3.1
constexpr std::int64_t kHeaderKid = 4;            // RFC 9052 §3.1
constexpr std::int64_t kHeaderX5chain = 33;       // RFC 9360 §2
constexpr std::int64_t kAlgEs256 = -7;            // RFC 9053 §2.1
constexpr std::size_t kMaxMessageBytes = 16384;   // a manifest with a 3-certificate chain fits
constexpr std::size_t kMaxChain = 4;
constexpr std::size_t kMaxCertificateBytes = 4096;
constexpr std::size_t kMaxKidBytes = 32;
constexpr std::size_t kSignatureBytes = 64;

// {1: -7}, A1 01 26: the only protected header accepted.
base::Bytes es256ProtectedHeader() {
    std::vector<std::pair<cbor::Item, cbor::Item>> entries;
    entries.emplace_back(cbor::integer(kHeaderAlg), cbor::integer(kAlgEs256));
    return cbor::encode(*cbor::map(std::move(entries)));
}

}  // namespace

CoseSign1 CoseSign1::decode(base::ByteView encoded) {
    // Tag 18 (one byte, D2) is optional; any other tag is refused by the CBOR reader.
    const bool tagged = !encoded.empty() && encoded[0] == kCoseSign1TagByte;
    if (!encoded.empty() && (encoded[0] >> 5) == 6 && !tagged) {
        throw MalformedInput("COSE_Sign1: tagged, but not with tag 18");
    }
    const auto root = cbor::decode(encoded.subspan(tagged ? 1 : 0), kMaxMessageBytes, "COSE_Sign1");
    const cbor_item_t* message = root.get();
    const auto parts = cbor::asArray(*message, "COSE_Sign1", 4, 4);
    CoseSign1 out;
    out.protectedHeader = cbor::asBytes(*parts[0], "COSE_Sign1 protected header", 0, 64);
    if (out.protectedHeader != es256ProtectedHeader()) {
        throw MalformedInput(
            "COSE_Sign1: the protected header must be exactly {1: -7} (alg ES256); other "
            "algorithms and header parameters are refused");
    }
    static constexpr std::array<std::int64_t, 2> kUnprotected{kHeaderKid, kHeaderX5chain};
    const cbor::IntMap unprotected(*parts[1], "COSE_Sign1 unprotected header", kUnprotected);
    if (const cbor_item_t* kid = unprotected.find(kHeaderKid)) {
        out.kid = cbor::asBytes(*kid, "COSE_Sign1 kid", 1, kMaxKidBytes);
    }
    if (const cbor_item_t* chain = unprotected.find(kHeaderX5chain)) {
        // RFC 9360 §2: one certificate as a bstr, two or more as an array.
        if (cbor_isa_bytestring(chain)) {
            out.x5chain.push_back(
                cbor::asBytes(*chain, "COSE_Sign1 x5chain", 1, kMaxCertificateBytes));
        } else {
            for (const cbor_item_t* cert :
                 cbor::asArray(*chain, "COSE_Sign1 x5chain", 2, kMaxChain)) {
                out.x5chain.push_back(cbor::asBytes(*cert, "COSE_Sign1 x5chain certificate", 1,
                                                    kMaxCertificateBytes));
            }
        }
    }
    if (cbor_is_null(parts[2])) {
        throw MalformedInput("COSE_Sign1: detached payloads are not accepted");
    }
    out.payload = cbor::asBytes(*parts[2], "COSE_Sign1 payload", 0, kMaxMessageBytes);
    out.signature = cbor::asBytes(*parts[3], "COSE_Sign1 signature (ES256 r||s)", kSignatureBytes,
                                  kSignatureBytes);
    return out;
}

base::Bytes CoseSign1::encode() const {
    std::vector<std::pair<cbor::Item, cbor::Item>> unprotected;
    if (kid) {
        unprotected.emplace_back(cbor::integer(kHeaderKid), cbor::bytes(*kid));
    }
    if (x5chain.size() == 1) {
        unprotected.emplace_back(cbor::integer(kHeaderX5chain), cbor::bytes(x5chain.front()));
    } else if (!x5chain.empty()) {
        std::vector<cbor::Item> certs;
        for (const auto& cert : x5chain) {
            certs.push_back(cbor::bytes(cert));
        }
        unprotected.emplace_back(cbor::integer(kHeaderX5chain), cbor::array(std::move(certs)));
    }
    std::vector<cbor::Item> parts;
    parts.push_back(cbor::bytes(protectedHeader));
    parts.push_back(cbor::map(std::move(unprotected)));
    parts.push_back(cbor::bytes(payload));
    parts.push_back(cbor::bytes(signature));
    return cbor::encode(*cbor::tag(kCoseSign1Tag, cbor::array(std::move(parts))));
}

base::Bytes CoseSign1::toBeSigned() const {
    // RFC 9052 §4.4: Sig_structure for COSE_Sign1, external_aad empty.
    std::vector<cbor::Item> parts;
    parts.push_back(cbor::text("Signature1"));
    parts.push_back(cbor::bytes(protectedHeader));
    parts.push_back(cbor::bytes({}));
    parts.push_back(cbor::bytes(payload));
    return cbor::encode(*cbor::array(std::move(parts)));
}

void CoseSign1::verify(const PublicKey& key) const {
    if (!key.verify(toBeSigned(), signature)) {
        throw SignatureInvalid("the ES256 signature does not verify under the key given");
    }
}

CoseSign1 CoseSign1::sign(const PrivateKey& key, base::ByteView payload,
                          std::optional<base::Bytes> kid, std::vector<base::Bytes> x5chain) {
    CoseSign1 out;
    out.protectedHeader = es256ProtectedHeader();
    out.kid = std::move(kid);
    out.x5chain = std::move(x5chain);
    out.payload.assign(payload.begin(), payload.end());
    out.signature = key.sign(out.toBeSigned());
    return out;
}

}  // namespace integrity
