// `m2m provision`: personalises a test SIM's M2M-SED from a profile, locks it, and prints the
// record for the network side. Keys go only into 0600 files (--kmsa-file, --export-keys).
#include <iostream>

#include "base/process.hpp"
#include "base/text.hpp"
#include "commands.hpp"
#include "provisioning/personalisation.hpp"
#include "text_output.hpp"

namespace m2m::cli {

namespace {

struct ProvisionOptions {
    CommonOptions common;
    std::string profile;
    std::string kmsaFile;
    std::string exportKeys;
    std::string kmsaIvFile;
    bool noLock = false;
};

Exit provision(const ProvisionOptions& options) {
    base::hardenProcess();  // before the profile's keys are read or new ones generated
    const provisioning::SimProfile profile = provisioning::loadSimProfile(options.profile);
    provisioning::PersonaliseOptions run;
    run.kmsaFile = options.kmsaFile;
    if (!options.exportKeys.empty()) {
        run.exportKeysFile = options.exportKeys;
    } else if (profile.kmr.generate()) {
        std::cerr << "m2m: warning: Kmr is generated and --export-keys is not given: the network "
                     "side will only ever see its key check value\n";
    }
    run.lock = !options.noLock;
    if (!options.kmsaIvFile.empty()) {
        run.kmsaIvFile = options.kmsaIvFile;
    }

    auto connection = connect(options.common);
    const auto result = provisioning::personalise(*connection.card, profile, run);

    nlohmann::ordered_json out = result.record();
    out["reader"] = connection.readerName;
    out["counters"] = {{"apdus", result.counters.apdus},
                       {"bytes_sent", result.counters.bytesSent},
                       {"bytes_received", result.counters.bytesReceived},
                       {"elapsed_ms", result.elapsedMs}};
    printResult(options.common, out, [&] {
        std::cout << "Card " << base::printable(result.iccid) << ": "
                  << (result.outcome == provisioning::PersonaliseOutcome::Personalised
                          ? "personalised"
                          : "already personalised with these keys")
                  << ", lifecycle " << seuicc::toString(result.status.lifecycle) << '\n';
        for (const auto& [key, value] : out.items()) {
            if (key != "counters" && key != "outcome" && key != "iv_attestation_public_key") {
                // JSON text (strings quoted), through printable: the card's strings are in it.
                std::cout << "  " << key << ": " << base::printable(jsonText(value)) << '\n';
            }
        }
        std::cout << "  cost: " << result.counters.apdus << " APDUs, " << result.counters.bytesSent
                  << " bytes sent, " << result.counters.bytesReceived << " bytes received, "
                  << static_cast<long>(result.elapsedMs) << " ms\n";
    });
    return Exit::Ok;
}

}  // namespace

void addProvisionCommand(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<ProvisionOptions>();
    auto* cmd = app.add_subcommand(
        "provision", "Personalise and lock a test SIM's M2M-SED from a profile (scenario 1)");
    cmd->add_option("--profile", options->profile, "Personalisation profile (TOML)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--kmsa-file", options->kmsaFile,
                    "Kmsa for the terminal (0600): written when absent, reused when present")
        ->required();
    cmd->add_option("--kmsa-iv-file", options->kmsaIvFile,
                    "Kmsa_iv of the IV-SED for the terminal (0600), for a profile with [iv_sed]: "
                    "written when absent, reused when present");
    cmd->add_option("--export-keys", options->exportKeys,
                    "Write every key for the network side into this new 0600 file (reused on a "
                    "re-run for the same card)");
    cmd->add_flag("--no-lock", options->noLock, "Commit without locking (stays PERSONALISED)");
    addCommonOptions(*cmd, options->common);
    cmd->callback([options, &exitCode] {
        exitCode = runGuarded(options->common, [&] { return provision(*options); });
    });
}

}  // namespace m2m::cli
