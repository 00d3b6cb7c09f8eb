// NSCL service connection with the card-held Kmr (security-profile §5.1; a new Kmc, the
// session's exporter) or GBA-based with a B-TID (§5.2; Kmc = Ks_int_NAF).
#include "endpoints.hpp"
#include "provisioning/param_sets.hpp"
#include "securechannel/tls/card_keys.hpp"
#include "server_names.hpp"

namespace netsim {

void routeConnection(const httplib::Request& request, httplib::Response& response,
                     const PskConnection& connection, EndpointContext& context) {
    if (request.path != "/m2m/connection") {
        return http::setError(response, 404, "no such resource");
    }
    if (request.method != "POST") {
        return http::setNotAllowed(response, "POST");
    }
    // GBA-based (§5.2): Kmc = Ks_int_NAF of the NSCL's NAF_Id; otherwise (§5.1) the exporter.
    auto gba = gbaNodeKey(context, Endpoint::Connection, connection, context.lifetimes.kmc);
    const base::SecretBuffer kmc =
        gba ? std::move(gba->key)
            : connection.exportKey(securechannel::tls::kConnectionExporterLabel);
    const NodeRecord node = context.store.issueKmc(connection.owner(), kmc.view(),
                                                   gba ? gba->lifetime : context.lifetimes.kmc);
    provisioning::ConnectionParamSet params;
    params.connectionId = node.connectionId;
    params.kmcIndex = node.kmcIndex;
    params.kmcExpiry = statedTime(context, *node.kmcExpiry);
    params.sclId = node.sclId;
    params.midFlags = "tls";
    setXml(response, 200, provisioning::toXml(params));
}

}  // namespace netsim
