// The three endpoints of the lab network and what they share: the store, the lifetimes the
// network gives out, and the PSK server each endpoint runs on (its key table, counters, faults
// and log line).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <httplib.h>

#include "psk_server.hpp"
#include "store.hpp"

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

// One endpoint's requests: `connection` is the TLS session the request came on (its owner is the
// node whose key opened it).
using Route = void (*)(const httplib::Request& request, httplib::Response& response,
                       const PskConnection& connection, EndpointContext& context);

// MSBF, TLS-based bootstrap with Kbs (security-profile §4.3): GET /m2m/bootstrap.
void routeMsbf(const httplib::Request& request, httplib::Response& response,
               const PskConnection& connection, EndpointContext& context);
// NSCL service connection with Kmr (§5.1): POST /m2m/connection.
void routeConnection(const httplib::Request& request, httplib::Response& response,
                     const PskConnection& connection, EndpointContext& context);
// NSCL mId with Kmc (§5.3, §6): /m2m/scls and the resources below.
void routeMid(const httplib::Request& request, httplib::Response& response,
              const PskConnection& connection, EndpointContext& context);

// The PSK server of one endpoint on `host:port`: PSK identities looked up in the `keys` table;
// each request counted, checked against its key still being valid (revoked, expired or
// superseded while kept alive: the connection ends unanswered), given an injected fault if one
// is pending, routed, and logged in one line (never a key or a body).
std::unique_ptr<PskServer> startEndpoint(Endpoint endpoint, KeyKind keys, Route route,
                                         EndpointContext& context, const std::string& host,
                                         std::uint16_t port, const PskServerLimits& limits);

// Shorthand for an XML answer.
void setXml(httplib::Response& response, int status, std::string body);

}  // namespace netsim
