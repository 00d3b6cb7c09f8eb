// The NSCL's side of integrity validation on mId (integrity/FORMATS.md §4-§5, security-profile
// §7.3): the challenge, the appraisal of a report against the NSCL's own reference values, the
// signed decision, what a partial or deny verdict still lets through, and the remediation
// objects.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include "agent/mid_resources.hpp"
#include "base/error.hpp"
#include "endpoints.hpp"
#include "integrity/decision.hpp"

namespace netsim {

// A report the NSCL does not appraise: the reason, and the HTTP status that answers it (400 for a
// report that is not one, 403 for one that is not genuine, fresh or this node's).
class ReportRefused : public base::Error {
public:
    ReportRefused(int status, const std::string& reason) : base::Error(reason), status_(status) {}
    [[nodiscard]] int status() const { return status_; }

private:
    int status_;
};

// Whether the node must send a report with its registration and refreshes: it has an
// attestation key or a policy, or `serve --require-integrity`.
[[nodiscard]] bool integrityRequired(EndpointContext& context, const std::string& nodeId);

struct AppraisalResult {
    integrity::Verdict verdict = integrity::Verdict::Deny;
    std::string decision;  // base64url of the signed decision's COSE_Sign1
};

// Checks the report (signature under the node's key, ueid, nonce issued to this node, unexpired
// and unused, counter above the last accepted, the XML summary against the signed claims),
// compares its measurements with the reference values of the node's manifest, records the verdict
// and signs the decision. ReportRefused (recorded too) when the report is not appraised.
AppraisalResult appraiseReport(EndpointContext& context, const std::string& nodeId,
                               const agent::IntegrityValResults& report);

// /m2m/integrity/...: POST challenge, GET objects/{id}. `segments` are the path's.
void routeIntegrity(const httplib::Request& request, httplib::Response& response,
                    const std::string& nodeId, EndpointContext& context,
                    const std::vector<std::string>& segments);

// Whether a partial verdict's `allowed` paths (relative to the SCL) reach the request: the SCL
// itself (its refresh) always, below it only an allowed path or what is under one. `segments` are
// the path's, /m2m/scls/{n} the first three.
[[nodiscard]] bool withinAllowed(const std::vector<std::string>& allowed,
                                 const std::vector<std::string>& segments);
// "a, b" or "none": allowed paths in a refusal.
[[nodiscard]] std::string joinedPaths(const std::vector<std::string>& paths);

// Why the node's last verdict refuses this mId request (partial: outside the allowed paths; deny:
// anything but a new registration); nullopt when it may pass. `segments` are the path's, below
// /m2m/scls/{n} from the fourth on.
[[nodiscard]] std::optional<std::string> integrityRefusal(EndpointContext& context,
                                                          const std::string& nodeId,
                                                          const std::vector<std::string>& segments);

}  // namespace netsim
