// What a TLS 1.2 PSK handshake with a card-held key needs from the card (security-profile.md §3):
// the master secret computed from a key slot, and an exporter computed into the Kmr or Kmc slot.
// The key itself never crosses the card interface; the master secret does, through the
// TS 102 484 secure channel.
#pragma once

#include <string_view>

#include "base/secret.hpp"
#include "securechannel/types.hpp"
#include "seuicc/m2m_sed_client.hpp"

namespace securechannel::tls {

// The RFC 5705 exporters of security-profile.md §4.3 and §5.1 (32 bytes, no context), computed by
// DERIVE EXPORTED KEY into the pending Kmr and Kmc.
inline constexpr std::string_view kBootstrapExporterLabel = "EXPORTER-ETSI-TC-M2M-Bootstrap";
inline constexpr std::string_view kConnectionExporterLabel = "EXPORTER-ETSI-TC-M2M-Connection";

// Implemented by the agent's card session (the M2M-SED through the TS 102 484 channel, in the
// procedure's PC/SC transaction) and, for baselines and tests, by InMemoryKeyOperations.
class CardKeyOperations {
public:
    CardKeyOperations() = default;
    virtual ~CardKeyOperations() = default;
    CardKeyOperations(const CardKeyOperations&) = delete;
    CardKeyOperations& operator=(const CardKeyOperations&) = delete;

    // COMPUTE MASTER SECRET: the 48-byte TLS master secret of the key in `slot`.
    // Plain: seed = client_random ‖ server_random; extended: seed = session hash.
    virtual SecretBuffer computeMasterSecret(seuicc::KeySlot slot, seuicc::MasterSecretMode mode,
                                             ByteView seed) = 0;
    // DERIVE EXPORTED KEY: RFC 5705 exporter of the master secret computed last, into the
    // card's pending Kmr or Kmc. Returns the pending key's KCV.
    virtual seuicc::KeyCheckValue deriveExportedKey(seuicc::ExportTarget target,
                                                    ByteView clientRandom,
                                                    ByteView serverRandom) = 0;
};

}  // namespace securechannel::tls
