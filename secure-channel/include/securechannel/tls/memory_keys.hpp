// The M2M-SED's key operations computed in this process, with the keys in memory: the honest
// baseline of the card-held key (the same PskHttpsClient, the same handshake, the key here
// instead of in the card).
//
// NEVER FOR Kmr, Kmc OR Kbs IN THE AGENT: in the product they never leave the card
// (security-profile.md §1); a terminal holding them defeats the point of the secured environment.
// Uses: `m2m-bench tls-handshake` (card-held next to in-memory), the TLS client's unit tests,
// checking a server's PSK configuration with a key from `m2m provision --export-keys` — and GBA's
// Ua (provisioning/gba_bootstrap.hpp), whose PSK Ks_ext_NAF is by definition the terminal's key
// (GBA_U with TLS in the ME, TS 33.220 4.5.2): the card hands it out inside the secured response
// of SET KEY FROM GBA, it lives here for one exchange and is wiped with this object.
//
// It computes exactly what the card computes (se-uicc/applet/M2M-SED.md §4), with the card's
// rules and typed errors:
//   computeMasterSecret  premaster = uint16(32) ‖ 32×00 ‖ uint16(32) ‖ key (RFC 4279 §2);
//                        plain: PRF(premaster, "master secret", client_random ‖ server_random)
//                        (RFC 5246 §8.1, seed 64 bytes); extended: PRF(premaster,
//                        "extended master secret", session_hash) (RFC 7627 §4, 20..64 bytes);
//                        48 bytes, P_SHA256. An empty slot: SedKeyMissing (the card's 6A88).
//   deriveExportedKey    RFC 5705 without context, 32 bytes, of the last master secret:
//                        "EXPORTER-ETSI-TC-M2M-Bootstrap" -> pending Kmr (needs it from Kbs),
//                        "EXPORTER-ETSI-TC-M2M-Connection" -> pending Kmc (needs it from Kmr);
//                        otherwise SedNoMasterSecret (the card's 6985). Returns the KCV.
//   activatePending      ACTIVATE KEY's key part: the pending key of `target` becomes the key of
//                        its slot (the old one wiped); none pending: SedNoPendingKey (6985).
// Malformed arguments are refused as the card client refuses them (SedInvalidArgument).
#pragma once

#include <map>
#include <optional>

#include "base/secret.hpp"
#include "securechannel/tls/card_keys.hpp"

namespace securechannel::tls {

class InMemoryKeyOperations final : public CardKeyOperations {
public:
    // The card's key slots hold 32-byte keys; any other size is a SedInvalidArgument.
    explicit InMemoryKeyOperations(std::map<seuicc::KeySlot, SecretBuffer> keys);
    // One slot (a bench with one key from the export).
    InMemoryKeyOperations(seuicc::KeySlot slot, SecretBuffer key);

    SecretBuffer computeMasterSecret(seuicc::KeySlot slot, seuicc::MasterSecretMode mode,
                                     ByteView seed) override;
    seuicc::KeyCheckValue deriveExportedKey(seuicc::ExportTarget target, ByteView clientRandom,
                                            ByteView serverRandom) override;

    // The key the last deriveExportedKey computed (empty before). The card keeps its pending key
    // for ACTIVATE KEY and shows only the KCV; here it can be read, for known-answer tests and
    // for comparing with what a server exported.
    [[nodiscard]] ByteView pendingKey() const { return pending_.view(); }

    // ACTIVATE KEY without the parameters the card also stores (index, expiry, ConnectionId: the
    // caller keeps those): agent::SoftwareCard, a device without a card.
    void activatePending(seuicc::ExportTarget target);

private:
    std::map<seuicc::KeySlot, SecretBuffer> keys_;
    SecretBuffer lastMaster_;
    std::optional<seuicc::KeySlot> lastMasterSlot_;
    SecretBuffer pending_;
    std::optional<seuicc::ExportTarget> pendingTarget_;
};

}  // namespace securechannel::tls
