// Personalisation of the IV-SED (security profile §7.3.1, se-uicc/applet/IV-SED.md §3): Node-ID,
// Kmsa_iv, the reference-value and NSCL policy keys, an attestation key pair generated inside the
// card, commit and lock; then, through the IV-SED's own TS 102 484 session (Kmsa_iv), the first
// reference manifest. Part of `m2m provision` (personalisation.hpp runs it after the M2M-SED).
//
// Re-runnable like the rest: a locked IV-SED that already holds exactly these keys is accepted,
// a manifest already installed is not sent again, and the attestation key is recorded from the
// card whichever run made it.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "provisioning/sim_profile.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/iv_sed_client.hpp"
#include "seuicc/sed_status.hpp"

namespace provisioning {

struct IvSedOutcome {
    seuicc::IvSedStatus status;           // read back after the run
    std::string attestationPublicKeyPem;  // SubjectPublicKeyInfo
    bool manifestInstalled = false;       // this run installed the profile's manifest
    seuicc::ApduCounters counters;
};

// On a new logical channel of `basic`, in the caller's transaction. `kmsaIv` is the key the
// terminal file holds; `kmsaIvFile` the file (the TS 102 484 session loads it from there).
// ProvisioningError when a locked IV-SED holds other keys; the card's typed errors otherwise.
IvSedOutcome personaliseIvSed(const seuicc::Transaction& tx, seuicc::CardChannel& basic,
                              const SimProfile& profile, const seuicc::NodeId& nodeId,
                              base::ByteView kmsaIv, const std::filesystem::path& kmsaIvFile,
                              bool lock);

// JSON of the IV-SED's public data (the provisioning record, `m2m card status`).
nlohmann::ordered_json ivSedStatusJson(const seuicc::IvSedStatus& status);

}  // namespace provisioning
