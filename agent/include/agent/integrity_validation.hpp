// The device's side of integrity validation (security profile §7.3, integrity/FORMATS.md): at
// each registration and refresh, the NSCL's challenge, the measurement of the manifest's
// objects, COMPARE and SIGN REPORT in the IV-SED, the report in m2m:scl/integrityValResults;
// then the NSCL's decision, verified by the card (VERIFY DECISION) and on the terminal (node,
// nonce, counter, validity, the policy key's id), and the recovery action of each object that
// failed: report, quarantine, rollback (restore the known-good copy, verify, report again),
// halt (no mId data until a report passes); a remediation order is fetched, checked, installed
// in the card and reported on again.
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/card_port.hpp"
#include "agent/config.hpp"
#include "agent/integrity_objects.hpp"
#include "agent/mid_client.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"

namespace agent {

// The decision failed a check on the terminal or in the card; nothing of it was acted on.
class DecisionRefused : public base::Error {
public:
    using base::Error::Error;
};

struct IntegrityAction {
    std::string object;
    std::string action;   // report, quarantine, rollback, halt, remediation
    std::string outcome;  // what happened, in words
    std::chrono::system_clock::time_point at;
};

class IntegrityValidator {
public:
    // `stateDir`/integrity holds the manifest in force and the recovery copies.
    IntegrityValidator(IntegrityConfig config, std::filesystem::path configFile,
                       std::filesystem::path stateDir);

    // Challenge, measure, compare, sign: what the registration or refresh carries. A gateway
    // passes its devices' `submods` (GATEWAY.md §3) for the card to sign into the EAT.
    IntegrityValResults report(provisioning::CardOperations& card, IvSedPort& iv, MidClient& mid,
                               const std::optional<base::Bytes>& submods = std::nullopt);

    struct Applied {
        integrity::Verdict verdict = integrity::Verdict::Deny;
        bool reportAgain = false;  // a rollback restored an object or a remediation was installed
    };
    // The NSCL's answer to the latest report(). DecisionRefused when there is none or it fails a
    // check (then the verdict is taken as deny and no recovery runs).
    Applied apply(const std::optional<std::string>& decision, provisioning::CardOperations& card,
                  IvSedPort& iv, MidClient& mid, std::chrono::system_clock::time_point now);

    // halt in force: no mId data until a report passes.
    [[nodiscard]] bool halted() const { return halted_; }
    [[nodiscard]] std::optional<integrity::Verdict> verdict() const { return verdict_; }
    // Under partial, the resource paths (relative to the node's SCL) still allowed.
    [[nodiscard]] const std::vector<std::string>& allowed() const { return allowed_; }
    // The last report, verdict and actions, for `m2m agent status`.
    [[nodiscard]] nlohmann::ordered_json statusJson() const;

    // The manifest the card holds (state copy or the configured file, by the card's digest).
    [[nodiscard]] integrity::SignedManifest manifestInForce(const seuicc::IvSedStatus& card) const;
    [[nodiscard]] const ObjectPaths& paths() const { return paths_; }

private:
    void note(const std::string& object, const std::string& action, const std::string& outcome,
              std::chrono::system_clock::time_point at);
    bool recover(const integrity::ManifestObject& object, const MeasuredObject& measured,
                 std::chrono::system_clock::time_point at);
    void remediate(const integrity::Remediation& order, provisioning::CardOperations& card,
                   IvSedPort& iv, MidClient& mid, std::chrono::system_clock::time_point at);

    IntegrityConfig config_;
    ObjectPaths paths_;
    RecoveryStore store_;
    // The latest round.
    std::optional<integrity::SignedManifest> manifest_;
    std::vector<MeasuredObject> measured_;
    std::optional<integrity::Report> lastReport_;
    std::string lastEat_;
    seuicc::IvSedStatus card_;
    std::optional<integrity::Verdict> verdict_;
    std::vector<std::string> allowed_;
    bool halted_ = false;
    std::vector<IntegrityAction> actions_;
    std::uint64_t reports_ = 0;
    std::uint64_t remediations_ = 0;
};

// Signs a report now for a person (`m2m integrity report`): measure, compare, sign with `nonce`.
struct LocalReport {
    integrity::Report report;
    base::Bytes coseSign1;
};
LocalReport signLocalReport(IvSedPort& iv, const integrity::Manifest& manifest,
                            const ObjectPaths& paths, base::ByteView nonce);

}  // namespace agent
