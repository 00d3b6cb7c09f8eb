// The NSCL's signed decision on a report (FORMATS.md §4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "integrity/cose.hpp"

namespace integrity {

struct EatClaims;

enum class Verdict : std::uint8_t { Full = 0, Partial = 1, Deny = 2 };
std::string_view toString(Verdict verdict);        // "full", "partial", "deny"
Verdict verdictFromString(std::string_view text);  // MalformedInput

struct RemediationObject {
    std::string name;
    std::string url;
    base::Bytes sha256;
};

struct Remediation {
    base::Bytes manifest;  // a whole manifest COSE_Sign1
    std::vector<RemediationObject> objects;
};

struct DecisionClaims {
    base::Bytes node;           // the report's ueid
    base::Bytes nonce;          // the report's eat_nonce
    std::uint32_t counter = 0;  // the report's counter
    Verdict verdict = Verdict::Deny;
    std::vector<std::string> allowed;  // partial only
    std::optional<Remediation> remediation;
    std::uint64_t iat = 0;
    std::uint64_t exp = 0;

    [[nodiscard]] base::Bytes encode() const;
    static DecisionClaims decode(base::ByteView payload);  // MalformedInput

    // The decision answering `report`: its ueid, nonce and counter, the verdict (`allowed` kept
    // only for partial), valid from `iat` to `exp`. What the lab NSCL and a gateway both send.
    static DecisionClaims answering(const EatClaims& report, Verdict verdict,
                                    const std::vector<std::string>& allowed, std::uint64_t iat,
                                    std::uint64_t exp);
    // The COSE_Sign1 (its kid the key's) a node's IV-SED verifies with its policy key.
    [[nodiscard]] base::Bytes signWith(const PrivateKey& policyKey) const;
};

struct Decision {
    CoseSign1 envelope;
    DecisionClaims claims;

    static Decision decode(base::ByteView encoded);  // MalformedInput
    // SignatureInvalid unless signed by `policyKey` (a kid naming another key included).
    void verifyWith(const PublicKey& policyKey) const;
    // NotFresh unless node, nonce and counter are those of `report`, and `nowUnix` <= exp
    // (an expired decision is not acted on).
    void checkAnswers(const EatClaims& report, std::uint64_t nowUnix) const;
};

}  // namespace integrity
