// The NSCL's integrity validation on mId (see nscl_integrity.hpp).
#include "nscl_integrity.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>

#include "base/log.hpp"
#include "integrity/appraisal.hpp"
#include "integrity/eat.hpp"
#include "integrity/errors.hpp"
#include "integrity/manifest.hpp"
#include "nscl_gateway.hpp"
#include "server_names.hpp"

namespace netsim {

namespace {

using integrity::Verdict;

constexpr std::size_t kNonceBytes = 32;

integrity::Remediation remediationOf(const PendingRemediation& pending, const NodeRecord& node) {
    integrity::Remediation r;
    r.manifest = pending.manifest;
    const std::string base = node.nscl.empty() ? std::string("/m2m") : node.nscl.front();
    for (const IntegrityObject& o : pending.objects) {
        r.objects.push_back(
            {o.name, base + "/integrity/objects/" + std::to_string(o.id), o.sha256});
    }
    return r;
}

// The report's checks before any comparison: it is a report, signed by this node's card, for this
// node, answering a challenge issued to it and not answered before, newer than the last one.
integrity::Report genuineReport(EndpointContext& context, const std::string& nodeId,
                                const agent::IntegrityValResults& xml) {
    const auto keyPem = context.store.attestationKey(nodeId);
    if (!keyPem) {
        throw ReportRefused(403,
                            "no attestation key for this node (import its provisioning "
                            "record with iv_attestation_public_key)");
    }
    std::optional<integrity::Report> verified;
    try {
        verified = integrity::verifiedReport(xml.eat, integrity::PublicKey::fromPem(*keyPem),
                                             base::fromHex(nodeId));
    } catch (const integrity::ReportRejected& e) {
        throw ReportRefused(e.malformed() ? 400 : 403, e.what());
    }
    const integrity::Report& report = *verified;
    const integrity::EatClaims& claims = report.claims;
    const auto challenge = context.store.takeChallenge(claims.nonce);
    if (!challenge) {
        throw ReportRefused(403, "unknown nonce (POST /m2m/integrity/challenge first)");
    }
    if (challenge->nodeId != nodeId) {
        throw ReportRefused(403, "nonce was issued to another node");
    }
    if (challenge->usedBefore) {
        throw ReportRefused(403, "nonce already used (replayed report)");
    }
    if (challenge->expires < nowSeconds()) {
        throw ReportRefused(403, "nonce expired");
    }
    if (const auto last = context.store.lastCounter(nodeId); last && claims.counter <= *last) {
        throw ReportRefused(403, "report counter " + std::to_string(claims.counter) +
                                     " is not greater than the last accepted " +
                                     std::to_string(*last));
    }
    try {
        integrity::checkSummary(claims, xml.ivalResults, xml.signedIvalResult);
    } catch (const integrity::ReportRejected& e) {
        throw ReportRefused(403, e.what());
    }
    checkSubmods(claims, nodeId);
    return report;
}

}  // namespace

bool integrityRequired(EndpointContext& context, const std::string& nodeId) {
    return context.integrity.requireIntegrity || context.store.attestationKey(nodeId).has_value() ||
           context.store.policy(nodeId).has_value();
}

AppraisalResult appraiseReport(EndpointContext& context, const std::string& nodeId,
                               const agent::IntegrityValResults& xml) {
    std::optional<integrity::Report> report;
    try {
        report = genuineReport(context, nodeId, xml);
    } catch (const ReportRefused& e) {
        context.store.recordAppraisal(nodeId, {"refused", std::nullopt, {}, e.what()}, {});
        throw;
    }
    const integrity::EatClaims& claims = report->claims;
    const auto policy = context.store.policy(nodeId);
    std::optional<integrity::Manifest> reference;
    if (policy) {
        reference = integrity::SignedManifest::decode(policy->manifest).manifest;
    }
    const integrity::FailedObjects failures =
        integrity::failedObjects(claims, reference ? &*reference : nullptr);
    const std::vector<std::string>& failed = failures.names;
    const Verdict verdict = !failures.requiredFailed                  ? Verdict::Full
                            : (policy && policy->onFail == "partial") ? Verdict::Partial
                                                                      : Verdict::Deny;

    const Seconds now = networkNow(context);
    integrity::DecisionClaims decision = integrity::DecisionClaims::answering(
        claims, verdict, policy ? policy->allowed : std::vector<std::string>{},
        static_cast<std::uint64_t>(now),
        static_cast<std::uint64_t>(expiryAfter(now, context.lifetimes.registration)));
    if (auto pending = context.store.takeRemediation(nodeId)) {
        decision.remediation = remediationOf(*pending, *context.store.node(nodeId));
    }
    const base::Bytes signed_ = decision.signWith(*context.integrity.policyKey);

    const std::string verdictName(integrity::toString(verdict));
    context.store.recordAppraisal(
        nodeId, {verdictName, claims.counter, failed, decision.remediation ? "remediation" : ""},
        decision.allowed);
    base::log::kNetsim->info("node {}: report {} appraised {}, failed: {}", nodeId, claims.counter,
                             verdictName, joinedPaths(failed));
    recordGatewayReport(context, nodeId, claims, verdict);
    return {verdict, integrity::toBase64Url(signed_)};
}

void routeIntegrity(const httplib::Request& request, httplib::Response& response,
                    const std::string& nodeId, EndpointContext& context,
                    const std::vector<std::string>& s) {
    if (s.size() == 3 && s[2] == "challenge") {
        if (request.method != "POST") {
            return http::setNotAllowed(response, "POST");
        }
        agent::IntegrityChallenge challenge;
        challenge.nonce.resize(kNonceBytes);
        if (RAND_bytes(challenge.nonce.data(), static_cast<int>(kNonceBytes)) != 1) {
            throw std::runtime_error("no random bytes for a nonce");
        }
        const Seconds expires = expiryAfter(nowSeconds(), context.integrity.challengeLifetime);
        context.store.storeChallenge(nodeId, challenge.nonce, expires);
        challenge.expirationTime = statedTime(context, expires);
        return setXml(response, 201, agent::toXml(challenge));
    }
    if (s.size() == 4 && s[2] == "objects") {
        if (request.method != "GET") {
            return http::setNotAllowed(response, "GET");
        }
        std::int64_t id = 0;
        const auto [ptr, ec] = std::from_chars(s[3].data(), s[3].data() + s[3].size(), id);
        const auto content = ec == std::errc{} && ptr == s[3].data() + s[3].size() && id > 0
                                 ? context.store.integrityObject(nodeId, id)
                                 : std::nullopt;
        if (!content) {
            return http::setError(response, 404, "no such integrity object");
        }
        response.status = 200;
        response.set_content(std::string(content->begin(), content->end()),
                             "application/octet-stream");
        return;
    }
    return http::setError(response, 404, "no such resource");
}

std::string joinedPaths(const std::vector<std::string>& paths) {
    std::string out;
    for (const std::string& n : paths) {
        out += (out.empty() ? "" : ", ") + n;
    }
    return out.empty() ? "none" : out;
}

bool withinAllowed(const std::vector<std::string>& allowed,
                   const std::vector<std::string>& segments) {
    if (segments.size() <= 3) {
        return true;
    }
    std::string relative;
    for (std::size_t i = 3; i < segments.size(); ++i) {
        relative += (i == 3 ? "" : "/") + segments[i];
    }
    return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
        return relative == a || relative.starts_with(a + "/");
    });
}

std::optional<std::string> integrityRefusal(EndpointContext& context, const std::string& nodeId,
                                            const std::vector<std::string>& segments) {
    const IntegrityAccess access = context.store.integrityAccess(nodeId);
    // The registration (a new report) and the SCL itself (its refresh) always pass.
    if (access.verdict.empty() || access.verdict == "full" || segments.size() <= 3) {
        return std::nullopt;
    }
    if (access.verdict == "deny") {
        return std::string("integrity verdict deny: register again with a passing report");
    }
    if (withinAllowed(access.allowed, segments)) {
        return std::nullopt;
    }
    return "integrity verdict partial: only " + joinedPaths(access.allowed) + " allowed";
}

}  // namespace netsim
