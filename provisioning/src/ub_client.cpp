#include "provisioning/ub_client.hpp"

#include "base/log.hpp"
#include "base/text.hpp"
#include "provisioning/bootstrapping_info.hpp"
#include "provisioning/param_sets.hpp"
#include "provisioning/procedure.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/tls/cert_http_client.hpp"

namespace provisioning {

namespace tls = securechannel::tls;

namespace {

constexpr std::string_view kNc = "00000001";  // one request per nonce: each challenge is new
constexpr std::size_t kCnonceBytes = 16;
constexpr std::size_t kAutsSize = 14;

// The realm and digest-uri of the initial request: the BSF's host (TS 24.109 A.3 puts the BSF's
// domain name in realm) and the URL's path.
struct Target {
    std::string host;
    std::string path;
};

Target targetOf(const std::string& url) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos) {
        throw ub::UbError("Ub: the BSF URL has no scheme (http:// or https://)");
    }
    const std::string_view rest = std::string_view(url).substr(scheme + 3);
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    Target t;
    t.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (const auto query = t.path.find_first_of("?#"); query != std::string::npos) {
        t.path.erase(query);
    }
    if (authority.starts_with('[')) {  // [IPv6]:port
        t.host = std::string(authority.substr(0, authority.find(']') + 1));
    } else {
        t.host = std::string(authority.substr(0, authority.find(':')));
    }
    if (t.host.empty()) {
        throw ub::UbError("Ub: the BSF URL has no host");
    }
    return t;
}

// Throws the error a status that ends the run stands for.
[[noreturn]] void statusError(long status, std::string_view when) {
    const std::string what = "Ub: BSF " + std::string(when);
    if (status >= 500) {
        throw ServerError(status, what);
    }
    throw RequestRefused(status, what);
}

ub::Challenge challengeOf(const tls::HttpResponse& response) {
    std::vector<std::string> digests;
    for (const std::string& value : response.all("www-authenticate")) {
        const std::string_view v = base::trim(value);
        if (base::equalsIgnoreCase(v.substr(0, v.find(' ')), "Digest")) {
            digests.push_back(value);
        }
    }
    if (digests.empty()) {
        throw ub::DigestSyntaxError("WWW-Authenticate: the 401 carries no Digest challenge");
    }
    if (digests.size() > 1) {
        throw ub::DigestSyntaxError("WWW-Authenticate: more than one Digest challenge");
    }
    return ub::parseChallenge(digests.front());
}

ub::Qop chooseQop(const ub::Challenge& challenge) {
    // auth-int protects nothing more on a GET (the body is empty), so auth when it is offered.
    for (const ub::Qop wanted : {ub::Qop::Auth, ub::Qop::AuthInt}) {
        for (const ub::Qop offered : challenge.qops) {
            if (offered == wanted) {
                return offered;
            }
        }
    }
    throw ub::DigestSyntaxError(
        "WWW-Authenticate: the challenge offers no qop (TS 24.109 needs one)");
}

// The BSF's proof that it knew XRES (RFC 2617 §3.2.3): checked before anything of the 200 is used.
void checkAuthenticationInfo(const tls::HttpResponse& response, const ub::Credentials& sent,
                             base::ByteView res, bool tolerateMissing) {
    const std::vector<std::string> infos = response.all("authentication-info");
    if (infos.size() > 1) {
        throw ub::BsfAuthenticationFailed("Ub: the 200 carries Authentication-Info twice");
    }
    std::optional<ub::AuthenticationInfo> info;
    if (!infos.empty()) {
        try {
            info = ub::parseAuthenticationInfo(infos.front());
        } catch (const ub::DigestSyntaxError& e) {
            throw ub::BsfAuthenticationFailed(std::string("Ub: ") + e.what());
        }
    }
    if (!info || !info->rspauth) {
        if (tolerateMissing) {
            base::log::kProvisioning->warn(
                "Ub: the BSF sent no rspauth; accepted because tolerate_missing_rspauth is set");
            return;
        }
        throw ub::BsfAuthenticationFailed(
            "Ub: the 200 carries no rspauth (the BSF is not "
            "authenticated)");
    }
    if ((info->qop && info->qop != sent.qop) ||
        (!info->cnonce.empty() && info->cnonce != sent.cnonce) ||
        (!info->nc.empty() && info->nc != sent.nc)) {
        throw ub::BsfAuthenticationFailed(
            "Ub: Authentication-Info does not match the request (qop, cnonce or nc)");
    }
    const std::string expected = ub::responseAuth(res, sent, base::asBytes(response.body));
    if (!ub::digestEquals(expected, *info->rspauth)) {
        throw ub::BsfAuthenticationFailed(
            "Ub: wrong rspauth (the BSF did not prove it knows XRES)");
    }
}

tls::CertClientOptions transportOptions(const UbClientOptions& o) {
    tls::CertClientOptions t;
    t.resolve = o.resolve;
    t.connectTimeout = o.connectTimeout;
    t.timeout = o.timeout;
    t.maxResponseBytes = o.maxResponseBytes;
    t.caFile = o.caFile;
    return t;
}

}  // namespace

