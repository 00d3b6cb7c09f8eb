// M2M Service Connection, GBA-based (security-profile.md §5.2): as the GBA-based bootstrap
// (provisioning/gba_bootstrap.hpp) with the NSCL's connection endpoint as the NAF. The card keeps
// Kmc = Ks_int_NAF for the NSCL's NAF_Id as its pending Kmc; the NSCL answers the connection
// parameters over Ua (PSK = Ks_ext_NAF); the card activates Kmc with KmcIndex, ConnectionId and
// a lifetime never beyond the B-TID's. Kmr is not used.
#pragma once

#include <string>

#include "agent/service_connection.hpp"
#include "provisioning/gba_bootstrap.hpp"

namespace agent {

struct GbaConnectionResult {
    ConnectionResult connection;  // params, Kmc KCV, TLS summary of Ua
    std::string btid;
    std::chrono::system_clock::time_point kmcExpiry;  // as activated: min(NSCL's, B-TID's)
};

// POST <connectionUrl>/m2m/connection over Ua with NAF_Id from `nsclFqdn`. Throws like
// runGbaBootstrap; the answer passes checkConnectionAnswer.
GbaConnectionResult runGbaServiceConnection(
    provisioning::GbaClient& gba, provisioning::CardOperations& card,
    const std::string& connectionUrl, const std::string& nsclFqdn, const std::string& sclId,
    std::optional<std::chrono::system_clock::time_point> secureNow);

}  // namespace agent
