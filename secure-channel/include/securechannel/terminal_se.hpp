// The terminal secured environment (T-SED, security-profile.md §1): the agent's side of the
// UICC-terminal secure channel. It holds Kmsa (from a 0600 key file, in locked memory), hardens
// the process, knows the terminal's identity, and opens TS 102 484 sessions to the M2M-SED.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "base/secret.hpp"
#include "securechannel/ts102484/session.hpp"
#include "securechannel/ts102484/steps.hpp"
#include "seuicc/card_channel.hpp"

namespace securechannel {

// The host name, cut to 32 bytes (Terminal_ID's limit); "localhost" if there is none.
[[nodiscard]] std::string defaultTerminalId();
inline constexpr const char* kDefaultTerminalAppliId = "m2m-agent";

class TerminalSecuredEnvironment {
public:
    struct Options {
        std::filesystem::path kmsaKeyFile;  // 16 bytes, hex or raw, mode 0600/0400
        std::string terminalId;             // empty: defaultTerminalId()
        std::string terminalAppliId = kDefaultTerminalAppliId;
        ts102484::SessionPolicy policy;
    };

    // Calls hardenProcess(), then loads Kmsa (loadKeyFile, KeyFileError on a bad file).
    // Throws std::invalid_argument for an identity outside 1..32 bytes.
    explicit TerminalSecuredEnvironment(Options options);

    [[nodiscard]] const ts102484::TerminalIdentity& identity() const { return identity_; }
    [[nodiscard]] const ts102484::SessionPolicy& policy() const { return policy_; }
    // The KCV of Kmsa, to compare with the card's E4 when a session fails with
    // AuthenticationFailed.
    [[nodiscard]] Bytes kmsaCheckValue() const;

    // On `channel`, where the M2M-SED (`aid`) is selected: retrieve endpoints, check the one for
    // `aid`, establish a master SA (UICC_ID = `iccidRaw`, EF_ICCID as stored), a connection SA,
    // and start the channel. The session's setupCost() has the traffic of each step.
    [[nodiscard]] std::unique_ptr<ts102484::SecureChannelSession> openSession(
        const seuicc::Transaction& transaction, seuicc::CardChannel& channel, ByteView iccidRaw,
        ByteView aid);

private:
    ts102484::TerminalIdentity identity_;
    ts102484::SessionPolicy policy_;
    SecretBuffer kmsa_;
};

}  // namespace securechannel
