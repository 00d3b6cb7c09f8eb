#include "recording_keys.hpp"

#include <utility>

namespace sctest {

base::SecretBuffer RecordingKeyOperations::computeMasterSecret(seuicc::KeySlot slot,
                                                               seuicc::MasterSecretMode mode,
                                                               base::ByteView seed) {
    if (failNextMasterSecret) {
        std::rethrow_exception(std::exchange(failNextMasterSecret, nullptr));
    }
    base::SecretBuffer master = keys_.computeMasterSecret(slot, mode, seed);
    masterSecretModes.push_back(mode);
    lastMaster_ = base::SecretBuffer::copyOf(master.view());
    return master;
}

seuicc::KeyCheckValue RecordingKeyOperations::deriveExportedKey(seuicc::ExportTarget target,
                                                                base::ByteView clientRandom,
                                                                base::ByteView serverRandom) {
    const seuicc::KeyCheckValue kcv = keys_.deriveExportedKey(target, clientRandom, serverRandom);
    ++exports;
    return kcv;
}

base::Bytes RecordingKeyOperations::lastMasterSecret() const {
    return {lastMaster_.view().begin(), lastMaster_.view().end()};
}

}  // namespace sctest
