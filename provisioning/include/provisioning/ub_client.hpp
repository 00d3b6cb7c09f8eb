// The Ub client (3GPP TS 24.109 clause 4, TS 33.220 4.5.2): GBA bootstrapping with the BSF over
// HTTP Digest AKA (digest_aka.hpp), plain HTTP or HTTPS with a server certificate, over
// securechannel::tls::CertHttpClient (libcurl, which has no AKA digest of its own: the headers
// are built here).
//
//   GET <bsf>  Authorization: Digest username="<IMPI>", realm="<bsf host>", nonce="", uri,
//              response=""
//   401        WWW-Authenticate: Digest ... nonce=base64(RAND||AUTN||...), algorithm=AKAv1-MD5
//              -> the card (AkaCard): RES, or AUTS, or a MAC failure
//   GET <bsf>  Authorization: ... qop=auth, nc=00000001, cnonce, response=<digest with RES>
//   200        Authentication-Info: rspauth (checked), body BootstrappingInfo (B-TID, lifetime)
//
// On a synchronisation failure the request is sent once more with auts= and the empty password
// (RFC 3310 §3.4); the BSF answers with a new challenge. A second synchronisation failure, and
// any MAC failure, end the run with a typed error; after a MAC failure no response is sent at all.
// The card stays behind AkaCard, so this client knows nothing of APDUs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "provisioning/digest_aka.hpp"

namespace securechannel::tls {
class CertHttpClient;
}

namespace provisioning {

struct AkaChallenge {
    base::Bytes rand;  // 16
    base::Bytes autn;  // 16
};

struct AkaAnswer {
    enum class Kind { Res, SyncFailure, MacFailure } kind = Kind::MacFailure;
    base::SecretBuffer res;  // Kind::Res: RES (4-16 bytes; may contain 0x00)
    base::Bytes auts;        // Kind::SyncFailure: AUTS (14 bytes)
};

// The card's part of GBA bootstrapping: AUTHENTICATE in GBA context, bootstrapping mode (GBA_U;
// the card keeps Ks = CK || IK with RAND), or a 3G AUTHENTICATE for a GBA_ME device. Throws the
// card layer's own errors for anything but the three answers.
class AkaCard {
public:
    virtual ~AkaCard() = default;
    virtual AkaAnswer authenticateGbaBootstrap(const AkaChallenge& challenge) = 0;
};

// The result of one bootstrapping run.
struct Bootstrap {
    std::string btid;
    std::chrono::system_clock::time_point expiry;  // the BSF's lifetime (when Ks expires)
    base::Bytes rand;                              // the RAND Ks belongs to
    std::string impi;
};

namespace ub {

// Failures of a run, besides DigestSyntaxError and BootstrappingInfoError (digest_aka.hpp,
// bootstrapping_info.hpp), provisioning::ServerError (5xx), RequestRefused (another status where
// none fits), ProtocolMismatch (a lifetime already over), and securechannel::tls::ConnectFailed,
// TransferFailed or ResponseTooLarge for the transport:
//
//   UbError
//   ├── NetworkAuthenticationFailed   the card found the BSF's AUTN wrong (MAC failure)
//   ├── ResynchronisationFailed       a synchronisation failure again after one AUTS
//   ├── UserAuthenticationFailed      the BSF refused our RES (401 or 403 after the response)
//   └── BsfAuthenticationFailed       the 200's rspauth is wrong, or missing when required, or
//                                     its Authentication-Info does not match the request
class NetworkAuthenticationFailed : public UbError {
public:
    using UbError::UbError;
};
class ResynchronisationFailed : public UbError {
public:
    using UbError::UbError;
};
class UserAuthenticationFailed : public UbError {
public:
    using UbError::UbError;
};
class BsfAuthenticationFailed : public UbError {
public:
    using UbError::UbError;
};

}  // namespace ub

struct UbClientOptions {
    std::string bsfUrl;  // http(s)://host[:port][/path]
    std::string impi;    // the username (gba::impiFromImsi, or configured)
    // Sent as User-Agent; TS 24.109 identifies the GBA client by the product token 3gpp-gba.
    std::string userAgent = "m2m-uicc-agent Bootstrapping Client Agent; 3gpp-gba";
    // A bootstrap is reused until its expiry minus this margin.
    std::chrono::seconds expiryMargin{300};
    // Whether a 200 without rspauth is accepted (some BSFs do not send Authentication-Info).
    bool tolerateMissingRspauth = false;
    // HTTPS: CA certificates (PEM file) the BSF's certificate must chain to; empty = the system's.
    std::string caFile;
    // curl CURLOPT_RESOLVE entries "host:port:address": the lab network's names on loopback.
    std::vector<std::string> resolve;
    std::chrono::milliseconds connectTimeout{5000};
    std::chrono::milliseconds timeout{15000};
    std::size_t maxResponseBytes = 64 * 1024;
    // The clock the cache compares expiries with (tests move it); system_clock::now by default.
    std::function<std::chrono::system_clock::time_point()> now;
};

struct UbCounters {
    std::uint64_t runs = 0;       // bootstrapping runs started
    std::uint64_t requests = 0;   // HTTP requests sent
    std::uint64_t resyncs = 0;    // AUTS sent
    std::uint64_t cacheHits = 0;  // bootstrap() answered from the cache
};

class UbClient {
public:
    // `card` must outlive the client.
    UbClient(UbClientOptions options, AkaCard& card);
    ~UbClient();
    UbClient(const UbClient&) = delete;
    UbClient& operator=(const UbClient&) = delete;

    // The cached bootstrap while now < expiry - margin; otherwise a new run (bootstrapNow).
    const Bootstrap& bootstrap();
    // A new bootstrapping run, whatever the cache holds; its result replaces the cache. On
    // failure the cache is empty (the card may have replaced its Ks already).
    const Bootstrap& bootstrapNow();
    // The cached bootstrap, if any, whether or not it is still fresh.
    [[nodiscard]] const std::optional<Bootstrap>& cached() const noexcept { return cache_; }
    // Forget the cached bootstrap (a NAF refused its B-TID): the next bootstrap() runs Ub.
    void invalidate() noexcept;

    [[nodiscard]] const UbCounters& counters() const noexcept { return counters_; }

private:
    Bootstrap run();

    UbClientOptions options_;
    AkaCard& card_;
    std::unique_ptr<securechannel::tls::CertHttpClient> http_;
    std::optional<Bootstrap> cache_;
    UbCounters counters_;
};

}  // namespace provisioning
