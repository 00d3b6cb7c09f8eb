// NSCL service connection with the card-held Kmr (security-profile §5.1): a new Kmc, the
// session's exporter, for every connection procedure.
#include "endpoints.hpp"
#include "provisioning/param_sets.hpp"

namespace netsim {

http::Response routeConnection(const http::Request& request, TlsSession& session,
                               EndpointContext& context) {
    if (request.path != "/m2m/connection") {
        return http::errorResponse(404, "no such resource");
    }
    if (request.method != "POST") {
        return http::notAllowed("POST");
    }
    const base::SecretBuffer kmc = exportKey(session, "EXPORTER-ETSI-TC-M2M-Connection");
    const NodeRecord node =
        context.store.issueKmc(session.nodeId(), kmc.view(), context.lifetimes.kmc);
    provisioning::ConnectionParamSet params;
    params.connectionId = node.connectionId;
    params.kmcIndex = node.kmcIndex;
    params.kmcExpiry = Clock::time_point(std::chrono::seconds(*node.kmcExpiry));
    params.sclId = node.sclId;
    params.midFlags = "tls";
    return xmlResponse(200, provisioning::toXml(params));
}

}  // namespace netsim
