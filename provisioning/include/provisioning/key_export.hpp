// The key record `m2m provision --export-keys` writes for the network side, and reads back to
// finish an interrupted run: the card's ICCID, M2M-Node-ID, KmrIndex, Kmr expiry and its keys as
// hex, in a JSON file of its own with mode 0600 (a test SIM's secrets: for the lab network and
// benchmarks only; a production card's keys never leave the provisioning station).
//
// A software-only device (agent/GATEWAY.md §5; `m2m soft-device create`) has a record of the same
// format with `"software": true`: no card, so no `iccid` and no `kmsa`, nor any other card-held key
// (kbs, kiv, the USIM's, the IV-SED's); `scl_id` (its SCL-ID, as a card would hold it) is required.
// It is the device's only copy of its Kmr (`[card] key_file`) and the network's record of it.
//
// One reader and one writer for every program that uses it (the provisioning tool, the lab
// network's import, the benchmarks): keys are decoded straight into SecretBuffers, and every string
// of the parsed document, and the text written, is wiped.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "base/secret.hpp"
#include "securechannel/errors.hpp"
#include "seuicc/sed_status.hpp"

namespace provisioning {

// The file is not a key export this version reads. The message names the file and the field;
// never a key.
class KeyExportError : public securechannel::Error {
public:
    using securechannel::Error::Error;
};

struct KeyExport {
    bool software = false;  // a software-only device: no card (then iccid empty, kmsa empty)
    std::string iccid;      // digits (and F filler), as the card reports it
    seuicc::NodeId nodeId{};
    std::uint32_t kmrIndex = 0;
    std::chrono::system_clock::time_point kmrExpiry{};  // whole seconds
    base::SecretBuffer kmr;                             // 32 bytes
    base::SecretBuffer kmsa;                            // 16 bytes
    std::optional<base::SecretBuffer> kbs;              // 32 bytes
    std::optional<base::SecretBuffer> kiv;              // 32 bytes
    // The USIM's subscription (GBA, the AuC's view), when the profile has a [usim] section.
    std::optional<std::string> imsi;            // 6..15 digits
    std::optional<base::SecretBuffer> usimK;    // 16 bytes
    std::optional<base::SecretBuffer> usimOpc;  // 16 bytes
    // The IV-SED (integrity validation), when the profile has an [iv_sed] section: the terminal's
    // Kmsa_iv, and the attestation public key the card generated (PEM SubjectPublicKeyInfo, what
    // the NSCL checks reports with). The key is absent until the card made it.
    std::optional<base::SecretBuffer> kmsaIv;  // 16 bytes
    std::optional<std::string> ivAttestationPublicKey;
    // The node's SCL-ID: required in a software device's record, optional otherwise (the card
    // holds it).
    std::optional<std::string> sclId;
};

// Reads `path`, checked as a key file (regular, owned by the user, 0600 or 0400, at most 8 KiB).
// Every field is required but kbs, kiv and the USIM's (imsi, usim_k, usim_opc: all or none); each
// is checked for type, size and range. A software record (above) must have none of the card's.
[[nodiscard]] KeyExport readKeyExport(const std::filesystem::path& path);

// Writes `record` to a new file at `path` (mode 0600, never over an existing file).
void writeKeyExport(const std::filesystem::path& path, const KeyExport& record);
// Replaces the record at `path` whole (a new 0600 file beside it, then rename): for what the card
// itself makes during personalisation (the IV-SED's attestation key), added to the record once
// the card has it.
void replaceKeyExport(const std::filesystem::path& path, const KeyExport& record);

}  // namespace provisioning
