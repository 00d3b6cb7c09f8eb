// The lab network's BSF: Ub (TS 24.109 clause 4, RFC 3310 HTTP Digest AKAv1-MD5) over plain HTTP
// and over HTTPS with a server certificate, on loopback ports of its own. Vectors come from the
// AuC (osmo-hlr over GSUP, or the built-in Milenage AuC); a bootstrap's Ks = CK || IK is kept in
// the store under its B-TID with the IMPI, RAND and expiry, for the NAFs (zn.hpp).
//
// The exchange, and the choices the specifications leave open:
//  1. GET with `Authorization: Digest username="<IMPI>"` (nonce and response empty) ->
//     401 `WWW-Authenticate: Digest realm="<realm>", nonce="<base64(RAND||AUTN)>",
//     qop="auth,auth-int", opaque="<random>", algorithm=AKAv1-MD5`. The IMPI's part before "@" is
//     the IMSI the AuC is asked about. No Authorization, or no username: 400.
//  2. The answer is checked against the values fixed at challenge time (IMPI, realm, nonce,
//     opaque, URI = the request's target, HA2 over the request's real method), with XRES as the
//     raw-byte password. Each challenge is answered once: whatever the outcome, its vector is
//     gone; a challenge not answered within 60 s is dropped.
//  3. `auts="<base64(AUTS)>"` (response computed with an empty password) -> the AuC resynchronises
//     with the challenge's RAND and the AUTS -> a new 401 with a fresh vector.
//  4. Right RES -> 200, `Authentication-Info: qop=..., rspauth="...", cnonce, nc` and the
//     BootstrappingInfo XML: B-TID base64(RAND)@<bsf fqdn>, lifetime now + --btid-lifetime.
//  5. Wrong RES, a replayed or unknown nonce, an AUTS the AuC refuses, an unknown IMSI: 403. A
//     new challenge on a wrong RES would only spend the subscriber's SQNs; the client starts over.
//  6. AuC unreachable or too slow: 503 with Retry-After; the lab network stays up.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <httplib.h>

#include "auc.hpp"
#include "store.hpp"

namespace netsim {

struct BsfOptions {
    std::string fqdn = "bsf.lab.m2m";  // in the B-TID
    std::string realm;                 // empty: the FQDN
    Seconds btidLifetime = 24 * 3600;
    std::chrono::seconds challengeLifetime{60};
};

class Bsf {
public:
    Bsf(Store& store, Auc& auc, BsfOptions options);
    Bsf(const Bsf&) = delete;
    Bsf& operator=(const Bsf&) = delete;
    ~Bsf();

    // One Ub request, whatever its path (the client names the BSF by its URL).
    void handle(const httplib::Request& request, httplib::Response& response);

    [[nodiscard]] const Auc& auc() const { return auc_; }
    [[nodiscard]] const BsfOptions& options() const { return options_; }

private:
    struct Challenge;
    void challenge(const std::string& impi, const std::string& imsi,
                   const std::optional<Resync>& resync, httplib::Response& response);

    Store& store_;
    Auc& auc_;
    BsfOptions options_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Challenge>> challenges_;  // by nonce
};

}  // namespace netsim
