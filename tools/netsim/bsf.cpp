// The BSF's Ub (see bsf.hpp).
#include "bsf.hpp"

#include <algorithm>

#include "base/bytes.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "provisioning/bootstrapping_info.hpp"
#include "provisioning/digest_aka.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/gba_kdf.hpp"
#include "server_names.hpp"

namespace netsim {

namespace ub = provisioning::ub;

// A challenge sent and not answered yet: what the answer is checked against.
struct Bsf::Challenge {
    std::string impi;
    std::string imsi;
    std::string opaque;
    base::Bytes rand;
    AuthVector vector;
    std::chrono::steady_clock::time_point sent;
};

namespace {

constexpr const char* kBsfContentType = "application/vnd.3gpp.bsf+xml";

// The IMSI of an IMPI "<IMSI>@ims.mnc...": the digits before "@".
std::optional<std::string> imsiOf(const std::string& impi) {
    const auto at = impi.find('@');
    if (at == std::string::npos || at < 6 || at > 15 ||
        impi.find_first_not_of("0123456789") != at) {
        return std::nullopt;
    }
    return impi.substr(0, at);
}

base::ByteView bodyOf(const std::string& body) {
    return {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()};
}

void refuse(httplib::Response& response, int status, std::string_view reason) {
    http::setError(response, status, reason);
}

}  // namespace

Bsf::Bsf(Store& store, Auc& auc, BsfOptions options)
    : store_(store), auc_(auc), options_(std::move(options)) {
    if (options_.realm.empty()) {
        options_.realm = options_.fqdn;
    }
}

Bsf::~Bsf() = default;

void Bsf::challenge(const std::string& impi, const std::string& imsi,
                    const std::optional<Resync>& resync, httplib::Response& response) {
    auto c = std::make_unique<Challenge>();
    try {
        c->vector = auc_.vector(imsi, resync);
    } catch (const AucUnreachable& e) {
        base::log::kNetsim->warn("bsf: AuC {}: {}", auc_.name(), e.what());
        refuse(response, 503, "the AuC is unreachable");
        response.set_header("Retry-After", "5");
        return;
    } catch (const AucTimeout& e) {
        base::log::kNetsim->warn("bsf: AuC {}: {}", auc_.name(), e.what());
        refuse(response, 503, "the AuC did not answer in time");
        response.set_header("Retry-After", "5");
        return;
    } catch (const UnknownSubscriber& e) {
        refuse(response, 403, "unknown subscriber");
        return;
    } catch (const AucError& e) {
        base::log::kNetsim->info("bsf: AuC {} refused {}: {}", auc_.name(), imsi, e.what());
        refuse(response, 403, resync ? "resynchronisation refused" : "refused by the AuC");
        return;
    }
    c->impi = impi;
    c->imsi = imsi;
    c->rand = c->vector.rand;
    c->opaque = base::toHex(securechannel::randomBytes(16));
    c->sent = std::chrono::steady_clock::now();
    ub::Challenge header;
    header.realm = options_.realm;
    header.nonce = ub::encodeAkaNonce({c->vector.rand, c->vector.autn, {}});
    header.opaque = c->opaque;
    header.qops = {ub::Qop::Auth, ub::Qop::AuthInt};
    response.status = 401;
    response.set_header("WWW-Authenticate", ub::formatChallenge(header));
    response.set_content("401 Unauthorized: authenticate with AKA\n", "text/plain");
    std::lock_guard lock(mutex_);
    // Unanswered challenges older than their lifetime are dropped with their vectors.
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(challenges_, [&](const auto& entry) {
        return now - entry.second->sent > options_.challengeLifetime;
    });
    challenges_[header.nonce] = std::move(c);
}

void Bsf::handle(const httplib::Request& request, httplib::Response& response) {
    if (request.method != "GET" && request.method != "POST") {
        return http::setNotAllowed(response, "GET, POST");
    }
    if (!request.has_header("Authorization")) {
        return refuse(response, 400, "Authorization with the IMPI as username required");
    }
    ub::Credentials credentials;
    try {
        credentials = ub::parseAuthorization(request.get_header_value("Authorization"));
    } catch (const ub::UbError& e) {
        return refuse(response, 400, "malformed Authorization");
    }
    const auto imsi = imsiOf(credentials.username);
    if (!imsi) {
        return refuse(response, 403, "the username is not an IMPI of an IMSI");
    }
    if (credentials.nonce.empty()) {
        return challenge(credentials.username, *imsi, std::nullopt, response);  // TS 24.109 A.3
    }
    std::unique_ptr<Challenge> c;
    {
        // The challenge is taken out whatever the outcome: its vector is used once.
        std::lock_guard lock(mutex_);
        auto found = challenges_.find(credentials.nonce);
        if (found != challenges_.end()) {
            c = std::move(found->second);
            challenges_.erase(found);
        }
    }
    if (!c || std::chrono::steady_clock::now() - c->sent > options_.challengeLifetime) {
        return refuse(response, 403, "unknown, used or expired nonce");
    }
    if (credentials.username != c->impi || credentials.realm != options_.realm ||
        credentials.opaque != c->opaque || credentials.uri != request.target || !credentials.qop) {
        return refuse(response, 403, "the answer does not match its challenge");
    }
    const base::ByteView body = bodyOf(request.body);
    if (credentials.auts) {
        // Synchronisation failure (TS 24.109 4.3): the digest with an empty password.
        if (!ub::digestEquals(ub::requestDigest({}, credentials, request.method, body),
                              credentials.response)) {
            return refuse(response, 403, "wrong digest on the resynchronisation request");
        }
        return challenge(c->impi, c->imsi, Resync{c->rand, *credentials.auts}, response);
    }
    if (!ub::digestEquals(
            ub::requestDigest(c->vector.xres.view(), credentials, request.method, body),
            credentials.response)) {
        base::log::kNetsim->info("bsf: wrong RES from {}", base::printable(c->impi));
        return refuse(response, 403, "authentication failed");
    }
    // Authenticated: Ks = CK || IK under a new B-TID.
    BootstrapRecord record;
    record.btid = securechannel::gba::makeBtid(c->rand, options_.fqdn);
    record.impi = c->impi;
    record.imsi = c->imsi;
    record.rand = c->rand;
    record.ks = securechannel::gba::makeKs(c->vector.ck.view(), c->vector.ik.view());
    record.expiry = expiryAfter(nowSeconds(), options_.btidLifetime);
    store_.storeBootstrap(record);
    ub::BootstrappingInfo info;
    info.btid = record.btid;
    info.lifetime = Clock::time_point(std::chrono::seconds(record.expiry));
    std::string xml = ub::toXml(info);
    ub::AuthenticationInfo authInfo;
    authInfo.qop = credentials.qop;
    authInfo.cnonce = credentials.cnonce;
    authInfo.nc = credentials.nc;
    authInfo.rspauth = ub::responseAuth(c->vector.xres.view(), credentials, bodyOf(xml));
    response.status = 200;
    response.set_header("Authentication-Info", ub::formatAuthenticationInfo(authInfo));
    response.set_content(std::move(xml), kBsfContentType);
    base::log::kNetsim->info("bsf: bootstrap {} for {}", record.btid, base::printable(c->impi));
}

}  // namespace netsim
