// HTTPS over TLS 1.2 PSK with card-held keys (security-profile.md §3), on libcurl + OpenSSL.
//
// The PSK callback hands OpenSSL an opaque per-handshake handle instead of a key; a small
// in-process OpenSSL provider (card_prf_provider.hpp) recognises the handle's premaster in the
// TLS1-PRF derivation of the master secret and asks the card (CardKeyOperations) for it. Every
// other derivation goes to OpenSSL's default provider.
//
// TLS settings (fixed, never configurable): TLS 1.2 only; PSK suites only, 0x00AE and 0x00A8
// first, 0x008C last; no certificate suite in the list; SNI = the URL's host name. GBA's Ua offers
// one of these suites only (ClientOptions::onlyCipherSuite).
#pragma once

#include <memory>
#include <optional>

#include "securechannel/tls/https_client.hpp"

namespace securechannel::tls {

class PskHttpsClient final : public HttpsClient {
public:
    explicit PskHttpsClient(ClientOptions options = {});
    ~PskHttpsClient() override;

    HttpResponse perform(const HttpRequest& request, const PskKey& key, CardKeyOperations& card,
                         Export exportTo = Export::None) override;
    void closeConnections() override;
    [[nodiscard]] const ClientCounters& counters() const override;

    // The TLS session of the last perform(), also when perform() threw after the handshake (the
    // server closed without an answer, a timeout, a body over the limit): protocol, suite,
    // whether the handshake was new, and with an export the KCV of the key the card derived
    // (pending, as after a successful request). nullopt when that perform() completed no
    // handshake and reused no connection (refused, no shared suite, the card failed...).
    // `m2m tls-check` reports it next to the HTTP failure.
    [[nodiscard]] const std::optional<TlsSummary>& lastHandshake() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace securechannel::tls
