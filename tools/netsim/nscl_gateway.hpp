// The NSCL's side of gateway mode (agent/GATEWAY.md §3): a gateway's report lists its devices in
// `submods` (claim 266); the NSCL keeps that list per gateway, registers a device's SCL only from
// its gateway's session and only while the gateway vouches for it (full or partial), and
// authorizes every request below that registration by the device's verdict there.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include "agent/mid_resources.hpp"
#include "endpoints.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"

namespace netsim {

// ReportRefused (403) when the report's `submods` cannot be the gateway's devices: a name that is
// not its ueid's Node-ID in lowercase hex, or the gateway itself.
void checkSubmods(const integrity::EatClaims& claims, const std::string& gatewayNodeId);

// After the gateway's report was appraised (`verdict`): its devices become those of `claims`; the
// registrations through it of devices it dropped or denies end (all of them on a deny of the
// gateway itself).
void recordGatewayReport(EndpointContext& context, const std::string& gatewayNodeId,
                         const integrity::EatClaims& claims, integrity::Verdict verdict);

// POST /m2m/scls from a node's session for an SCL that is not the node's own: a device behind
// that node as a gateway. The device is the submodule of the gateway's last report whose SCL is
// `scl.sclId` (m2m:scl/<its Node-ID in lowercase hex>). The registration made, for the caller to
// answer; nullopt with `response` set to the refusal (403 naming the reason, 400 for a report).
std::optional<Registration> registerThroughGateway(httplib::Response& response,
                                                   const std::string& gatewayNodeId,
                                                   const agent::SclRegistration& scl,
                                                   EndpointContext& context);

// Why a request from the gateway's session (the caller checks that it is) below a device's
// registration is refused: the gateway's last report denies or no longer lists the device, or
// (partial) the path is outside its allowed paths; nullopt when it may pass. `segments` are the
// path's.
[[nodiscard]] std::optional<std::string> deviceRefusal(EndpointContext& context,
                                                       const Registration& registration,
                                                       const std::vector<std::string>& segments);

// The 400 of a device's registration or refresh that carries integrityValResults.
inline constexpr const char* kDeviceSendsNoReport =
    "a device behind a gateway sends no integrityValResults: its gateway's report vouches for it";

}  // namespace netsim
