// Status words of the IV-SED (IV-SED.md §3-§4) to the types of iv_sed_errors.hpp; the words it
// shares with the M2M-SED go through the same mapping (sed::throwDomainError).
#include "seuicc/iv_sed_errors.hpp"

#include <fmt/format.h>

#include "iv_sed_coding.hpp"
#include "sed_coding.hpp"

namespace seuicc::iv {

namespace {

std::string_view commandName(IvCommand command) {
    switch (command) {
        case IvCommand::Select:
            return "SELECT IV-SED";
        case IvCommand::GetData:
            return "IV-SED GET DATA";
        case IvCommand::VerifyAdmin:
            return "IV-SED VERIFY ADMIN";
        case IvCommand::StoreData:
            return "IV-SED STORE DATA";
        case IvCommand::GenerateKey:
            return "IV-SED GENERATE ATTESTATION KEY";
        case IvCommand::Commit:
            return "IV-SED COMMIT";
        case IvCommand::Lock:
            return "IV-SED LOCK";
        case IvCommand::LoadBlock:
            return "IV-SED LOAD BLOCK";
        case IvCommand::InstallManifest:
            return "IV-SED INSTALL MANIFEST";
        case IvCommand::Compare:
            return "IV-SED COMPARE";
        case IvCommand::SignReport:
            return "IV-SED SIGN REPORT";
        case IvCommand::ReadOutput:
            return "IV-SED READ OUTPUT";
        case IvCommand::VerifyDecision:
            return "IV-SED VERIFY DECISION";
    }
    return "IV-SED";
}

// Which condition 6985 names depends on the command (IV-SED.md §3-§4).
std::string_view wrongStateReason(IvCommand command) {
    switch (command) {
        case IvCommand::StoreData:
        case IvCommand::GenerateKey:
            return "the applet is LOCKED";
        case IvCommand::Commit:
            return "C1, D4, E1, E2 or the attestation key is missing, or the applet is LOCKED";
        case IvCommand::Lock:
            return "the applet is not PERSONALISED";
        case IvCommand::Compare:
        case IvCommand::SignReport:
            return "no manifest is installed, or the applet is not personalised";
        case IvCommand::VerifyDecision:
            return "no report was signed since the card's last reset";
        default:
            return "the applet is not personalised";
    }
}

}  // namespace

[[noreturn]] void throwIvError(IvCommand command, std::uint16_t sw) {
    const std::string_view name = commandName(command);
    sed::throwDomainError(sw, name, command == IvCommand::VerifyAdmin, [&] {
        switch (sw) {
            case 0x6A82:
                if (command == IvCommand::Select) {
                    throw IvSedNotInstalled(sw, name);
                }
                return;
            case 0x6985:
                throw IvWrongState(sw, fmt::format("{} ({})", name, wrongStateReason(command)));
            case 0x6A80:
                throw IvMalformed(sw, name);
            case 0x6300:
                throw IvSignatureInvalid(sw, name);
            case 0x6984:
                if (command == IvCommand::VerifyDecision) {
                    throw IvDecisionNotFresh(
                        sw,
                        fmt::format("{} (node, nonce or counter is not the last report's)", name));
                }
                throw IvVersionNotNewer(
                    sw, fmt::format("{} (the version is not above the held manifest's)", name));
            case 0x6A84:
                throw IvTooLarge(sw, name);
            default:
                return;
        }
    });
}

const ResponseApdu& requireOk(IvCommand command, const ResponseApdu& response) {
    if (!response.ok()) {
        throwIvError(command, response.sw);
    }
    return response;
}

}  // namespace seuicc::iv
