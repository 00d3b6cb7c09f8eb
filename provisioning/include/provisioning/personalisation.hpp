// Personalisation of a test SIM's M2M-SED (security profile §4.1, pre-provisioned scenario):
// resolve the profile's keys, record them where the network side and the terminal will find
// them, then write, commit and lock the card in one PC/SC transaction.
//
// Re-runnable by design: the key files are written *before* the card is touched and reused
// when they already exist, so a run cut short at any APDU (power loss, card pulled) is finished
// by simply running it again with the same paths.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "provisioning/iv_sed_personalisation.hpp"
#include "provisioning/sim_profile.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/transport.hpp"

namespace provisioning {

class ProvisioningError : public securechannel::Error {
public:
    using securechannel::Error::Error;
};

struct PersonaliseOptions {
    // Kmsa for the terminal secured environment (hex, 0600). Written when absent; reused
    // when present, so that an interrupted run is completed with the same key.
    std::filesystem::path kmsaFile;
    // Every key, for the network side (JSON, 0600), bound to the card's ICCID. Written when
    // absent; reused when present for the same ICCID (refused for another card).
    std::optional<std::filesystem::path> exportKeysFile;
    bool lock = true;  // COMMIT AND LOCK; false leaves the card PERSONALISED (still writable)
    // Kmsa_iv for the terminal (0600), as kmsaFile: needed when the profile has [iv_sed].
    std::optional<std::filesystem::path> kmsaIvFile;
};

enum class PersonaliseOutcome {
    Personalised,         // this run wrote the card
    AlreadyPersonalised,  // the card already held exactly these keys (a completed re-run)
};

struct PersonaliseResult {
    PersonaliseOutcome outcome = PersonaliseOutcome::Personalised;
    std::string iccid;
    seuicc::SedStatus status;           // read back from the card after the run
    std::optional<std::string> imsi;    // the USIM's, when the profile has [usim]
    std::optional<IvSedOutcome> ivSed;  // when the profile has [iv_sed]
    seuicc::ApduCounters counters;
    double elapsedMs = 0;

    // The record for the network side: identities, indexes, lifetimes and key check values;
    // never a key.
    nlohmann::ordered_json record() const;
};

PersonaliseResult personalise(seuicc::Transport& card, const SimProfile& profile,
                              const PersonaliseOptions& options);

// JSON of the card's public data, shared by `m2m provision` and `m2m card status`.
nlohmann::ordered_json statusJson(const seuicc::SedStatus& status);

}  // namespace provisioning
