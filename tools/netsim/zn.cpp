// Zn, in-process (see zn.hpp).
#include "zn.hpp"

namespace netsim {

std::optional<NafKeys> znLookup(Store& store, const std::string& btid,
                                const securechannel::gba::NafId& naf) {
    auto bootstrap = store.bootstrap(btid);
    if (!bootstrap) {
        return std::nullopt;
    }
    const auto subscriber = store.subscriber(bootstrap->imsi);
    if (!subscriber) {
        return std::nullopt;
    }
    NafKeys keys;
    keys.nodeId = subscriber->nodeId;
    keys.impi = bootstrap->impi;
    keys.expiry = bootstrap->expiry;
    keys.ksExtNaf =
        securechannel::gba::ksExtNaf(bootstrap->ks.view(), bootstrap->rand, bootstrap->impi, naf);
    keys.ksIntNaf =
        securechannel::gba::ksIntNaf(bootstrap->ks.view(), bootstrap->rand, bootstrap->impi, naf);
    return keys;
}

}  // namespace netsim
