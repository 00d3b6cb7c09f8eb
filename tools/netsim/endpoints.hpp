// The three endpoints of the lab network and what they share: the store, the lifetimes the
// network gives out, and the HTTP session loop that runs one endpoint's routes on a TLS session.
#pragma once

#include <chrono>
#include <cstdint>

#include "base/secret.hpp"
#include "http.hpp"
#include "store.hpp"
#include "tls_listener.hpp"

namespace netsim {

struct Lifetimes {
    Seconds kmr = 30 * 24 * 3600;
    Seconds kmc = 3600;
    Seconds registration = 3600;
};

struct EndpointContext {
    Store& store;
    Lifetimes lifetimes;
};

using Route = http::Response (*)(const http::Request& request, TlsSession& session,
                                 EndpointContext& context);

// MSBF, TLS-based bootstrap with Kbs (security-profile §4.3): GET /m2m/bootstrap.
http::Response routeMsbf(const http::Request& request, TlsSession& session,
                         EndpointContext& context);
// NSCL service connection with Kmr (§5.1): POST /m2m/connection.
http::Response routeConnection(const http::Request& request, TlsSession& session,
                               EndpointContext& context);
// NSCL mId with Kmc (§5.3, §6): /m2m/scls and the resources below.
http::Response routeMid(const http::Request& request, TlsSession& session,
                        EndpointContext& context);

// Serves requests on `session` until the peer leaves, idles out, a framing error ends the
// connection, or the key the session was keyed with stops being valid. Applies injected faults
// and logs one line per request (never a key or a body).
void serveHttp(TlsSession& session, Endpoint endpoint, KeyKind keys, Route route,
               EndpointContext& context);

// RFC 5705 exporter of this session, 32 bytes, no context: the key both ends derive (Kmr from a
// Kbs session, Kmc from a Kmr session).
[[nodiscard]] base::SecretBuffer exportKey(TlsSession& session, const char* label);

// Shorthand for an XML answer.
[[nodiscard]] http::Response xmlResponse(int status, std::string body);

}  // namespace netsim