UbClient::UbClient(UbClientOptions options, AkaCard& card)
    : options_(std::move(options)),
      card_(card),
      http_(std::make_unique<tls::CertHttpClient>(transportOptions(options_))) {
    if (!options_.now) {
        options_.now = [] { return std::chrono::system_clock::now(); };
    }
    if (options_.impi.empty()) {
        throw ub::UbError("Ub: no IMPI configured");
    }
    static_cast<void>(targetOf(options_.bsfUrl));  // refuse a URL without host now, not later
}

UbClient::~UbClient() = default;

const Bootstrap& UbClient::bootstrap() {
    if (cache_ && options_.now() < cache_->expiry - options_.expiryMargin) {
        ++counters_.cacheHits;
        return *cache_;
    }
    return bootstrapNow();
}

const Bootstrap& UbClient::bootstrapNow() {
    cache_.reset();
    cache_ = run();
    return *cache_;
}

void UbClient::invalidate() noexcept {
    cache_.reset();
}

Bootstrap UbClient::run() {
    ++counters_.runs;
    const Target target = targetOf(options_.bsfUrl);
    auto send = [&](const ub::Credentials& credentials) {
        ++counters_.requests;
        tls::HttpRequest request;
        request.url = options_.bsfUrl;
        request.headers = {"Authorization: " + ub::formatAuthorization(credentials)};
        if (!options_.userAgent.empty()) {
            request.headers.push_back("User-Agent: " + options_.userAgent);
        }
        return http_->perform(request);
    };

    // TS 24.109 A.3: the first request names the user only.
    ub::Credentials initial;
    initial.username = options_.impi;
    initial.realm = target.host;
    initial.uri = target.path;
    initial.algorithm = false;
    tls::HttpResponse response = send(initial);

    bool resynchronised = false;
    while (true) {
        if (response.status != 401) {
            statusError(response.status,
                        resynchronised ? "after the AUTS" : "before any challenge");
        }
        const ub::Challenge challenge = challengeOf(response);
        const ub::AkaNonce nonce = ub::decodeAkaNonce(challenge.nonce);

        ub::Credentials answer;
        answer.username = options_.impi;
        answer.realm = challenge.realm;
        answer.nonce = challenge.nonce;
        answer.uri = target.path;
        answer.opaque = challenge.opaque;
        answer.qop = chooseQop(challenge);
        answer.nc = std::string(kNc);
        answer.cnonce = base::toLowerHex(securechannel::randomBytes(kCnonceBytes));

        AkaAnswer aka = card_.authenticateGbaBootstrap({nonce.rand, nonce.autn});
        switch (aka.kind) {
            case AkaAnswer::Kind::MacFailure:
                // The challenge did not come from our home network: answer nothing (TS 33.102
                // 6.3.3 has the USIM reject it; TS 24.109 4.4 leaves the ME's next request open).
                throw ub::NetworkAuthenticationFailed(
                    "Ub: the card refused the BSF's AUTN (MAC failure); nothing was sent back");
            case AkaAnswer::Kind::SyncFailure:
                if (resynchronised) {
                    throw ub::ResynchronisationFailed(
                        "Ub: the card reported a synchronisation failure again after one AUTS");
                }
                if (aka.auts.size() != kAutsSize) {
                    throw ub::UbError("Ub: the card's AUTS is not 14 bytes");
                }
                resynchronised = true;
                ++counters_.resyncs;
                answer.auts = aka.auts;
                answer.response = ub::requestDigest({}, answer, "GET", {});  // empty password
                base::log::kProvisioning->info("Ub: synchronisation failure, sending AUTS");
                response = send(answer);
                continue;
            case AkaAnswer::Kind::Res:
                break;
        }

        answer.response = ub::requestDigest(aka.res.view(), answer, "GET", {});
        response = send(answer);
        if (response.status == 401 || response.status == 403) {
            throw ub::UserAuthenticationFailed("Ub: the BSF refused the response (HTTP " +
                                               std::to_string(response.status) + ")");
        }
        if (response.status != 200) {
            statusError(response.status, "after the response");
        }
        checkAuthenticationInfo(response, answer, aka.res.view(), options_.tolerateMissingRspauth);
        const ub::BootstrappingInfo info = ub::parseBootstrappingInfo(response.body);
        if (info.lifetime <= options_.now()) {
            // As the TLS-based bootstrap does with a Kmr lifetime: a key that is already over is
            // a BSF (or clock) fault, not something to use or cache.
            throw ProtocolMismatch("Ub: the BSF gave a lifetime that is already over");
        }
        base::log::kProvisioning->info("Ub: bootstrapped, B-TID {}, lifetime {}",
                                       base::printable(info.btid), toDateTime(info.lifetime));
        return Bootstrap{info.btid, info.lifetime, nonce.rand, options_.impi};
    }
}

}  // namespace provisioning
