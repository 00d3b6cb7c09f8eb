#include "agent/integrity_validation.hpp"

#include <fstream>

#include "base/log.hpp"
#include "base/unix_time.hpp"
#include "integrity/cose.hpp"
#include "integrity/errors.hpp"
#include "integrity/measure.hpp"
#include "provisioning/param_sets.hpp"
#include "securechannel/crypto.hpp"

namespace agent {

namespace {

constexpr std::size_t kMaxActionsShown = 32;
constexpr std::size_t kMaxManifestBytes = 8 * 1024;

bool equal(base::ByteView a, base::ByteView b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

std::optional<base::Bytes> readSmallFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    base::Bytes bytes(kMaxManifestBytes + 1);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    if (bytes.empty() || bytes.size() > kMaxManifestBytes) {
        return std::nullopt;
    }
    return bytes;
}

std::vector<seuicc::CompareEntry> compareEntries(const std::vector<MeasuredObject>& measured) {
    std::vector<seuicc::CompareEntry> entries;
    for (std::size_t i = 0; i < measured.size(); ++i) {
        entries.push_back({static_cast<std::uint8_t>(i), measured[i].sha256});
    }
    return entries;
}

std::filesystem::path resolvedExecutable() {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path("/proc/self/exe") : exe;
}

std::uint64_t unixSeconds(std::chrono::system_clock::time_point at) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count());
}

}  // namespace

IntegrityValidator::IntegrityValidator(IntegrityConfig config, std::filesystem::path configFile,
                                       std::filesystem::path stateDir)
    : config_(std::move(config)),
      paths_{config_.root, std::move(configFile), resolvedExecutable()},
      store_(stateDir / "integrity") {}

integrity::SignedManifest IntegrityValidator::manifestInForce(
    const seuicc::IvSedStatus& card) const {
    if (card.manifestVersion == 0) {
        throw IntegrityObjectError("the IV-SED holds no manifest (run m2m provision)");
    }
    for (const auto& path : {store_.dir() / "manifest.cose", config_.manifestFile}) {
        const auto bytes = readSmallFile(path);
        if (!bytes) {
            continue;
        }
        try {
            integrity::SignedManifest m = integrity::SignedManifest::decode(*bytes);
            if (equal(securechannel::sha256(m.envelope.payload), card.manifestDigest)) {
                return m;
            }
        } catch (const integrity::Error& e) {
            base::log::kAgent->warn("ignoring the manifest '{}': {}", path.string(), e.what());
        }
    }
    throw IntegrityObjectError("the manifest the IV-SED holds (version " +
                               std::to_string(card.manifestVersion) +
                               ") is neither in the state directory nor integrity.manifest");
}

IntegrityValResults IntegrityValidator::report(
    provisioning::CardOperations& card, IvSedPort& iv, MidClient& mid,
    const std::optional<base::Bytes>& submods,
    std::optional<std::chrono::system_clock::time_point> secureNow) {
    card_ = iv.status();
    manifest_ = manifestInForce(card_);
    const IntegrityChallenge challenge = mid.integrityChallenge(card);
    if (secureNow && challenge.expirationTime <= *secureNow) {
        throw provisioning::ProtocolMismatch("integrity: the NSCL's challenge expired at " +
                                             provisioning::toDateTime(challenge.expirationTime));
    }
    measured_ = measureObjects(manifest_->manifest, paths_);
    const auto entries = compareEntries(measured_);
    const std::vector<seuicc::IvResult> results = iv.compare(entries);
    const auto signedReport = iv.signReport(
        challenge.nonce, secureNow ? std::optional(unixSeconds(*secureNow)) : std::nullopt,
        submods ? std::optional<base::ByteView>(*submods) : std::nullopt);
    // The card signed it with the key the NSCL knows; a report it did not sign is not sent.
    integrity::Report report = integrity::Report::decode(signedReport.coseSign1);
    report.verifyWith(integrity::PublicKey::fromPoint(card_.attestationPublicKey));
    std::uint64_t failed = 0;
    for (std::size_t i = 0; i < results.size() && i < 64; ++i) {
        if (results[i] != seuicc::IvResult::Success) {
            failed |= std::uint64_t{1} << i;
        }
    }
    lastReport_ = std::move(report);
    lastEat_ = integrity::toBase64Url(signedReport.coseSign1);
    ++reports_;
    base::log::kAgent->info("integrity report {}: manifest {}, {} of {} objects failed",
                            signedReport.counter, manifest_->manifest.version,
                            std::popcount(failed), results.size());
    IntegrityValResults r;
    r.ivalResults = failed;
    r.signedIvalResult = signedReport.counter;
    r.eat = lastEat_;
    return r;
}

