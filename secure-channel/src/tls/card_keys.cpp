#include "securechannel/tls/card_keys.hpp"

namespace securechannel::tls {

SecretBuffer SedKeyOperations::computeMasterSecret(seuicc::KeySlot slot,
                                                   seuicc::MasterSecretMode mode, ByteView seed) {
    return sed_->computeMasterSecret(*transaction_, *tunnel_, slot, mode, seed);
}

seuicc::KeyCheckValue SedKeyOperations::deriveExportedKey(seuicc::ExportTarget target,
                                                          ByteView clientRandom,
                                                          ByteView serverRandom) {
    return sed_->deriveExportedKey(*transaction_, *tunnel_, target, clientRandom, serverRandom);
}

}  // namespace securechannel::tls
