#include "securechannel/tls/card_keys.hpp"

namespace securechannel::tls {

SecretBuffer SedKeyOperations::computeMasterSecret(seuicc::KeySlot slot,
                                                   seuicc::MasterSecretMode mode, ByteView seed) {
    // SensitiveBytes is not locked in RAM: move the master secret into locked memory at once;
    // the card client's copy is wiped when `fromCard` goes.
    const seuicc::SensitiveBytes fromCard =
        sed_->computeMasterSecret(*transaction_, *tunnel_, slot, mode, seed);
    return SecretBuffer::copyOf(fromCard.view());
}

seuicc::KeyCheckValue SedKeyOperations::deriveExportedKey(seuicc::ExportTarget target,
                                                          ByteView clientRandom,
                                                          ByteView serverRandom) {
    return sed_->deriveExportedKey(*transaction_, *tunnel_, target, clientRandom, serverRandom);
}

}  // namespace securechannel::tls
