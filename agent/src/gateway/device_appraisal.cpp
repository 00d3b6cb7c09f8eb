#include "device_appraisal.hpp"

#include "integrity/appraisal.hpp"
#include "integrity/eat.hpp"

namespace agent {

namespace {

using integrity::Verdict;

std::uint64_t unixSeconds(std::chrono::system_clock::time_point t) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

}  // namespace

DeviceAppraisal appraiseDevice(const DeviceView& device,
                               const std::optional<IntegrityValResults>& report,
                               const AppraisalPolicy& policy,
                               const integrity::PrivateKey& policyKey,
                               std::chrono::system_clock::time_point now,
                               const std::function<void(const base::Bytes& nonce)>& takeNonce) {
    DeviceAppraisal out;
    if (!device.attestationKey) {
        if (report) {
            throw DeviceReportRefused(403,
                                      "this device has no attestation key in the gateway's "
                                      "records: it sends no report");
        }
        out.verdict = integrity::verdictFromString(policy.unattested);
        if (out.verdict == Verdict::Partial) {
            out.allowed = policy.allowed;
        }
        return out;
    }
    if (!report) {
        throw DeviceReportRefused(403,
                                  "integrity report required (POST /m2m/integrity/challenge, then "
                                  "send integrityValResults)");
    }
    std::optional<integrity::Report> verified;
    try {
        verified = integrity::verifiedReport(report->eat, *device.attestationKey, device.nodeId);
    } catch (const integrity::ReportRejected& e) {
        throw DeviceReportRefused(e.malformed() ? 400 : 403, e.what());
    }
    const integrity::EatClaims& claims = verified->claims;
    takeNonce(claims.nonce);
    if (device.lastCounter && claims.counter <= *device.lastCounter) {
        throw DeviceReportRefused(403, "report counter " + std::to_string(claims.counter) +
                                           " is not greater than the last accepted " +
                                           std::to_string(*device.lastCounter));
    }
    try {
        integrity::checkSummary(claims, report->ivalResults, report->signedIvalResult);
    } catch (const integrity::ReportRejected& e) {
        throw DeviceReportRefused(403, e.what());
    }
    const std::uint64_t nowUnix = unixSeconds(now);
    if (claims.iat) {
        const std::uint64_t tolerance = static_cast<std::uint64_t>(policy.timeTolerance.count());
        const std::uint64_t gap =
            *claims.iat > nowUnix ? *claims.iat - nowUnix : nowUnix - *claims.iat;
        if (gap > tolerance) {
            throw DeviceReportRefused(
                403, "report iat is " + std::to_string(gap) + " s from secure time");
        }
    }
    // The gateway holds no reference manifest of its devices: the card's own comparison with
    // the manifest it was provisioned with decides.
    const integrity::FailedObjects failed = integrity::failedObjects(claims, nullptr);
    out.failedObjects = failed.names;
    out.verdict =
        !failed.requiredFailed ? Verdict::Full : integrity::verdictFromString(policy.onFail);
    if (out.verdict == Verdict::Partial) {
        out.allowed = policy.allowed;
    }
    out.counter = claims.counter;

    out.decision = integrity::toBase64Url(
        integrity::DecisionClaims::answering(
            claims, out.verdict, out.allowed, nowUnix,
            nowUnix + static_cast<std::uint64_t>(policy.decisionLifetime.count()))
            .signWith(policyKey));
    return out;
}

}  // namespace agent
