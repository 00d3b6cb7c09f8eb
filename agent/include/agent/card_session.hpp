// The agent's hold on the UICC (the real CardPort): the PC/SC connection, a logical channel with
// the M2M-SED selected, the terminal secured environment (Kmsa) and one TS 102 484 session, kept
// across procedures and rebuilt on demand. Each procedure runs inside one PC/SC transaction, so
// other PC/SC clients (m2m card status, a modem manager) get the card between procedures.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "agent/card_port.hpp"
#include "securechannel/terminal_se.hpp"
#include "seuicc/iv_sed_client.hpp"
#include "seuicc/pcsc.hpp"

namespace agent {

class CardSession final : public CardPort {
public:
    struct Options {
        std::optional<std::string> reader;  // empty: the first reader with a card
        std::filesystem::path kmsaFile;
        // Where the master SA is remembered between runs (M2M-SED.md §10: a Kmsa-tagged record,
        // no secret); empty: a new master SA at every start.
        std::filesystem::path masterSaFile;
        // The IV-SED's Kmsa_iv (integrity validation); empty: no IV-SED path.
        std::filesystem::path kmsaIvFile;
    };

    // Loads Kmsa (KeyFileError on a bad file) and hardens the process; touches no card yet.
    explicit CardSession(Options options);
    ~CardSession() override;

    const seuicc::SedStatus& open() override;
    void run(const std::function<void(provisioning::CardOperations&)>& procedure) override;
    void runWithIvSed(
        const std::function<void(provisioning::CardOperations&, IvSedPort&)>& procedure) override;
    [[nodiscard]] const seuicc::SedStatus& status() const override { return status_; }
    [[nodiscard]] CardPathInfo info() const override;
    void close() noexcept override;

private:
    class Operations;
    class IvOperations;

    // Connects and selects, and reads the public data, whatever is not done yet.
    void openIn(const seuicc::Transaction& tx);
    // Starts the secure channel, reusing what still works.
    void startChannel(const seuicc::Transaction& tx);
    // The IV-SED's channel and session, whatever is not there yet.
    void startIvSed(const seuicc::Transaction& tx);
    void connect();
    void drop() noexcept;
    std::optional<securechannel::ts102484::MasterSaRecord> rememberedMasterSa() const;
    void rememberMasterSa();

    Options options_;
    securechannel::TerminalSecuredEnvironment tsed_;
    std::unique_ptr<seuicc::PcscContext> context_;
    std::unique_ptr<seuicc::PcscCard> card_;
    std::string readerName_;
    std::string iccid_;
    std::unique_ptr<seuicc::CardChannel> basic_;
    std::unique_ptr<seuicc::CardChannel> channel_;
    std::unique_ptr<seuicc::M2mSedClient> sed_;
    std::unique_ptr<securechannel::ts102484::SecureChannelSession> session_;
    std::optional<securechannel::TerminalSecuredEnvironment> ivTsed_;
    std::unique_ptr<seuicc::CardChannel> ivChannel_;
    std::unique_ptr<seuicc::IvSedClient> iv_;
    std::unique_ptr<securechannel::ts102484::SecureChannelSession> ivSession_;
    seuicc::Bytes usimAid_;  // the USIM's AID from EF_DIR, once per card path (GBA)
    seuicc::SedStatus status_;
    bool statusRead_ = false;
    seuicc::ApduCounters dropped_;  // traffic of the connections already dropped
    std::uint64_t setups_ = 0;
    std::string masterSa_ = "none";
};

}  // namespace agent
