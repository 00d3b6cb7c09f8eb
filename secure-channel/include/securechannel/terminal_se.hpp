// The terminal secured environment (T-SED, security-profile.md §1): the agent's side of the
// UICC-terminal secure channel. It holds Kmsa (from a 0600 key file, in locked memory), hardens
// the process, knows the terminal's identity, and opens TS 102 484 sessions to the M2M-SED.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/secret.hpp"
#include "securechannel/ts102484/master_sa_record.hpp"
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

    // On `channel`, where the application `aid` (the M2M-SED) is selected: retrieve endpoints,
    // check the one for `aid`, establish a master SA with the UICC_ID the endpoints give (the
    // card's ICCID: no need to read EF_ICCID), a connection SA, and start the channel: 7 APDUs
    // under T=0. The session reports the ICCID (iccid(), uiccId()), the record to remember
    // (masterSaRecord()) and each step's traffic (setupCost()).
    [[nodiscard]] std::unique_ptr<ts102484::SecureChannelSession> openSession(
        const seuicc::Transaction& transaction, seuicc::CardChannel& channel, ByteView aid);

    // The same, trying the master SA of `remembered` first (M2M-SED.md §10): connection SA +
    // start only, 4 APDUs. A record that fails the checks (tag under this Kmsa, AID, sizes) is
    // not used; one the card no longer knows (6A88) costs 1 APDU; both fall back to a full setup
    // (setupCost().masterSaReuse says which). Other failures are not fallen back from: a wrong
    // Kmsa is AuthenticationFailed here as in a full setup.
    [[nodiscard]] std::unique_ptr<ts102484::SecureChannelSession> openSession(
        const seuicc::Transaction& transaction, seuicc::CardChannel& channel, ByteView aid,
        const ts102484::MasterSaRecord& remembered);

    // For a caller that has read EF_ICCID itself: as openSession(transaction, channel, aid), and
    // the card's UICC_ID must be `iccidRaw` (ProtocolError otherwise).
    [[nodiscard]] std::unique_ptr<ts102484::SecureChannelSession> openSession(
        const seuicc::Transaction& transaction, seuicc::CardChannel& channel, ByteView iccidRaw,
        ByteView aid);

private:
    std::unique_ptr<ts102484::SecureChannelSession> open(const seuicc::Transaction& transaction,
                                                         seuicc::CardChannel& channel, ByteView aid,
                                                         const ts102484::MasterSaRecord* remembered,
                                                         std::optional<ByteView> expectedUiccId);
    std::unique_ptr<ts102484::SecureChannelSession> openFresh(
        const seuicc::Transaction& transaction, seuicc::CardChannel& channel, ByteView aid,
        std::optional<ByteView> expectedUiccId, ts102484::SetupCost cost);

    ts102484::TerminalIdentity identity_;
    ts102484::SessionPolicy policy_;
    SecretBuffer kmsa_;
};

}  // namespace securechannel
