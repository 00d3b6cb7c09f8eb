// The mId client (security-profile.md §5.3, §6): every request over TLS-PSK with PSK = Kmc
// (card-held), kept-alive between requests while the key stays the same. Resource paths are in
// mid_resources.hpp; the NSCL answers Locations as absolute paths on its own origin.
#pragma once

#include <optional>
#include <string>

#include "agent/gateway_uplink.hpp"
#include "agent/mid_resources.hpp"
#include "provisioning/procedure.hpp"
#include "securechannel/tls/https_client.hpp"

namespace agent {

struct Registration {
    std::string location;  // absolute URL of the m2m:scl resource
    SclRegistration scl;   // as the NSCL stored it (expirationTime set)
};

// The answer to a registration or refresh that carried a report (integrity/FORMATS.md §5.3):
// the registration when granted, and the NSCL's signed decision in either case.
struct ReportedRegistration {
    std::optional<Registration> registration;  // nullopt: refused (403, a deny verdict)
    std::optional<std::string> decision;       // base64url of the decision COSE_Sign1
};

class MidClient {
public:
    // `nsclUri` is the NSCL's base URI from the card (e.g. https://nscl.lab.m2m:8443/m2m).
    MidClient(securechannel::tls::HttpsClient& client, std::string nsclUri);

    // The Kmc identity to use from now on; a change drops kept-alive connections.
    void useKey(const securechannel::tls::PskKey& kmc);

    // Each request may need a handshake, so each takes the card. They throw the client's
    // TlsError family (PskRejected: the NSCL refused Kmc), ServerError, RequestRefused (403: not
    // registered or registration expired), ParamSetError.
    Registration registerScl(securechannel::tls::CardKeyOperations& card,
                             const SclRegistration& scl);
    Registration refresh(securechannel::tls::CardKeyOperations& card, const Registration& current);
    std::string createApplication(securechannel::tls::CardKeyOperations& card,
                                  const std::string& sclLocation, const Application& application);
    std::string createContainer(securechannel::tls::CardKeyOperations& card,
                                const std::string& applicationLocation, const Container& container);
    ContentInstance postContentInstance(securechannel::tls::CardKeyOperations& card,
                                        const std::string& containerLocation,
                                        const ContentInstance& instance);

    // Integrity validation (FORMATS.md §5): the NSCL's fresh nonce; a registration or refresh
    // carrying `scl.integrityValResults` whose 403 with a decision is an answer, not an error;
    // a remediation object's bytes (at most 1 MiB).
    IntegrityChallenge integrityChallenge(securechannel::tls::CardKeyOperations& card);
    ReportedRegistration registerSclReporting(securechannel::tls::CardKeyOperations& card,
                                              const SclRegistration& scl);
    ReportedRegistration refreshReporting(securechannel::tls::CardKeyOperations& card,
                                          const Registration& current);
    base::Bytes fetchObject(securechannel::tls::CardKeyOperations& card, const std::string& url);

    // Any request to `path` (absolute, on the NSCL's origin) and the NSCL's answer whatever its
    // status: what the gateway relays for a device (GATEWAY.md §3). A Location on the NSCL's
    // origin comes back as its absolute path. Throws the client's TlsError family only.
    RelayResponse exchange(securechannel::tls::CardKeyOperations& card, const std::string& method,
                           const std::string& path, const std::string& contentType,
                           std::string body);

    [[nodiscard]] const std::string& nsclUri() const { return nsclUri_; }
    // `relative` below the NSCL's base URI, as an absolute path on its origin ("/m2m/scls").
    [[nodiscard]] std::string nsclPath(std::string_view relative) const;

private:
    securechannel::tls::HttpResponse send(securechannel::tls::CardKeyOperations& card,
                                          const std::string& method, const std::string& url,
                                          std::string body, std::string_view what);
    securechannel::tls::HttpResponse perform(securechannel::tls::CardKeyOperations& card,
                                             const std::string& method, const std::string& url,
                                             std::string body,
                                             std::string contentType = "application/xml");
    ReportedRegistration reported(const securechannel::tls::HttpResponse& response,
                                  const std::string& location, std::string_view what);
    std::string absolute(const std::string& location) const;

    securechannel::tls::HttpsClient* client_;
    std::string nsclUri_;
    std::string origin_;  // scheme://host[:port] of nsclUri_
    std::optional<securechannel::tls::PskKey> key_;
};

}  // namespace agent
