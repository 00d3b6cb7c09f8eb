// The names the store, the command line and the log share: endpoints, key kinds, node ids in
// hex, unix time and expiries (see store.hpp).
#include "base/bytes.hpp"
#include "store.hpp"

namespace netsim {

Seconds nowSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch())
        .count();
}

Seconds expiryAfter(Seconds now, Seconds lifetime) {
    Seconds expiry = 0;
    if (lifetime <= 0 || lifetime > kMaxLifetime ||
        __builtin_add_overflow(now, lifetime, &expiry)) {
        throw StoreError("a lifetime of " + std::to_string(lifetime) + " s is outside 1.." +
                         std::to_string(kMaxLifetime) + " s");
    }
    return expiry;
}

std::string nodeHex(const seuicc::NodeId& id) {
    return base::toLowerHex(id);
}

const char* keyName(KeyKind kind) {
    switch (kind) {
        case KeyKind::Kbs:
            return "kbs";
        case KeyKind::Kmr:
            return "kmr";
        case KeyKind::Kmc:
            return "kmc";
    }
    return "?";
}

const char* endpointName(Endpoint endpoint) {
    switch (endpoint) {
        case Endpoint::Msbf:
            return "msbf";
        case Endpoint::Connection:
            return "connection";
        case Endpoint::Mid:
            return "mid";
    }
    return "?";
}

std::optional<Endpoint> endpointFrom(std::string_view name) {
    for (Endpoint e : {Endpoint::Msbf, Endpoint::Connection, Endpoint::Mid}) {
        if (name == endpointName(e)) {
            return e;
        }
    }
    return std::nullopt;
}

}  // namespace netsim
