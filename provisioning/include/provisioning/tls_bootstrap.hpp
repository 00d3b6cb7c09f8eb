// M2M Service Bootstrap, TLS-based with a card-held bootstrap key (security-profile.md §4.3):
// TLS-PSK to the MSBF with PSK = Kbs; the card computes Kmr = exporter
// "EXPORTER-ETSI-TC-M2M-Bootstrap" into its pending Kmr; the MSBF answers the bootstrap parameters
// over the same session; the card activates the new Kmr with the MSBF's KmrIndex and lifetime.
// Kbs and Kmr never leave the card.
#pragma once

#include <string>

#include "provisioning/param_sets.hpp"
#include "provisioning/procedure.hpp"

namespace provisioning {

struct BootstrapResult {
    BootstrapParamSet params;
    seuicc::KeyCheckValue kmrKcv{};  // of the new Kmr, as the card derived it
    securechannel::tls::TlsSummary tls;
};

// The checks every bootstrap answer passes before its Kmr is activated (also the GBA-based one):
// the MSBF answered for `nodeId`, and the lifetime is not over. ProtocolMismatch otherwise.
void checkBootstrapAnswer(const BootstrapParamSet& params, const seuicc::NodeId& nodeId);

// `msbfUrl` is the MSBF's base URL (https://host:port); `nodeId` the card's M2M-Node-ID.
// Throws the client's TlsError family (PskRejected: the MSBF does not know Kbs), ServerError,
// RequestRefused, ParamSetError (a malformed answer), ProtocolMismatch (another node's
// parameters, an expiry in the past) or the card's SedError family. Nothing is activated unless
// every check passed.
BootstrapResult runTlsBootstrap(securechannel::tls::HttpsClient& client, CardOperations& card,
                                const std::string& msbfUrl, const seuicc::NodeId& nodeId);

}  // namespace provisioning
