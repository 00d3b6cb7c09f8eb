// The agent's hold on the UICC: the PC/SC connection, a logical channel with the M2M-SED selected,
// the terminal secured environment (Kmsa) and one TS 102 484 session, kept across procedures and
// rebuilt on demand. Each procedure runs inside one PC/SC transaction (run()), so other PC/SC
// clients (m2m card status, a modem manager) get the card between procedures.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "provisioning/procedure.hpp"
#include "securechannel/terminal_se.hpp"
#include "seuicc/pcsc.hpp"
#include "seuicc/uicc.hpp"

namespace agent {

class CardSession {
public:
    struct Options {
        std::optional<std::string> reader;  // empty: the first reader with a card
        std::filesystem::path kmsaFile;
    };

    // Loads Kmsa (KeyFileError on a bad file) and hardens the process; touches no card yet.
    explicit CardSession(Options options);
    ~CardSession();
    CardSession(const CardSession&) = delete;
    CardSession& operator=(const CardSession&) = delete;

    // Runs `procedure` with the M2M-SED ready and the secure channel started, connecting,
    // selecting and (re)keying first as needed. A PC/SC failure (card removed or reset, reader
    // gone) drops everything, so the next run() starts from the reader; the error is rethrown.
    void run(const std::function<void(provisioning::SedAccess&)>& procedure);

    // GET DATA, in clear (public data and KCVs), in a transaction of its own.
    seuicc::SedStatus status();

    // Terminates the secure channel and closes the logical channel (best effort).
    void close() noexcept;

    [[nodiscard]] const std::string& readerName() const { return readerName_; }
    [[nodiscard]] const std::string& iccid() const { return info_.iccid; }
    // Everything sent to and received from the card since this object was made.
    [[nodiscard]] seuicc::ApduCounters counters() const;
    // How many times a TS 102 484 session was set up (first time, rekey, after a reset).
    [[nodiscard]] std::uint64_t secureChannelSetups() const { return setups_; }

private:
    void connect();
    void prepare(const seuicc::Transaction& tx);
    void drop() noexcept;

    Options options_;
    securechannel::TerminalSecuredEnvironment tsed_;
    std::unique_ptr<seuicc::PcscContext> context_;
    std::unique_ptr<seuicc::PcscCard> card_;
    std::string readerName_;
    seuicc::CardInfo info_;
    std::unique_ptr<seuicc::CardChannel> basic_;
    std::unique_ptr<seuicc::CardChannel> channel_;
    std::unique_ptr<seuicc::M2mSedClient> sed_;
    std::unique_ptr<securechannel::ts102484::SecureChannelSession> session_;
    seuicc::ApduCounters dropped_;  // traffic of the connections already dropped
    std::uint64_t setups_ = 0;
};

}  // namespace agent
