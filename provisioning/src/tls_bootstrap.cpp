#include "provisioning/tls_bootstrap.hpp"

#include "base/log.hpp"
#include "provisioning/psk_identity.hpp"

namespace provisioning {

namespace tls = securechannel::tls;

void checkBootstrapAnswer(const BootstrapParamSet& params, const seuicc::NodeId& nodeId) {
    if (params.nodeId != nodeId) {
        throw ProtocolMismatch("bootstrap: the MSBF answered for another M2M-Node-ID");
    }
    if (params.kmrExpiry <= std::chrono::system_clock::now()) {
        throw ProtocolMismatch("bootstrap: the MSBF gave a Kmr lifetime that is already over");
    }
}

BootstrapResult runTlsBootstrap(tls::HttpsClient& client, CardOperations& card,
                                const std::string& msbfUrl, const seuicc::NodeId& nodeId) {
    tls::HttpRequest request;
    request.method = "GET";
    request.url = joinUrl(msbfUrl, "/m2m/bootstrap");
    const tls::PskKey kbs{kbsIdentity(nodeId), seuicc::KeySlot::Kbs};
    const tls::HttpResponse response = client.perform(request, kbs, card, tls::Export::Bootstrap);
    requireSuccess(response, "bootstrap (MSBF)");

    BootstrapResult result;
    result.params = parseBootstrapParamSet(response.body);
    result.tls = response.tls;
    if (!response.tls.exportKcv) {
        throw ProtocolMismatch("bootstrap: the card derived no Kmr");
    }
    result.kmrKcv = *response.tls.exportKcv;
    checkBootstrapAnswer(result.params, nodeId);
    card.activateKey(seuicc::ExportTarget::Kmr, result.params.kmrIndex, result.params.kmrExpiry,
                     std::nullopt);
    base::log::kProvisioning->info("new Kmr active: index {}, cipher {}", result.params.kmrIndex,
                                   result.tls.cipher);
    return result;
}

}  // namespace provisioning
