#include "seuicc/sed_errors.hpp"

#include <fmt/format.h>

#include "sed_coding.hpp"

namespace seuicc::sed {

namespace {

std::string_view commandName(SedCommand command) {
    switch (command) {
        case SedCommand::Select:
            return "SELECT M2M-SED";
        case SedCommand::GetData:
            return "M2M-SED GET DATA";
        case SedCommand::VerifyAdmin:
            return "M2M-SED VERIFY ADMIN";
        case SedCommand::StoreData:
            return "M2M-SED STORE DATA";
        case SedCommand::Commit:
            return "M2M-SED COMMIT";
        case SedCommand::Lock:
            return "M2M-SED LOCK";
        case SedCommand::ComputeMasterSecret:
            return "M2M-SED COMPUTE MASTER SECRET";
        case SedCommand::DeriveExportedKey:
            return "M2M-SED DERIVE EXPORTED KEY";
        case SedCommand::ActivateKey:
            return "M2M-SED ACTIVATE KEY";
        case SedCommand::KeyFromGba:
            return "M2M-SED SET KEY FROM GBA";
    }
    return "M2M-SED";
}

// 6985 says "conditions of use not satisfied"; which condition depends on the command
// (M2M-SED.md §3, §4).
[[noreturn]] void throwWrongState(SedCommand command, std::uint16_t sw) {
    const std::string_view name = commandName(command);
    switch (command) {
        case SedCommand::StoreData:
        case SedCommand::VerifyAdmin:
            throw SedLocked(sw, fmt::format("{} (the applet is LOCKED)", name));
        case SedCommand::Commit:
            throw SedIncomplete(
                sw, fmt::format("{} (a mandatory item of C1..C6, D1, D4 is missing, or the applet "
                                "is LOCKED)",
                                name));
        case SedCommand::ComputeMasterSecret:
            throw SedNotPersonalised(sw, fmt::format("{} (the applet is not personalised)", name));
        case SedCommand::DeriveExportedKey:
            throw SedNoMasterSecret(
                sw, fmt::format("{} (no master secret from the slot this target needs)", name));
        case SedCommand::ActivateKey:
            throw SedNoPendingKey(sw, fmt::format("{} (no pending key to activate)", name));
        case SedCommand::KeyFromGba:
            throw SedNoGbaBootstrap(
                sw,
                fmt::format("{} (the USIM has no GBA bootstrap, or the M2M-SED is blank)", name));
        case SedCommand::Lock:
            throw SedWrongState(sw, fmt::format("{} (the applet is not PERSONALISED: blank, or "
                                                "already LOCKED)",
                                                name));
        case SedCommand::Select:
        case SedCommand::GetData:
            break;
    }
    throw SedWrongState(sw, name);
}

}  // namespace

[[noreturn]] void throwSedError(SedCommand command, std::uint16_t sw) {
    const std::string_view name = commandName(command);
    throwDomainError(sw, name, command == SedCommand::VerifyAdmin, [&] {
        if (sw == 0x6A82 && command == SedCommand::Select) {
            throw SedNotInstalled(sw, name);
        }
        if (sw == 0x6985) {
            throwWrongState(command, sw);
        }
    });
}

[[noreturn]] void throwDomainError(std::uint16_t sw, std::string_view name, bool verifyAdmin,
                                   const std::function<void()>& specific) {
    specific();
    if (verifyAdmin && (sw & 0xFFF0) == 0x63C0) {
        throw AdminCodeRejected(sw, name);
    }
    switch (sw) {
        case 0x6983:
            throw AdminBlocked(sw, name);
        case 0x6982:
            throw SedSecurityNotSatisfied(sw, name);
        case 0x6985:
            throw SedWrongState(sw, name);
        case 0x6A80:
            throw SedWrongData(sw, name);
        case 0x6A88:
            throw SedKeyMissing(sw, name);
        case 0x6A86:
        case 0x6B00:
            throw SedWrongParameters(sw, name);
        case 0x6700:
            throw SedWrongLength(sw, name);
        case 0x6D00:
        case 0x6E00:
            throw SedNotSupported(sw, name);
        default:
            break;
    }
    throw SedError(sw, name);
}

const ResponseApdu& requireOk(SedCommand command, const ResponseApdu& response) {
    if (!response.ok()) {
        throwSedError(command, response.sw);
    }
    return response;
}

}  // namespace seuicc::sed
