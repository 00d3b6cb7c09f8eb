// The NSCL's integrity validation on mId (see nscl_integrity.hpp).
#include "nscl_integrity.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>

#include "base/log.hpp"
#include "integrity/eat.hpp"
#include "integrity/errors.hpp"
#include "integrity/manifest.hpp"
#include "nscl_gateway.hpp"
#include "server_names.hpp"

namespace netsim {

namespace {

using integrity::MeasurementResult;
using integrity::Verdict;

constexpr std::size_t kNonceBytes = 32;

// RFC 9711 §4.2.1 UEID of type RAND: 01 ‖ M2M-Node-ID.
base::Bytes ueidOf(const std::string& nodeId) {
    base::Bytes ueid{0x01};
    const base::Bytes id = base::fromHex(nodeId);
    ueid.insert(ueid.end(), id.begin(), id.end());
    return ueid;
}

// The manifest objects that did not pass: their measurement missing or not the NSCL's reference
// value, or the card's own result not success. `required` is set when one of them is required.
std::vector<std::string> failedObjects(const integrity::EatClaims& claims,
                                       const integrity::Manifest* reference, bool& requiredFailed) {
    std::vector<std::string> failed;
    requiredFailed = false;
    auto cardResult = [&](const std::string& name) {
        const auto r =
            std::find_if(claims.results.begin(), claims.results.end(),
                         [&](const integrity::ObjectResult& o) { return o.name == name; });
        return r == claims.results.end() ? MeasurementResult::NotRun : r->result;
    };
    if (reference == nullptr) {
        // No policy: only what the card found (its manifest is the provisioned one).
        for (const integrity::ObjectResult& r : claims.results) {
            if (r.result != MeasurementResult::Success) {
                failed.push_back(r.name);
                requiredFailed = true;
            }
        }
        return failed;
    }
    for (const integrity::ManifestObject& object : reference->objects) {
        const auto m =
            std::find_if(claims.measurements.begin(), claims.measurements.end(),
                         [&](const integrity::Measurement& x) { return x.name == object.name; });
        const bool ok = m != claims.measurements.end() && m->sha256 == object.sha256 &&
                        cardResult(object.name) == MeasurementResult::Success;
        if (!ok) {
            failed.push_back(object.name);
            requiredFailed = requiredFailed || object.required;
        }
    }
    return failed;
}

std::uint64_t resultBitmap(const integrity::EatClaims& claims) {
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < claims.results.size() && i < 63; ++i) {
        if (claims.results[i].result != MeasurementResult::Success) {
            bits |= std::uint64_t{1} << i;
        }
    }
    return bits;
}

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
    std::optional<integrity::Report> decoded;
    try {
        decoded = integrity::Report::decode(integrity::fromBase64Url(xml.eat));
    } catch (const integrity::MalformedInput& e) {
        throw ReportRefused(400, std::string("malformed report: ") + e.what());
    }
    const integrity::Report& report = *decoded;
    try {
        report.verifyWith(integrity::PublicKey::fromPem(*keyPem));
    } catch (const integrity::SignatureInvalid&) {
        throw ReportRefused(403,
                            "report signature does not verify under this node's attestation "
                            "key");
    }
    const integrity::EatClaims& claims = report.claims;
    if (claims.ueid != ueidOf(nodeId)) {
        throw ReportRefused(403, "report is another node's (ueid)");
    }
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
    if (xml.signedIvalResult != claims.counter || xml.ivalResults != resultBitmap(claims)) {
        throw ReportRefused(403, "integrityValResults disagree with the signed report");
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
    bool requiredFailed = false;
    const std::vector<std::string> failed =
        failedObjects(claims, reference ? &*reference : nullptr, requiredFailed);
    const Verdict verdict = !requiredFailed                           ? Verdict::Full
                            : (policy && policy->onFail == "partial") ? Verdict::Partial
                                                                      : Verdict::Deny;

    integrity::DecisionClaims decision;
    decision.node = claims.ueid;
    decision.nonce = claims.nonce;
    decision.counter = claims.counter;
    decision.verdict = verdict;
    if (verdict == Verdict::Partial) {
        decision.allowed = policy->allowed;
    }
    if (auto pending = context.store.takeRemediation(nodeId)) {
        decision.remediation = remediationOf(*pending, *context.store.node(nodeId));
    }
    const Seconds now = networkNow(context);
    decision.iat = static_cast<std::uint64_t>(now);
    decision.exp = static_cast<std::uint64_t>(expiryAfter(now, context.lifetimes.registration));
    const integrity::PrivateKey& key = *context.integrity.policyKey;
    const integrity::CoseSign1 signed_ =
        integrity::CoseSign1::sign(key, decision.encode(), key.publicKey().keyId());

    const std::string verdictName(integrity::toString(verdict));
    context.store.recordAppraisal(
        nodeId, {verdictName, claims.counter, failed, decision.remediation ? "remediation" : ""},
        decision.allowed);
    base::log::kNetsim->info("node {}: report {} appraised {}, failed: {}", nodeId, claims.counter,
                             verdictName, joinedPaths(failed));
    recordGatewayReport(context, nodeId, claims, verdict);
    return {verdict, integrity::toBase64Url(signed_.encode())};
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
