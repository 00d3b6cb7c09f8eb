// MSBF: TLS-based bootstrap with the card-held Kbs (security-profile §4.3). The session itself
// authenticates the node; the new Kmr is the session's exporter, which the card computes too.
#include "base/bytes.hpp"
#include "endpoints.hpp"
#include "http_rules.hpp"
#include "provisioning/param_sets.hpp"
#include "securechannel/tls/card_keys.hpp"

namespace netsim {

void routeMsbf(const httplib::Request& request, httplib::Response& response,
               const PskConnection& connection, EndpointContext& context) {
    if (request.path != "/m2m/bootstrap") {
        return http::setError(response, 404, "no such resource");
    }
    if (request.method != "GET") {
        return http::setNotAllowed(response, "GET");
    }
    const base::SecretBuffer kmr =
        connection.exportKey(securechannel::tls::kBootstrapExporterLabel);
    const NodeRecord node =
        context.store.issueKmr(connection.owner(), kmr.view(), context.lifetimes.kmr);
    provisioning::BootstrapParamSet params;
    const base::Bytes id = base::fromHex(node.nodeId);
    std::copy(id.begin(), id.end(), params.nodeId.begin());
    params.kmrIndex = node.kmrIndex;
    params.kmrExpiry = Clock::time_point(std::chrono::seconds(*node.kmrExpiry));
    params.masFqdn = node.masFqdn;
    params.sclId = node.sclId;
    params.nsclList = node.nscl;
    setXml(response, 200, provisioning::toXml(params));
}

}  // namespace netsim