void IntegrityValidator::note(const std::string& object, const std::string& action,
                              const std::string& outcome,
                              std::chrono::system_clock::time_point at) {
    base::log::kAgent->info("integrity: {} '{}': {}", action, object, outcome);
    actions_.push_back({object, action, outcome, at});
    if (actions_.size() > kMaxActionsShown) {
        actions_.erase(actions_.begin());
    }
}

bool IntegrityValidator::recover(const integrity::ManifestObject& object,
                                 const MeasuredObject& measured,
                                 std::chrono::system_clock::time_point at) {
    const std::string action(integrity::toString(object.action));
    switch (object.action) {
        case integrity::RecoveryAction::Report:
            note(object.name, action, "reported", at);
            return false;
        case integrity::RecoveryAction::Quarantine:
            if (object.name.front() == '@') {
                note(object.name, action, "the agent cannot quarantine itself: reported", at);
            } else if (!measured.sha256) {
                note(object.name, action, "absent: nothing to quarantine", at);
            } else if (integrity::sha256OfFile(measured.path) != measured.sha256) {
                // Replaced between the measurement and the decision (mended, or changed again):
                // what the report judged is gone, and the next report judges what is there now.
                // Moving it would take a good file out of use on a verdict about another one.
                note(object.name, action, "changed since it was measured: left for the next report",
                     at);
            } else if (store_.quarantine(object.name, measured.path)) {
                note(object.name, action, "moved to quarantine, no longer used", at);
            } else {
                note(object.name, action, "absent: nothing to quarantine", at);
            }
            return false;
        case integrity::RecoveryAction::Rollback: {
            if (!store_.rollback(object.name, measured.path, object.sha256)) {
                note(object.name, action, "no known-good copy with the reference digest: reported",
                     at);
                return false;
            }
            const auto now = integrity::sha256OfFile(measured.path);
            const bool verified = now && equal(*now, object.sha256);
            note(object.name, action,
                 verified ? "restored the known-good copy (digest verified)"
                          : "restored, but the file does not measure as the reference",
                 at);
            return verified;
        }
        case integrity::RecoveryAction::Halt:
            halted_ = true;
            note(object.name, action, "mId data halted until a report passes", at);
            return false;
    }
    return false;
}

void IntegrityValidator::remediate(const integrity::Remediation& order,
                                   provisioning::CardOperations& card, IvSedPort& iv,
                                   MidClient& mid, std::chrono::system_clock::time_point at) {
    const integrity::SignedManifest next = integrity::SignedManifest::decode(order.manifest);
    if (next.manifest.version <= card_.manifestVersion) {
        note("manifest", "remediation",
             "version " + std::to_string(next.manifest.version) + " is installed already", at);
        return;
    }
    // Every object fetched and checked before anything changes, on the card or on disk.
    std::vector<std::pair<std::filesystem::path, base::Bytes>> files;
    for (const integrity::RemediationObject& object : order.objects) {
        base::Bytes content = mid.fetchObject(card, object.url);
        const integrity::ManifestObject* listed = next.manifest.find(object.name);
        const base::Bytes digest = securechannel::sha256(content);
        if (!equal(digest, object.sha256) || listed == nullptr || !equal(digest, listed->sha256)) {
            throw IntegrityObjectError("remediation object '" + object.name +
                                       "' does not match its digest in the order and the manifest");
        }
        files.emplace_back(objectPath(paths_, object.name), std::move(content));
    }
    const auto installed = iv.installManifest(order.manifest);  // the card checks the signature
    std::filesystem::create_directories(store_.dir());
    RecoveryStore::replaceFile(store_.dir() / "manifest.cose", order.manifest);
    for (const auto& [path, content] : files) {
        RecoveryStore::replaceFile(path, content);
    }
    ++remediations_;
    note("manifest", "remediation",
         "manifest version " + std::to_string(installed.version) + " installed, " +
             std::to_string(files.size()) + " object(s) replaced",
         at);
}

