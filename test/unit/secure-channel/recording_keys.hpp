// The "card" of the TLS client's unit tests: the library's InMemoryKeyOperations (keys in memory,
// what the card computes) with what a test needs around it: the master-secret modes it was asked
// for, the exports, a copy of the last master secret (to compare with what the peer printed),
// and a failure injected into the next master secret, as a broken card would throw it.
#pragma once

#include <exception>
#include <map>
#include <vector>

#include "securechannel/tls/memory_keys.hpp"

namespace sctest {

class RecordingKeyOperations final : public securechannel::tls::CardKeyOperations {
public:
    explicit RecordingKeyOperations(std::map<seuicc::KeySlot, base::SecretBuffer> keys)
        : keys_(std::move(keys)) {}

    base::SecretBuffer computeMasterSecret(seuicc::KeySlot slot, seuicc::MasterSecretMode mode,
                                           base::ByteView seed) override;
    seuicc::KeyCheckValue deriveExportedKey(seuicc::ExportTarget target,
                                            base::ByteView clientRandom,
                                            base::ByteView serverRandom) override;

    // Thrown by the next computeMasterSecret (once).
    std::exception_ptr failNextMasterSecret;

    std::vector<seuicc::MasterSecretMode> masterSecretModes;
    unsigned exports = 0;
    [[nodiscard]] base::Bytes lastMasterSecret() const;

private:
    securechannel::tls::InMemoryKeyOperations keys_;
    base::SecretBuffer lastMaster_;
};

}  // namespace sctest
