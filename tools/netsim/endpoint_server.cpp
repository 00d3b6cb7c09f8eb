// One endpoint of the lab network on its PSK server: key table, counters, key validity, faults,
// routes and the log line per request (see endpoints.hpp).
#include <algorithm>
#include <stdexcept>

#include "base/log.hpp"
#include "base/text.hpp"
#include "endpoints.hpp"
#include "provisioning/psk_identity.hpp"
#include "securechannel/gba_kdf.hpp"
#include "server_names.hpp"
#include "zn.hpp"

namespace netsim {

namespace {

constexpr std::size_t kOversizedBodyBytes = 2 * 1024 * 1024;

// A fault from `m2m-netsim fault`, in place of the real answer. False: close without one.
bool applyFault(const std::string& kind, httplib::Response& response) {
    if (kind == "http-403") {
        http::setError(response, 403, "injected fault");
    } else if (kind == "http-404") {
        http::setError(response, 404, "injected fault");
    } else if (kind == "http-500") {
        http::setError(response, 500, "injected fault");
    } else if (kind == "http-503") {
        http::setError(response, 503, "injected fault");
        response.set_header("Retry-After", "1");
    } else if (kind == "malformed-xml") {
        setXml(response, 200,
               "<?xml version=\"1.0\"?>\n<m2m:bootstrapParamSet "
               "xmlns:m2m=\"http://uri.etsi.org/m2m\"><m2m:securityM2MNodeId>00</m2m:"
               "securityM2MNode");
    } else if (kind == "oversized-body") {
        setXml(response, 200, std::string(kOversizedBodyBytes, ' '));
    } else {
        return false;  // "close"
    }
    return true;
}

// "mid GET /m2m/scls/1 404 node=... identity=..." and a note in parentheses.
void logRequest(const char* endpoint, std::string_view method, std::string_view path,
                std::string_view status, const PskConnection& connection) {
    base::log::kNetsim->info("{} {} {} {} node={} identity={}{}", endpoint,
                             method.empty() ? "-" : base::printable(method),
                             path.empty() ? "-" : base::printable(path), status, connection.owner(),
                             base::printable(connection.identity()),
                             connection.note().empty() ? "" : " (" + connection.note() + ")");
}

void handle(Endpoint endpoint, KeyKind keys, Route route, EndpointContext& context,
            const httplib::Request& request, httplib::Response& response,
            PskConnection& connection) {
    const char* name = endpointName(endpoint);
    // The key may have been revoked, expired or superseded while the connection was kept
    // alive: end it unanswered, as a fresh connection would be refused in the handshake.
    const auto btid = gbaBtid(context, endpoint, connection.identity());
    if (btid ? !context.store.bootstrap(*btid).has_value()
             : !context.store.stillValid(keys, connection.identity())) {
        context.store.count(endpoint, "requests");
        connection.setNote("key no longer valid: closed");
        logRequest(name, request.method, request.path, "-", connection);
        connection.closeUnanswered();
        return;
    }
    if (auto fault = context.store.takeFault(endpoint)) {
        connection.setNote("fault " + *fault);
        if (!applyFault(*fault, response)) {
            context.store.count(endpoint, "requests");
            logRequest(name, request.method, request.path, "-", connection);
            connection.closeUnanswered();
        }
        return;
    }
    try {
        route(request, response, connection, context);
    } catch (const std::exception& e) {
        base::log::kNetsim->error("{} {} {}: {}", name, request.method,
                                  base::printable(request.path), e.what());
        http::setError(response, 500, "internal error");
    }
}

const std::string& nafFqdn(const GbaNafs& gba, Endpoint endpoint) {
    return endpoint == Endpoint::Msbf ? gba.msbfFqdn : gba.nsclFqdn;
}

}  // namespace

Seconds networkNow(const EndpointContext& context) {
    return nowSeconds() + context.clockOffset;
}

Clock::time_point statedTime(const EndpointContext& context, Seconds local) {
    return Clock::time_point(std::chrono::seconds(local + context.clockOffset));
}

std::optional<std::string> gbaBtid(const EndpointContext& context, Endpoint endpoint,
                                   const std::string& identity) {
    if (!context.gba.enabled || endpoint == Endpoint::Mid) {
        return std::nullopt;
    }
    return provisioning::btidOfUaIdentity(identity);
}

std::optional<IssuedKey> gbaNodeKey(EndpointContext& context, Endpoint endpoint,
                                    const PskConnection& connection, Seconds lifetime) {
    const auto btid = gbaBtid(context, endpoint, connection.identity());
    if (!btid) {
        return std::nullopt;
    }
    auto naf = znLookup(
        context.store, *btid,
        securechannel::gba::tlsPskNafId(nafFqdn(context.gba, endpoint), connection.cipherSuite()));
    if (!naf) {
        throw StoreError("the bootstrap of the connection has expired");
    }
    // Kmr/Kmc never outlive the bootstrap they come from.
    const Seconds left = std::max<Seconds>(1, naf->expiry - nowSeconds());
    return IssuedKey{std::move(naf->ksIntNaf), std::min(lifetime, left)};
}

void setXml(httplib::Response& response, int status, std::string body) {
    response.status = status;
    response.body = std::move(body);
    response.set_header("Content-Type", "application/xml");
}

std::unique_ptr<PskServer> startEndpoint(Endpoint endpoint, KeyKind keys, Route route,
                                         EndpointContext& context, const std::string& host,
                                         std::uint16_t port, const PskServerLimits& limits) {
    const char* name = endpointName(endpoint);
    Store& store = context.store;
    PskServerConfig config;
    config.host = host;
    config.port = port;
    config.limits = limits;
    config.lookup = [&context, endpoint, keys](const std::string& identity,
                                               std::uint16_t suite) -> std::optional<PskKey> {
        if (const auto btid = gbaBtid(context, endpoint, identity)) {
            auto naf =
                znLookup(context.store, *btid,
                         securechannel::gba::tlsPskNafId(nafFqdn(context.gba, endpoint), suite));
            if (!naf) {
                // Unknown or expired: the device must bootstrap again.
                context.store.count(endpoint, "btid_refused");
                return std::nullopt;
            }
            return PskKey{std::move(naf->nodeId), std::move(naf->ksExtNaf)};
        }
        auto found = context.store.pskFor(keys, identity);
        if (!found) {
            return std::nullopt;
        }
        return PskKey{std::move(found->nodeId), std::move(found->key)};
    };
    config.handler = [endpoint, keys, route, &context](const httplib::Request& request,
                                                       httplib::Response& response,
                                                       PskConnection& connection) {
        handle(endpoint, keys, route, context, request, response, connection);
    };
    config.events.handshake = [&store, endpoint](const PskConnection&) {
        store.count(endpoint, "handshakes");
    };
    config.events.handshakeFailed = [&store, endpoint, name](const PskConnection& connection,
                                                             const std::string& reason) {
        store.count(endpoint, "handshake_failures");
        base::log::kNetsim->info(
            "{}: handshake failed, identity {}: {}", name,
            connection.identity().empty() ? "-" : base::printable(connection.identity()), reason);
    };
    config.events.refused = [&store, endpoint, name, limits](std::size_t count) {
        store.count(endpoint, "refused", static_cast<std::int64_t>(count));
        base::log::kNetsim->info(
            "{}: refused {} connection(s): {} workers busy and {} connections waiting", name, count,
            limits.workers, limits.backlog);
    };
    config.events.cutOff = [&store, endpoint, name](const PskConnection& connection,
                                                    const std::string& reason) {
        store.count(endpoint, "cut_off");
        base::log::kNetsim->info("{}: connection closed, node={} identity={}: {}", name,
                                 connection.owner(), base::printable(connection.identity()),
                                 reason);
    };
    config.events.answering = [&store, endpoint, name](const httplib::Request& request,
                                                       const httplib::Response& response,
                                                       const PskConnection& connection) {
        store.count(endpoint, "requests");
        logRequest(name, request.method, request.path, std::to_string(response.status), connection);
    };
    try {
        return std::make_unique<PskServer>(std::move(config));
    } catch (const PskServerError& e) {
        throw PskServerError(std::string(name) + ": " + e.what());
    }
}

}  // namespace netsim
