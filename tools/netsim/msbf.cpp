// MSBF: TLS-based bootstrap with the card-held Kbs (security-profile §4.3), or GBA-based with a
// B-TID (§4.2). The session itself authenticates the node; the answer is the same for both.
#include "base/bytes.hpp"
#include "endpoints.hpp"
#include "provisioning/param_sets.hpp"
#include "securechannel/tls/card_keys.hpp"
#include "server_names.hpp"

namespace netsim {

void routeMsbf(const httplib::Request& request, httplib::Response& response,
               const PskConnection& connection, EndpointContext& context) {
    if (request.path != "/m2m/bootstrap") {
        return http::setError(response, 404, "no such resource");
    }
    if (request.method != "GET") {
        return http::setNotAllowed(response, "GET");
    }
    // GBA-based (§4.2): Kmr = Ks_int_NAF of the MSBF's NAF_Id, which the card derives itself.
    // TLS-based (§4.3): the session's exporter, which the card computes too.
    auto gba = gbaNodeKey(context, Endpoint::Msbf, connection, context.lifetimes.kmr);
    const base::SecretBuffer kmr =
        gba ? std::move(gba->key)
            : connection.exportKey(securechannel::tls::kBootstrapExporterLabel);
    const NodeRecord node = context.store.issueKmr(connection.owner(), kmr.view(),
                                                   gba ? gba->lifetime : context.lifetimes.kmr);
    provisioning::BootstrapParamSet params;
    const base::Bytes id = base::fromHex(node.nodeId);
    std::copy(id.begin(), id.end(), params.nodeId.begin());
    params.kmrIndex = node.kmrIndex;
    params.kmrExpiry = statedTime(context, *node.kmrExpiry);
    params.masFqdn = node.masFqdn;
    params.sclId = node.sclId;
    params.nsclList = node.nscl;
    setXml(response, 200, provisioning::toXml(params));
}

}  // namespace netsim
