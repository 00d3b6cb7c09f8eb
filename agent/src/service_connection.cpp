#include "agent/service_connection.hpp"

#include "base/log.hpp"
#include "provisioning/psk_identity.hpp"

namespace agent {

namespace tls = securechannel::tls;
using provisioning::ProtocolMismatch;

void checkConnectionAnswer(const provisioning::ConnectionParamSet& params, const std::string& sclId,
                           std::optional<std::chrono::system_clock::time_point> secureNow) {
    if (!sclId.empty() && params.sclId != sclId) {
        throw ProtocolMismatch("service connection: the NSCL answered for another SCL-ID");
    }
    if (secureNow && params.kmcExpiry <= *secureNow) {
        throw ProtocolMismatch("service connection: the Kmc lifetime is already over");
    }
}

ConnectionResult runServiceConnection(
    tls::HttpsClient& client, provisioning::CardOperations& card, const std::string& connectionUrl,
    const seuicc::NodeId& nodeId, std::uint32_t kmrIndex, const std::string& sclId,
    std::optional<std::chrono::system_clock::time_point> secureNow) {
    tls::HttpRequest request;
    request.method = "POST";
    request.url = provisioning::joinUrl(connectionUrl, "/m2m/connection");
    const tls::PskKey kmr{provisioning::kmrIdentity(nodeId, kmrIndex), seuicc::KeySlot::Kmr};
    const tls::HttpResponse response = client.perform(request, kmr, card, tls::Export::Connection);
    provisioning::requireSuccess(response, "service connection (NSCL)");

    ConnectionResult result;
    result.params = provisioning::parseConnectionParamSet(response.body);
    result.tls = response.tls;
    if (!response.tls.exportKcv) {
        throw ProtocolMismatch("service connection: the card derived no Kmc");
    }
    result.kmcKcv = *response.tls.exportKcv;
    checkConnectionAnswer(result.params, sclId, secureNow);
    card.activateKey(seuicc::ExportTarget::Kmc, result.params.kmcIndex, result.params.kmcExpiry,
                     result.params.connectionId);
    base::log::kAgent->info("new Kmc active: index {}, connection {}, cipher {}",
                            result.params.kmcIndex, result.params.connectionId, result.tls.cipher);
    return result;
}

}  // namespace agent
