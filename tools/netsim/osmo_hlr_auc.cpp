// osmo-hlr as the BSF's AuC (see osmo_hlr_auc.hpp).
#include "osmo_hlr_auc.hpp"

namespace netsim {

OsmoHlrAuc::OsmoHlrAuc(Store& store, OsmoHlrOptions options, std::chrono::milliseconds timeout)
    : store_(store), hlr_(std::make_unique<OsmoHlr>(std::move(options))) {
    for (const Store::Subscriber& s : store_.subscribers()) {
        sync(s);
    }
    // One IPA unit name for every run: osmo-hlr keeps its SQN IND slot per name.
    gsup_ =
        std::make_unique<GsupClient>(hlr_->address(), hlr_->gsupPort(), "m2m-netsim-bsf", timeout);
    if (!gsup_->waitConnected(std::chrono::seconds(10))) {
        throw AucUnreachable("no GSUP link to osmo-hlr within 10 s");
    }
}

void OsmoHlrAuc::sync(const Store::Subscriber& s) {
    std::lock_guard lock(syncMutex_);
    // Created if osmo-hlr lacks it (a new --hlr-dir); keys written again only after an import,
    // so that a restart of the lab network leaves osmo-hlr's SQN of the subscriber alone.
    hlr_->provision(s.usim.imsi, s.usim.k.view(), s.usim.opc.view(), !s.aucSynced);
    store_.markAucSynced(s.usim.imsi);
}

AuthVector OsmoHlrAuc::vector(const std::string& imsi, const std::optional<Resync>& resync) {
    if (auto s = store_.subscriber(imsi); s && !s->aucSynced) {
        sync(*s);
    }
    return gsup_->vector(imsi, resync);
}

}  // namespace netsim
