// A device's report at the gateway (agent/GATEWAY.md §2): the shared checks of
// integrity/appraisal.hpp, the nonce and counter the gateway keeps, the report's iat against
// secure time, the verdict by the gateway's policy and the decision signed with its policy key.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/mid_resources.hpp"
#include "base/error.hpp"
#include "integrity/cose.hpp"
#include "integrity/decision.hpp"
#include "seuicc/sed_status.hpp"

namespace agent {

// A report the gateway does not appraise: 400 (no report) or 403, with the reason.
class DeviceReportRefused : public base::Error {
public:
    DeviceReportRefused(int status, const std::string& reason)
        : base::Error(reason), status_(status) {}
    [[nodiscard]] int status() const { return status_; }

private:
    int status_;
};

struct DeviceView {
    std::string nodeHex;
    seuicc::NodeId nodeId{};
    std::optional<integrity::PublicKey> attestationKey;  // absent: unattested
    std::optional<std::uint32_t> lastCounter;
};

struct AppraisalPolicy {
    std::string onFail;  // "deny" or "partial"
    std::vector<std::string> allowed;
    std::string unattested;  // "full", "partial" or "deny"
    std::chrono::seconds decisionLifetime{3600};
    std::chrono::seconds timeTolerance{60};
};

struct DeviceAppraisal {
    integrity::Verdict verdict = integrity::Verdict::Deny;
    std::vector<std::string> allowed;      // partial only
    std::optional<std::uint32_t> counter;  // the appraised report's; absent: unattested
    std::optional<std::string> decision;   // base64url COSE_Sign1; absent: unattested
    std::vector<std::string> failedObjects;
};

// `takeNonce` takes the report's nonce (one use) or throws DeviceReportRefused.
DeviceAppraisal appraiseDevice(const DeviceView& device,
                               const std::optional<IntegrityValResults>& report,
                               const AppraisalPolicy& policy,
                               const integrity::PrivateKey& policyKey,
                               std::chrono::system_clock::time_point now,
                               const std::function<void(const base::Bytes& nonce)>& takeNonce);

}  // namespace agent
