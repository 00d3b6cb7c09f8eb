// GBA-based M2M Service Bootstrap (security-profile.md §4.2) and the Ua exchange it shares with the
// GBA-based service connection (§5.2, agent/gba_connection.hpp), GBA_U with TLS in the ME:
//
//   Ub   UbClient (ub_client.hpp) with the card's USIM behind AkaCard: B-TID and lifetime, Ks in
//        the USIM. Cached until its lifetime minus a margin.
//   key  SET KEY FROM GBA through the secure channel for NAF_Id = the NAF's FQDN ‖ 01 00 01 ‖
//        the one suite offered on Ua: the card keeps Ks_int_NAF as the *pending* Kmr (or Kmc) and
//        hands out Ks_ext_NAF inside the secured response.
//   Ua   HTTPS over TLS-PSK with identity "3GPP-bootstrapping;<B-TID>" and PSK = Ks_ext_NAF,
//        computed in this process (InMemoryKeyOperations: Ks_ext_NAF is by definition the
//        terminal's key) and wiped when the exchange ends. The client offers exactly one PSK
//        suite, so the NAF_Id is known before the handshake (TS 33.220 Annex H).
//   then the NAF's parameters are checked, and ACTIVATE KEY makes the pending key active with
//        them: nothing replaces the old key unless Ua succeeded. A NAF refusing the PSK identity
//        of a *cached* B-TID (unknown or expired at the BSF), or a card that has no bootstrap
//        for it, invalidates the cache and the exchange runs once more after a new Ub.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "provisioning/tls_bootstrap.hpp"
#include "provisioning/ub_client.hpp"

namespace provisioning {

struct GbaOptions {
    // Ub: bsfUrl, impi (empty: gba::impiFromImsi of the USIM's EF_IMSI with mncDigits), the
    // expiry margin of the cache, tolerateMissingRspauth, resolve, timeouts.
    UbClientOptions ub;
    int mncDigits = 2;
    // The one suite Ua offers; it names the NAF_Id. 0x00AE (PSK-AES128-CBC-SHA256) is the first
    // suite of the project's TLS profile (security-profile.md §3).
    std::uint16_t uaCipherSuite = 0x00AE;
    // Write EF_GBABP (RAND, B-TID, lifetime) after each new Ub run.
    bool writeGbaBp = true;
};

// The device's GBA state across procedures: the Ub client and its cached bootstrap.
class GbaClient {
public:
    // `ua` must offer exactly options.uaCipherSuite (ClientOptions::onlyCipherSuite) and outlive
    // this object.
    GbaClient(GbaOptions options, securechannel::tls::HttpsClient& ua);
    ~GbaClient();
    GbaClient(const GbaClient&) = delete;
    GbaClient& operator=(const GbaClient&) = delete;

    struct UaResult {
        securechannel::tls::HttpResponse response;  // 2xx only (requireSuccess passed)
        seuicc::KeyCheckValue kcv{};                // of the pending Kmr or Kmc
        Bootstrap bootstrap;                        // the one whose Ks made the key
    };
    // Ub if needed, SET KEY FROM GBA into the pending `target` for the NAF at `nafFqdn`, then
    // `request` over Ua. Throws the UbClient's errors, the card's, the TLS client's
    // (PskRejected: the NAF refused a B-TID that was new), ServerError / RequestRefused for a
    // non-2xx answer, ProtocolMismatch if another suite was negotiated.
    UaResult exchange(CardOperations& card, seuicc::ExportTarget target, const std::string& nafFqdn,
                      const securechannel::tls::HttpRequest& request);

    // The bootstrap in the cache (B-TID, lifetime, IMPI), fresh or not; nullopt before Ub.
    [[nodiscard]] std::optional<Bootstrap> cached() const;
    // Ub's counters (0 before the first run), and how often a NAF refused a cached B-TID.
    [[nodiscard]] UbCounters ubCounters() const;
    [[nodiscard]] std::uint64_t btidRefusals() const { return btidRefusals_; }
    [[nodiscard]] std::uint16_t uaCipherSuite() const { return options_.uaCipherSuite; }
    // Forget the cached bootstrap.
    void invalidate() noexcept;

private:
    class CardForwarder;
    // The cached bootstrap, or a new Ub run; `fresh` tells which.
    const Bootstrap& bootstrap(CardOperations& card, bool& fresh);
    UaResult attempt(CardOperations& card, const Bootstrap& b, seuicc::ExportTarget target,
                     const std::string& nafFqdn, const securechannel::tls::HttpRequest& request);

    GbaOptions options_;
    securechannel::tls::HttpsClient& ua_;
    std::unique_ptr<CardForwarder> forwarder_;
    std::unique_ptr<UbClient> ub_;  // made at first use: the IMPI may come from the card
    std::uint64_t btidRefusals_ = 0;
};

struct GbaBootstrapResult {
    BootstrapResult bootstrap;  // params, Kmr KCV, TLS summary of Ua
    std::string btid;
    std::chrono::system_clock::time_point btidExpiry;
    std::chrono::system_clock::time_point kmrExpiry;  // as activated: min(MSBF's, B-TID's)
};

// GET <msbfUrl>/m2m/bootstrap over Ua with the MSBF as NAF (NAF_Id from `msbfFqdn`); the answer
// passes checkBootstrapAnswer, and Kmr = Ks_int_NAF is activated with the MSBF's index and a
// lifetime never beyond the B-TID's (security-profile.md §4.2 step 4).
GbaBootstrapResult runGbaBootstrap(GbaClient& gba, CardOperations& card, const std::string& msbfUrl,
                                   const std::string& msbfFqdn, const seuicc::NodeId& nodeId);

// The host of an http(s) URL ("https://msbf.lab.m2m:8441/x" -> "msbf.lab.m2m"): the default
// NAF FQDN. Empty if there is none.
[[nodiscard]] std::string urlHost(std::string_view url);

}  // namespace provisioning