IntegrityValidator::Applied IntegrityValidator::apply(
    const std::optional<std::string>& decision, provisioning::CardOperations& card, IvSedPort& iv,
    MidClient& mid, std::optional<std::chrono::system_clock::time_point> secureNow) {
    if (!lastReport_ || !manifest_) {
        throw std::logic_error("IntegrityValidator::apply before report");
    }
    if (!decision) {
        verdict_ = integrity::Verdict::Deny;
        throw DecisionRefused("the NSCL answered the report without a decision");
    }
    const base::Bytes bytes = integrity::fromBase64Url(*decision);
    integrity::Decision d;
    try {
        d = integrity::Decision::decode(bytes);
        d.checkAnswers(lastReport_->claims, secureNow ? unixSeconds(*secureNow) : d.claims.iat);
    } catch (const integrity::Error& e) {
        verdict_ = integrity::Verdict::Deny;
        throw DecisionRefused(std::string("the NSCL's decision is refused: ") + e.what());
    }
    if (!d.envelope.kid || !equal(*d.envelope.kid, card_.policyKeyId)) {
        verdict_ = integrity::Verdict::Deny;
        throw DecisionRefused("the NSCL's decision names another policy key than the card's");
    }
    // The card verifies the signature under the policy key it was provisioned with.
    seuicc::IvSedClient::DecisionCheck check;
    try {
        check = iv.verifyDecision(bytes);
    } catch (const seuicc::SedError& e) {
        verdict_ = integrity::Verdict::Deny;
        throw DecisionRefused(std::string("the IV-SED refused the NSCL's decision: ") + e.what());
    }
    if (check.verdict != static_cast<std::uint8_t>(d.claims.verdict)) {
        verdict_ = integrity::Verdict::Deny;
        throw DecisionRefused("the IV-SED read another verdict from the decision");
    }
    verdict_ = d.claims.verdict;
    allowed_ = d.claims.allowed;
    base::log::kAgent->info("integrity verdict: {}", integrity::toString(*verdict_));

    const auto now = secureNow.value_or(
        base::timeFromUnixSeconds(
            static_cast<std::int64_t>(std::min<std::uint64_t>(
                d.claims.iat, static_cast<std::uint64_t>(base::kMaxUnixSeconds))))
            .value_or(std::chrono::system_clock::time_point{}));
    Applied applied{d.claims.verdict, false, d.claims.iat};
    const auto& claims = lastReport_->claims;
    const bool passes = claims.passes(manifest_->manifest);
    for (std::size_t i = 0; i < manifest_->manifest.objects.size() && i < claims.results.size();
         ++i) {
        const integrity::ManifestObject& object = manifest_->manifest.objects[i];
        const MeasuredObject& measured = measured_[i];
        if (claims.results[i].result == integrity::MeasurementResult::Success) {
            if (!measured.path.empty() && measured.sha256) {
                store_.keepKnownGood(object.name, measured.path, *measured.sha256);
            }
        } else {
            applied.reportAgain = recover(object, measured, now) || applied.reportAgain;
        }
    }
    if (passes && halted_) {
        halted_ = false;
        note("node", "halt", "lifted: the report passed", now);
    }
    if (d.claims.remediation) {
        remediate(*d.claims.remediation, card, iv, mid, now);
        applied.reportAgain = true;
    }
    return applied;
}

nlohmann::ordered_json IntegrityValidator::statusJson() const {
    nlohmann::ordered_json j;
    j["enabled"] = true;
    j["reports"] = reports_;
    if (lastReport_) {
        const auto& c = lastReport_->claims;
        nlohmann::ordered_json results = nlohmann::ordered_json::array();
        for (const auto& r : c.results) {
            results.push_back({{"name", r.name}, {"result", std::string(toString(r.result))}});
        }
        j["last_report"] = {{"counter", c.counter},
                            {"manifest_version", c.manifestVersion},
                            {"passes", manifest_ && c.passes(manifest_->manifest)},
                            {"results", results},
                            {"eat_bytes", lastReport_->envelope.encode().size()}};
    }
    j["verdict"] = verdict_ ? nlohmann::ordered_json(std::string(toString(*verdict_))) : nullptr;
    j["allowed"] = allowed_;
    j["halted"] = halted_;
    j["remediations"] = remediations_;
    nlohmann::ordered_json actions = nlohmann::ordered_json::array();
    for (const auto& a : actions_) {
        actions.push_back({{"object", a.object},
                           {"action", a.action},
                           {"outcome", a.outcome},
                           {"at", provisioning::toDateTime(a.at)}});
    }
    j["actions"] = actions;
    return j;
}

LocalReport signLocalReport(IvSedPort& iv, const integrity::Manifest& manifest,
                            const ObjectPaths& paths, base::ByteView nonce) {
    const auto measured = measureObjects(manifest, paths);
    const auto entries = compareEntries(measured);
    static_cast<void>(iv.compare(entries));
    auto signedReport = iv.signReport(nonce, std::nullopt, std::nullopt);
    LocalReport out{integrity::Report::decode(signedReport.coseSign1),
                    std::move(signedReport.coseSign1)};
    return out;
}

}  // namespace agent
