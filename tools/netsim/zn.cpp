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

std::optional<std::string> btidOfPskIdentity(std::string_view identity) {
    constexpr std::string_view kPrefix = "3GPP-bootstrapping";
    if (identity.substr(0, kPrefix.size()) != kPrefix) {
        return std::nullopt;
    }
    std::string_view btid = identity.substr(kPrefix.size());
    if (!btid.empty() && (btid.front() == ';' || btid.front() == '.')) {
        btid.remove_prefix(1);
    }
    // base64(RAND) "@" FQDN: neither part empty.
    const auto at = btid.find('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == btid.size()) {
        return std::nullopt;
    }
    return std::string(btid);
}

}  // namespace netsim
