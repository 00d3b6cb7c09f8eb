// `m2m integrity report`: a fresh signed report from the IV-SED for a person: the objects of the
// manifest in force measured now, compared and signed in the card, printed as `eat` (base64url of
// the COSE_Sign1, checkable by any COSE library with the key of the provisioning record) with its
// claims decoded beside it. Offline: the nonce is a local one, and the output says so.
#include <iostream>

#include "agent/card_session.hpp"
#include "agent/config.hpp"
#include "agent/integrity_validation.hpp"
#include "base/process.hpp"
#include "base/text.hpp"
#include "commands.hpp"
#include "integrity/cose.hpp"
#include "securechannel/crypto.hpp"
#include "text_output.hpp"

namespace m2m::cli {

namespace {

struct ReportOptions {
    CommonOptions common;
    std::string config;
};

nlohmann::ordered_json claimsJson(const integrity::EatClaims& c) {
    nlohmann::ordered_json j;
    j["iat"] = c.iat ? nlohmann::ordered_json(*c.iat) : nullptr;
    j["eat_nonce"] = base::toHex(c.nonce);
    j["ueid"] = base::toHex(c.ueid);
    j["eat_profile"] = integrity::kEatProfile;
    nlohmann::ordered_json measurements = nlohmann::ordered_json::array();
    for (const auto& m : c.measurements) {
        measurements.push_back({{"name", m.name}, {"sha256", base::toHex(m.sha256)}});
    }
    j["measurements"] = measurements;
    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    for (const auto& r : c.results) {
        results.push_back({{"name", r.name}, {"result", std::string(toString(r.result))}});
    }
    j["measres"] = results;
    j["manifest_version"] = c.manifestVersion;
    j["report_counter"] = c.counter;
    return j;
}

Exit integrityReport(const ReportOptions& options) {
    base::hardenProcess();
    agent::AgentConfig config = agent::loadAgentConfig(options.config);
    if (options.common.reader) {
        config.reader = options.common.reader;
    }
    if (!config.integrity.enabled) {
        throw std::invalid_argument("integrity validation is not enabled in " + options.config +
                                    " ([integrity] enabled = true)");
    }
    agent::CardSession card(agent::CardSession::Options{
        config.reader, config.kmsaFile, {}, config.integrity.kmsaIvFile});
    const agent::IntegrityValidator validator(config.integrity, config.configFile, config.stateDir);
    const base::Bytes nonce = securechannel::randomBytes(32);
    std::optional<agent::LocalReport> local;
    integrity::SignedManifest manifest;
    seuicc::IvSedStatus status;
    card.runWithIvSed([&](provisioning::CardOperations&, agent::IvSedPort& iv) {
        status = iv.status();
        manifest = validator.manifestInForce(status);
        local = agent::signLocalReport(iv, manifest.manifest, validator.paths(), nonce);
    });
    card.close();
    const integrity::PublicKey attestation =
        integrity::PublicKey::fromPoint(status.attestationPublicKey);
    local->report.verifyWith(attestation);  // SignatureInvalid: not this card's report
    const bool passes = local->report.claims.passes(manifest.manifest);

    nlohmann::ordered_json out;
    out["eat"] = integrity::toBase64Url(local->coseSign1);
    out["eat_bytes"] = local->coseSign1.size();
    out["nonce_source"] = "local";
    out["note"] = "offline: signed over a local nonce, not an NSCL challenge";
    out["claims"] = claimsJson(local->report.claims);
    out["passes"] = passes;
    out["attestation_public_key"] = attestation.pem();
    printResult(options.common, out, [&] {
        const auto& c = local->report.claims;
        std::cout << "Integrity report " << c.counter << " (manifest version " << c.manifestVersion
                  << "), signed by the IV-SED over a local nonce (offline): "
                  << (passes ? "passes" : "FAILS") << '\n';
        for (const auto& r : c.results) {
            std::cout << "  " << base::printable(r.name) << ": " << toString(r.result) << '\n';
        }
        std::cout << "  eat (" << local->coseSign1.size()
                  << " bytes): " << integrity::toBase64Url(local->coseSign1) << '\n';
    });
    return passes ? Exit::Ok : Exit::Failure;
}

}  // namespace

void addIntegrityReportCommand(CLI::App& app, int& exitCode) {
    CLI::App* integrity = nullptr;
    try {
        integrity = app.get_subcommand("integrity");
    } catch (const CLI::OptionNotFound&) {
        integrity = app.add_subcommand("integrity", "Integrity validation (security profile §7)");
        integrity->require_subcommand(1);
    }
    auto options = std::make_shared<ReportOptions>();
    auto* cmd = integrity->add_subcommand(
        "report", "Measure now and print a report signed by the IV-SED (eat + decoded claims)");
    cmd->add_option("--config", options->config, "Agent configuration (TOML) with [integrity]")
        ->required()
        ->envname("M2M_AGENT_CONFIG");
    addCommonOptions(*cmd, options->common);
    cmd->callback([options, &exitCode] {
        exitCode = runGuarded(options->common, [&] { return integrityReport(*options); });
    });
}

}  // namespace m2m::cli
