#include "software_keys.hpp"

#include <algorithm>

#include "securechannel/crypto.hpp"
#include "seuicc/m2m_sed_client.hpp"

namespace sctest {

using base::ByteView;
using base::SecretBuffer;

void SoftwareKeyOperations::setKey(seuicc::KeySlot slot, ByteView key) {
    keys_[slot] = SecretBuffer::copyOf(key);
}

SecretBuffer SoftwareKeyOperations::computeMasterSecret(seuicc::KeySlot slot,
                                                        seuicc::MasterSecretMode mode,
                                                        ByteView seed) {
    if (failNextMasterSecret) {
        const std::exception_ptr failure = std::exchange(failNextMasterSecret, nullptr);
        std::rethrow_exception(failure);
    }
    const auto key = keys_.find(slot);
    if (key == keys_.end()) {
        throw seuicc::SedKeyMissing(0x6A88, "COMPUTE MASTER SECRET");
    }
    masterSecretModes.push_back(mode);
    const bool extended = mode == seuicc::MasterSecretMode::Extended;
    const SecretBuffer premaster = securechannel::tlsPskPremaster(key->second.view());
    lastMaster_ = securechannel::tls12Prf(
        premaster.view(), extended ? "extended master secret" : "master secret", seed, 48);
    lastSlot_ = slot;
    return SecretBuffer::copyOf(lastMaster_.view());
}

seuicc::KeyCheckValue SoftwareKeyOperations::deriveExportedKey(seuicc::ExportTarget target,
                                                               ByteView clientRandom,
                                                               ByteView serverRandom) {
    const bool bootstrap = target == seuicc::ExportTarget::Kmr;
    const seuicc::KeySlot from = bootstrap ? seuicc::KeySlot::Kbs : seuicc::KeySlot::Kmr;
    if (!lastSlot_ || *lastSlot_ != from) {
        throw seuicc::SedNoMasterSecret(0x6985, "DERIVE EXPORTED KEY");
    }
    base::Bytes seed(clientRandom.begin(), clientRandom.end());
    seed.insert(seed.end(), serverRandom.begin(), serverRandom.end());
    const SecretBuffer exported = securechannel::tls12Prf(
        lastMaster_.view(),
        bootstrap ? "EXPORTER-ETSI-TC-M2M-Bootstrap" : "EXPORTER-ETSI-TC-M2M-Connection", seed, 32);
    const base::Bytes kcv = securechannel::keyCheckValue(exported.view());
    seuicc::KeyCheckValue result{};
    std::copy_n(kcv.begin(), result.size(), result.begin());
    pendingKcv_ = result;
    ++exports;
    return result;
}

base::Bytes SoftwareKeyOperations::lastMasterSecret() const {
    return {lastMaster_.view().begin(), lastMaster_.view().end()};
}

}  // namespace sctest
