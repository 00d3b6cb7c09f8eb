// The checks of a node's integrity report that need nothing but the report and the node
// (integrity/FORMATS.md §5): it is a report, signed under the node's attestation key, for this
// node, its XML summary agreeing with the signed claims, and which manifest objects did not pass.
// Shared by every appraiser (the lab NSCL, the gateway for its devices); what needs an appraiser's
// memory (the nonce it issued, the last counter it accepted) stays with the appraiser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "integrity/eat.hpp"
#include "integrity/errors.hpp"

namespace integrity {

struct Manifest;

// A report that is not appraised: `malformed()` when it is no report at all (an appraiser answers
// 400), otherwise not genuine or not this node's (403). The message is the reason, never a key.
class ReportRejected : public Error {
public:
    ReportRejected(const std::string& reason, bool malformed)
        : Error(reason), malformed_(malformed) {}
    [[nodiscard]] bool malformed() const { return malformed_; }

private:
    bool malformed_;
};

// RFC 9711 §4.2.1 UEID of type RAND: 01 ‖ M2M-Node-ID.
[[nodiscard]] base::Bytes ueidOf(base::ByteView nodeId);

// Bit i set: the report's object i did not pass (the XML summary's ivalResults).
[[nodiscard]] std::uint64_t resultBitmap(const EatClaims& claims);

// Decodes the report (base64url of its COSE_Sign1) and checks it is signed under `attestationKey`
// and names `nodeId` as its ueid. ReportRejected otherwise.
[[nodiscard]] Report verifiedReport(std::string_view eatBase64Url, const PublicKey& attestationKey,
                                    base::ByteView nodeId);

// ReportRejected unless the XML summary (counter, result bitmap) is the signed claims'.
void checkSummary(const EatClaims& claims, std::uint64_t ivalResults,
                  std::uint64_t signedIvalResult);

struct FailedObjects {
    std::vector<std::string> names;
    bool requiredFailed = false;  // one of them is required: the report does not pass
};

// The manifest objects that did not pass: their measurement missing or not the reference value,
// or the card's own result not success. Without a `reference` (no policy), what the card found
// (its manifest is the provisioned one): every object not success counts as required.
[[nodiscard]] FailedObjects failedObjects(const EatClaims& claims, const Manifest* reference);

}  // namespace integrity
