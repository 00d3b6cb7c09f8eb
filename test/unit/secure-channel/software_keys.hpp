// A stand-in for the M2M-SED in unit tests: the key slots in memory, the master secret and the
// exporters computed with plain OpenSSL (TLS1-PRF of the default provider), with the card's
// rules (DERIVE needs the last master secret from the right slot). Test tree only: in the product
// a PSK never lives in the terminal.
#pragma once

#include <exception>
#include <map>
#include <optional>
#include <vector>

#include "securechannel/tls/card_keys.hpp"

namespace sctest {

class SoftwareKeyOperations final : public securechannel::tls::CardKeyOperations {
public:
    void setKey(seuicc::KeySlot slot, base::ByteView key);

    base::SecretBuffer computeMasterSecret(seuicc::KeySlot slot, seuicc::MasterSecretMode mode,
                                           base::ByteView seed) override;
    seuicc::KeyCheckValue deriveExportedKey(seuicc::ExportTarget target,
                                            base::ByteView clientRandom,
                                            base::ByteView serverRandom) override;

    // Thrown by the next computeMasterSecret (once), as a broken card would.
    std::exception_ptr failNextMasterSecret;

    // What the "card" was asked.
    std::vector<seuicc::MasterSecretMode> masterSecretModes;
    unsigned exports = 0;
    // The last master secret, to compare with what the peer printed (test only).
    [[nodiscard]] base::Bytes lastMasterSecret() const;
    [[nodiscard]] std::optional<seuicc::KeyCheckValue> pendingKcv() const { return pendingKcv_; }

private:
    std::map<seuicc::KeySlot, base::SecretBuffer> keys_;
    base::SecretBuffer lastMaster_;
    std::optional<seuicc::KeySlot> lastSlot_;
    std::optional<seuicc::KeyCheckValue> pendingKcv_;
};

}  // namespace sctest
