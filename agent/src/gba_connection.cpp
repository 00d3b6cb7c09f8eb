#include "agent/gba_connection.hpp"

#include <algorithm>

#include "base/log.hpp"

namespace agent {

namespace tls = securechannel::tls;

GbaConnectionResult runGbaServiceConnection(
    provisioning::GbaClient& gba, provisioning::CardOperations& card,
    const std::string& connectionUrl, const std::string& nsclFqdn, const std::string& sclId,
    std::optional<std::chrono::system_clock::time_point> secureNow) {
    tls::HttpRequest request;
    request.method = "POST";
    request.url = provisioning::joinUrl(connectionUrl, "/m2m/connection");
    provisioning::GbaClient::UaResult ua =
        gba.exchange(card, seuicc::ExportTarget::Kmc, nsclFqdn, request);

    GbaConnectionResult result;
    ConnectionResult& c = result.connection;
    c.params = provisioning::parseConnectionParamSet(ua.response.body);
    c.tls = ua.response.tls;
    c.kmcKcv = ua.kcv;
    checkConnectionAnswer(c.params, sclId, secureNow);
    result.btid = ua.bootstrap.btid;
    result.kmcExpiry = std::min(c.params.kmcExpiry, ua.bootstrap.expiry);
    card.activateKey(seuicc::ExportTarget::Kmc, c.params.kmcIndex, result.kmcExpiry,
                     c.params.connectionId);
    base::log::kAgent->info("new Kmc (GBA) active: index {}, connection {}, B-TID {}, cipher {}",
                            c.params.kmcIndex, c.params.connectionId, result.btid, c.tls.cipher);
    return result;
}

}  // namespace agent
