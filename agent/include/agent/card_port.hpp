// The card as the agent's state machine sees it. CardSession (card_session.hpp) is the real one:
// PC/SC, the M2M-SED on a logical channel of its own, the TS 102 484 channel. The unit tests put an
// in-memory card in its place, so every decision of the agent is tested without pcscd.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "agent/config.hpp"
#include "provisioning/procedure.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/iv_sed_client.hpp"
#include "seuicc/sed_status.hpp"

namespace agent {

// Where the card is and what talking to it has cost.
struct CardPathInfo {
    std::string reader;
    std::string iccid;             // empty until the secure channel told it
    seuicc::ApduCounters traffic;  // every APDU since the agent started, re-reads included
    std::uint64_t secureChannelSetups = 0;
    // The master SA of the latest secure-channel setup: "new" (none remembered), "kept" (a new
    // connection SA on the one in hand), "reused" (the remembered one), "refused" or "stale" (the
    // remembered one could not be used: a new one was made).
    std::string masterSa;
    // Last, so the aggregate initialisers of the members above stay as they are.
    CardKind kind = CardKind::Uicc;
};

// The IV-SED's operational commands (se-uicc/applet/IV-SED.md §4), through its own TS 102 484
// session, inside the procedure's card transaction.
class IvSedPort {
public:
    IvSedPort() = default;
    virtual ~IvSedPort() = default;
    IvSedPort(const IvSedPort&) = delete;
    IvSedPort& operator=(const IvSedPort&) = delete;

    virtual seuicc::IvSedStatus status() = 0;
    virtual std::vector<seuicc::IvResult> compare(
        std::span<const seuicc::CompareEntry> entries) = 0;
    // `submods`: a gateway's devices (integrity::encodeSubmods), signed in as claim 266; none for
    // a device's own report.
    virtual seuicc::IvSedClient::SignedReport signReport(base::ByteView nonce,
                                                         std::optional<std::uint64_t> iat,
                                                         std::optional<base::ByteView> submods) = 0;
    virtual seuicc::IvSedClient::DecisionCheck verifyDecision(base::ByteView decision) = 0;
    virtual seuicc::IvSedClient::InstalledManifest installManifest(base::ByteView manifest) = 0;
};

class CardPort {
public:
    CardPort() = default;
    virtual ~CardPort() = default;
    CardPort(const CardPort&) = delete;
    CardPort& operator=(const CardPort&) = delete;

    // Reaches the M2M-SED (reader, logical channel, SELECT) and reads its public data (GET DATA),
    // in one card transaction, unless that is done already. Returns status().
    virtual const seuicc::SedStatus& open() = 0;

    // Runs `procedure` in one card transaction with the secure channel started, opening and
    // (re)keying first as needed. A lost card drops the path (the next call starts from the
    // reader) and the error is rethrown.
    virtual void run(const std::function<void(provisioning::CardOperations&)>& procedure) = 0;

    // The public data as read by open() and kept in step with every ACTIVATE KEY since (the agent
    // is the only one that changes keys), so no GET DATA is needed after a procedure.
    [[nodiscard]] virtual const seuicc::SedStatus& status() const = 0;

    // As run(), with the IV-SED reached too (its logical channel and secure channel under
    // Kmsa_iv, opened on first use and kept). A card path without one throws.
    virtual void runWithIvSed(
        const std::function<void(provisioning::CardOperations&, IvSedPort&)>& procedure) {
        static_cast<void>(procedure);
        throw std::logic_error("this card path has no IV-SED");
    }

    [[nodiscard]] virtual CardPathInfo info() const = 0;

    // Ends the secure channel and closes the logical channel (best effort; never throws).
    virtual void close() noexcept = 0;
};

}  // namespace agent
