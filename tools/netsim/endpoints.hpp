// The three endpoints of the lab network and what they share: the store, the lifetimes the
// network gives out, and the PSK server each endpoint runs on (its key table, counters, faults
// and log line).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <httplib.h>

#include "integrity/cose.hpp"
#include "server_names.hpp"
#include "store.hpp"

namespace netsim {

struct Lifetimes {
    Seconds kmr = 30 * 24 * 3600;
    Seconds kmc = 3600;
    Seconds registration = 3600;
};

// The NAF side of Ua (GBA, security-profile §4.2, §5.2): the MSBF and the NSCL's connection
// endpoint also accept PSK identities "3GPP-bootstrapping;<B-TID>", keyed with Ks_ext_NAF of
// their own NAF_Id (FQDN || 01 00 01 || the negotiated suite) from the BSF (zn.hpp).
struct GbaNafs {
    bool enabled = false;  // the BSF runs
    std::string msbfFqdn = "msbf.lab.m2m";
    std::string nsclFqdn = "nscl.lab.m2m";
};

// Integrity validation at the NSCL (nscl_integrity.hpp): the key that signs decisions, and
// whether every node must send reports (else only those with an attestation key or a policy).
struct IntegrityOptions {
    const integrity::PrivateKey* policyKey = nullptr;
    bool requireIntegrity = false;
    Seconds challengeLifetime = 120;  // FORMATS.md §5.1
};

struct EndpointContext {
    Store& store;
    Lifetimes lifetimes;
    GbaNafs gba{};
    IntegrityOptions integrity{};
    // `serve --clock-offset`: the network's clock is the local one plus this (tests give the
    // network a time other than the node's). The store keeps local times; only the times the
    // endpoints state (expiries, creation times, decisions' iat/exp, /m2m/time) are shifted.
    Seconds clockOffset = 0;
};

// The network's time now, and a local (store) time as the network states it.
[[nodiscard]] Seconds networkNow(const EndpointContext& context);
[[nodiscard]] Clock::time_point statedTime(const EndpointContext& context, Seconds local);

// The B-TID of a connection's PSK identity if `endpoint` is a GBA NAF and the identity is a GBA
// one; nullopt otherwise (the key tables of the TLS-based procedures apply).
[[nodiscard]] std::optional<std::string> gbaBtid(const EndpointContext& context, Endpoint endpoint,
                                                 const std::string& identity);

// For a connection keyed by a B-TID: the node key the GBA-based procedure issues, Ks_int_NAF of
// the same NAF_Id as the connection's PSK (Kmr at the MSBF, Kmc at the NSCL), and its lifetime:
// `lifetime`, cut to what is left of the bootstrap. nullopt if the connection is not a GBA one;
// StoreError if the bootstrap expired meanwhile.
struct IssuedKey {
    base::SecretBuffer key;
    Seconds lifetime = 0;
};
[[nodiscard]] std::optional<IssuedKey> gbaNodeKey(EndpointContext& context, Endpoint endpoint,
                                                  const PskConnection& connection,
                                                  Seconds lifetime);

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
