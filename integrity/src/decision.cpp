// The NSCL's decision (FORMATS.md §4).
#include "integrity/decision.hpp"

#include <array>

#include "cbor.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"

namespace integrity {

namespace {

constexpr std::size_t kMaxDecisionBytes = 12288;  // room for a whole manifest in a remediation
constexpr std::size_t kMaxAllowed = 32;
constexpr std::size_t kMaxPathBytes = 256;
constexpr std::size_t kMaxUrlBytes = 512;
constexpr std::size_t kMaxNodeBytes = 32;
constexpr std::size_t kMaxNonceBytes = 64;

enum Key : std::int64_t {
    kNode = 1,
    kNonce = 2,
    kCounter = 3,
    kVerdict = 4,
    kAllowed = 5,
    kRemediation = 6,
    kIat = 7,
    kExp = 8,
};

cbor::Item encodeRemediation(const Remediation& remediation) {
    std::vector<cbor::Item> objects;
    for (const auto& object : remediation.objects) {
        std::vector<cbor::Item> fields;
        fields.push_back(cbor::text(object.name));
        fields.push_back(cbor::text(object.url));
        fields.push_back(cbor::bytes(object.sha256));
        objects.push_back(cbor::array(std::move(fields)));
    }
    std::vector<std::pair<cbor::Item, cbor::Item>> entries;
    entries.emplace_back(cbor::uint(1), cbor::bytes(remediation.manifest));
    entries.emplace_back(cbor::uint(2), cbor::array(std::move(objects)));
    return cbor::map(std::move(entries));
}

Remediation decodeRemediation(const cbor_item_t& item) {
    static constexpr std::array<std::int64_t, 2> kKeys{1, 2};
    const cbor::IntMap map(item, "decision remediation", kKeys);
    Remediation out;
    out.manifest = cbor::asBytes(map.at(1), "decision remediation manifest", 1, kMaxDecisionBytes);
    SignedManifest::decode(out.manifest);  // well-formed now; verified when acted on
    for (const cbor_item_t* entry :
         cbor::asArray(map.at(2), "decision remediation objects", 0, Manifest::kMaxObjects)) {
        const auto fields = cbor::asArray(*entry, "decision remediation object", 3, 3);
        out.objects.push_back(
            {cbor::asText(*fields[0], "remediation object name", 1, Manifest::kMaxNameBytes),
             cbor::asText(*fields[1], "remediation object url", 1, kMaxUrlBytes),
             cbor::asBytes(*fields[2], "remediation object digest", 32, 32)});
    }
    return out;
}

}  // namespace

std::string_view toString(Verdict verdict) {
    switch (verdict) {
        case Verdict::Full:
            return "full";
        case Verdict::Partial:
            return "partial";
        case Verdict::Deny:
            return "deny";
    }
    return "unknown";
}

Verdict verdictFromString(std::string_view text) {
    for (const auto verdict : {Verdict::Full, Verdict::Partial, Verdict::Deny}) {
        if (text == toString(verdict)) {
            return verdict;
        }
    }
    throw MalformedInput("unknown verdict \"" + std::string(text) + "\" (full, partial or deny)");
}

base::Bytes DecisionClaims::encode() const {
    std::vector<std::pair<cbor::Item, cbor::Item>> entries;
    entries.emplace_back(cbor::uint(kNode), cbor::bytes(node));
    entries.emplace_back(cbor::uint(kNonce), cbor::bytes(nonce));
    entries.emplace_back(cbor::uint(kCounter), cbor::uint(counter));
    entries.emplace_back(cbor::uint(kVerdict), cbor::uint(static_cast<std::uint8_t>(verdict)));
    if (verdict == Verdict::Partial) {
        std::vector<cbor::Item> paths;
        for (const auto& path : allowed) {
            paths.push_back(cbor::text(path));
        }
        entries.emplace_back(cbor::uint(kAllowed), cbor::array(std::move(paths)));
    }
    if (remediation) {
        entries.emplace_back(cbor::uint(kRemediation), encodeRemediation(*remediation));
    }
    entries.emplace_back(cbor::uint(kIat), cbor::uint(iat));
    entries.emplace_back(cbor::uint(kExp), cbor::uint(exp));
    return cbor::encode(*cbor::map(std::move(entries)));
}

DecisionClaims DecisionClaims::decode(base::ByteView payload) {
    const auto root = cbor::decode(payload, kMaxDecisionBytes, "decision");
    static constexpr std::array<std::int64_t, 8> kKeys{kNode,    kNonce,       kCounter, kVerdict,
                                                       kAllowed, kRemediation, kIat,     kExp};
    const cbor::IntMap map(*root, "decision", kKeys);
    DecisionClaims out;
    out.node = cbor::asBytes(map.at(kNode), "decision node", 1, kMaxNodeBytes);
    out.nonce = cbor::asBytes(map.at(kNonce), "decision nonce", 1, kMaxNonceBytes);
    out.counter =
        static_cast<std::uint32_t>(cbor::asUint(map.at(kCounter), "decision counter", 0xffffffff));
    out.verdict = static_cast<Verdict>(cbor::asUint(map.at(kVerdict), "decision verdict", 2));
    const cbor_item_t* allowed = map.find(kAllowed);
    // The allowed paths mean something only under a partial verdict; anywhere else they would
    // be a second, contradictory answer.
    if ((allowed != nullptr) != (out.verdict == Verdict::Partial)) {
        throw MalformedInput(
            "decision: allowed paths (key 5) go with a partial verdict only, and "
            "a partial verdict needs them");
    }
    if (allowed != nullptr) {
        for (const cbor_item_t* path :
             cbor::asArray(*allowed, "decision allowed paths", 0, kMaxAllowed)) {
            out.allowed.push_back(cbor::asText(*path, "decision allowed path", 1, kMaxPathBytes));
        }
    }
    if (const cbor_item_t* remediation = map.find(kRemediation)) {
        out.remediation = decodeRemediation(*remediation);
    }
    out.iat = cbor::asUint(map.at(kIat), "decision iat");
    out.exp = cbor::asUint(map.at(kExp), "decision exp");
    if (out.exp < out.iat) {
        throw MalformedInput("decision: exp is before iat");
    }
    return out;
}

Decision Decision::decode(base::ByteView encoded) {
    Decision out;
    out.envelope = CoseSign1::decode(encoded);
    if (!out.envelope.kid) {
        throw MalformedInput("decision: no kid in the unprotected header");
    }
    out.claims = DecisionClaims::decode(out.envelope.payload);
    return out;
}

void Decision::verifyWith(const PublicKey& policyKey) const {
    if (envelope.kid && *envelope.kid != policyKey.keyId()) {
        throw SignatureInvalid("the decision's kid names another policy key");
    }
    envelope.verify(policyKey);
}

DecisionClaims DecisionClaims::answering(const EatClaims& report, Verdict verdict,
                                         const std::vector<std::string>& allowed, std::uint64_t iat,
                                         std::uint64_t exp) {
    DecisionClaims d;
    d.node = report.ueid;
    d.nonce = report.nonce;
    d.counter = report.counter;
    d.verdict = verdict;
    if (verdict == Verdict::Partial) {
        d.allowed = allowed;
    }
    d.iat = iat;
    d.exp = exp;
    return d;
}

base::Bytes DecisionClaims::signWith(const PrivateKey& policyKey) const {
    return CoseSign1::sign(policyKey, encode(), policyKey.publicKey().keyId()).encode();
}

void Decision::checkAnswers(const EatClaims& report, std::uint64_t nowUnix) const {
    if (claims.node != report.ueid) {
        throw NotFresh("the decision is for another node");
    }
    if (claims.nonce != report.nonce) {
        throw NotFresh("the decision answers another challenge (nonce)");
    }
    if (claims.counter != report.counter) {
        throw NotFresh("the decision answers another report (counter " +
                       std::to_string(claims.counter) + ", report " +
                       std::to_string(report.counter) + ")");
    }
    if (nowUnix > claims.exp) {
        throw NotFresh("the decision expired (exp " + std::to_string(claims.exp) + ", now " +
                       std::to_string(nowUnix) + ")");
    }
}

}  // namespace integrity
