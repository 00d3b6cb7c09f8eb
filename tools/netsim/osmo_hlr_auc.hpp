// The BSF's AuC when it is osmo-hlr: the child process, its GSUP link, and the subscriptions of
// the store kept in step with osmo-hlr's database (those imported while serve runs are sent
// through the VTY before their first vector).
#pragma once

#include <memory>
#include <mutex>

#include "auc.hpp"
#include "gsup_client.hpp"
#include "osmo_hlr.hpp"
#include "store.hpp"

namespace netsim {

class OsmoHlrAuc : public Auc {
public:
    // Starts osmo-hlr, provisions the store's subscriptions, and waits for the GSUP link.
    OsmoHlrAuc(Store& store, OsmoHlrOptions options, std::chrono::milliseconds timeout);

    AuthVector vector(const std::string& imsi, const std::optional<Resync>& resync) override;
    [[nodiscard]] std::string name() const override { return "osmo-hlr"; }
    [[nodiscard]] const OsmoHlr& hlr() const { return *hlr_; }

private:
    void sync(const Store::Subscriber& subscriber);

    Store& store_;
    std::unique_ptr<OsmoHlr> hlr_;
    std::unique_ptr<GsupClient> gsup_;
    std::mutex syncMutex_;
};

}  // namespace netsim
