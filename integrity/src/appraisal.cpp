#include "integrity/appraisal.hpp"

#include <algorithm>

#include "integrity/manifest.hpp"

namespace integrity {

base::Bytes ueidOf(base::ByteView nodeId) {
    base::Bytes ueid;
    ueid.reserve(1 + nodeId.size());
    ueid.push_back(0x01);
    ueid.insert(ueid.end(), nodeId.begin(), nodeId.end());
    return ueid;
}

std::uint64_t resultBitmap(const EatClaims& claims) {
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < claims.results.size() && i < 63; ++i) {
        if (claims.results[i].result != MeasurementResult::Success) {
            bits |= std::uint64_t{1} << i;
        }
    }
    return bits;
}

Report verifiedReport(std::string_view eatBase64Url, const PublicKey& attestationKey,
                      base::ByteView nodeId) {
    std::optional<Report> decoded;
    try {
        decoded = Report::decode(fromBase64Url(eatBase64Url));
    } catch (const MalformedInput& e) {
        throw ReportRejected(std::string("malformed report: ") + e.what(), true);
    }
    try {
        decoded->verifyWith(attestationKey);
    } catch (const SignatureInvalid&) {
        throw ReportRejected("report signature does not verify under this node's attestation key",
                             false);
    }
    if (decoded->claims.ueid != ueidOf(nodeId)) {
        throw ReportRejected("report is another node's (ueid)", false);
    }
    return std::move(*decoded);
}

void checkSummary(const EatClaims& claims, std::uint64_t ivalResults,
                  std::uint64_t signedIvalResult) {
    if (signedIvalResult != claims.counter || ivalResults != resultBitmap(claims)) {
        throw ReportRejected("integrityValResults disagree with the signed report", false);
    }
}

FailedObjects failedObjects(const EatClaims& claims, const Manifest* reference) {
    FailedObjects out;
    auto cardResult = [&](const std::string& name) {
        const auto r = std::find_if(claims.results.begin(), claims.results.end(),
                                    [&](const ObjectResult& o) { return o.name == name; });
        return r == claims.results.end() ? MeasurementResult::NotRun : r->result;
    };
    if (reference == nullptr) {
        for (const ObjectResult& r : claims.results) {
            if (r.result != MeasurementResult::Success) {
                out.names.push_back(r.name);
                out.requiredFailed = true;
            }
        }
        return out;
    }
    for (const ManifestObject& object : reference->objects) {
        const auto m = std::find_if(claims.measurements.begin(), claims.measurements.end(),
                                    [&](const Measurement& x) { return x.name == object.name; });
        const bool ok = m != claims.measurements.end() && m->sha256 == object.sha256 &&
                        cardResult(object.name) == MeasurementResult::Success;
        if (!ok) {
            out.names.push_back(object.name);
            out.requiredFailed = out.requiredFailed || object.required;
        }
    }
    return out;
}

}  // namespace integrity
