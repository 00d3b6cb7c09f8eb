// The request loop of one TLS session: parse, inject faults, route, answer, log.
#include <openssl/ssl.h>

#include <cstring>
#include <stdexcept>
#include <variant>

#include "base/log.hpp"
#include "endpoints.hpp"

namespace netsim {

namespace {

constexpr std::size_t kOversizedBodyBytes = 2 * 1024 * 1024;

// A fault from `m2m-netsim fault`, in place of the real answer. nullopt: close without one.
std::optional<http::Response> faultResponse(const std::string& kind) {
    if (kind == "http-500") {
        return http::errorResponse(500, "injected fault");
    }
    if (kind == "http-503") {
        http::Response r = http::errorResponse(503, "injected fault");
        r.headers.emplace_back("Retry-After", "1");
        return r;
    }
    if (kind == "malformed-xml") {
        return xmlResponse(200,
                           "<?xml version=\"1.0\"?>\n<m2m:bootstrapParamSet "
                           "xmlns:m2m=\"http://uri.etsi.org/m2m\"><m2m:securityM2MNodeId>00</m2m:"
                           "securityM2MNode");
    }
    if (kind == "oversized-body") {
        return xmlResponse(200, std::string(kOversizedBodyBytes, ' '));
    }
    return std::nullopt;  // "close"
}

}  // namespace

http::Response xmlResponse(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.contentType = "application/xml";
    r.body = std::move(body);
    return r;
}

base::SecretBuffer exportKey(TlsSession& session, const char* label) {
    base::SecretBuffer key(32);
    if (SSL_export_keying_material(session.ssl(), key.data(), key.size(), label, std::strlen(label),
                                   nullptr, 0, 0) != 1) {
        throw std::runtime_error(std::string("exporter ") + label + " failed");
    }
    return key;
}

void serveHttp(TlsSession& session, Endpoint endpoint, KeyKind keys, Route route,
               EndpointContext& context) {
    http::RequestReader reader(
        [&session](char* buffer, std::size_t size) { return session.read(buffer, size); },
        [&session](std::string_view data) { return session.writeAll(data); });
    const char* name = endpointName(endpoint);
    for (;;) {
        auto next = reader.next();
        if (std::holds_alternative<http::Closed>(next)) {
            return;
        }
        if (auto* failure = std::get_if<http::Failure>(&next)) {
            context.store.count(endpoint, "requests");
            http::Response r = http::errorResponse(failure->status, failure->reason);
            r.close = true;
            base::log::kNetsim->info("{} - - {} node={} identity={} ({})", name, r.status,
                                     session.nodeId(), session.identity(), failure->reason);
            session.writeAll(http::serialise(r));
            return;
        }
        const http::Request& request = std::get<http::Request>(next);
        context.store.count(endpoint, "requests");
        // The key may have been revoked, expired or superseded while the connection was kept
        // alive: end it unanswered, as a fresh connection would be refused in the handshake.
        if (!context.store.stillValid(keys, session.identity())) {
            base::log::kNetsim->info("{} {} {} - node={} identity={} (key no longer valid: closed)",
                                     name, request.method, request.path, session.nodeId(),
                                     session.identity());
            return;
        }
        http::Response response;
        std::string note;
        if (auto fault = context.store.takeFault(endpoint)) {
            auto injected = faultResponse(*fault);
            if (!injected) {
                base::log::kNetsim->info("{} {} {} - node={} identity={} (fault close)", name,
                                         request.method, request.path, session.nodeId(),
                                         session.identity());
                return;
            }
            response = std::move(*injected);
            note = " (fault " + *fault + ")";
        } else {
            try {
                response = route(request, session, context);
            } catch (const std::exception& e) {
                base::log::kNetsim->error("{} {} {}: {}", name, request.method, request.path,
                                          e.what());
                response = http::errorResponse(500, "internal error");
            }
        }
        response.close = response.close || !request.keepAlive;
        base::log::kNetsim->info("{} {} {} {} node={} identity={}{}", name, request.method,
                                 request.path, response.status, session.nodeId(),
                                 session.identity(), note);
        if (!session.writeAll(http::serialise(response)) || response.close) {
            return;
        }
    }
}

}  // namespace netsim
