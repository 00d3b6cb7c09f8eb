// M2M Service Connection, TLS-PSK with Kmr (security-profile.md §5.1): TLS-PSK to the NSCL's
// connection endpoint with PSK = Kmr (card-held); the card computes Kmc = exporter
// "EXPORTER-ETSI-TC-M2M-Connection" into its pending Kmc; the NSCL answers the connection
// parameters; the card activates the new Kmc with KmcIndex, ConnectionId and lifetime.
// A new Kmc for every run. Kmr and Kmc never leave the card.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "provisioning/param_sets.hpp"
#include "provisioning/procedure.hpp"

namespace agent {

struct ConnectionResult {
    provisioning::ConnectionParamSet params;
    seuicc::KeyCheckValue kmcKcv{};
    securechannel::tls::TlsSummary tls;
};

// The checks every connection answer passes before its Kmc is activated (also the GBA-based
// one): the NSCL answered for `sclId` (when known), and the lifetime is not over by secure time
// `secureNow` (GATEWAY.md §4: without one, the lifetime is taken as it arrives, not compared
// with an unchecked local clock). ProtocolMismatch otherwise.
void checkConnectionAnswer(const provisioning::ConnectionParamSet& params, const std::string& sclId,
                           std::optional<std::chrono::system_clock::time_point> secureNow);

// `connectionUrl` is the NSCL connection endpoint's base URL. Throws like runTlsBootstrap;
// PskRejected means the NSCL refused Kmr (the caller bootstraps again).
ConnectionResult runServiceConnection(
    securechannel::tls::HttpsClient& client, provisioning::CardOperations& card,
    const std::string& connectionUrl, const seuicc::NodeId& nodeId, std::uint32_t kmrIndex,
    const std::string& sclId, std::optional<std::chrono::system_clock::time_point> secureNow);

}  // namespace agent
