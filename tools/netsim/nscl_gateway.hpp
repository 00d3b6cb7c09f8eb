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
// `scl.sclId` (m2m:scl/<its Node-ID in lowercase hex>); 403 naming the reason otherwise.
void registerThroughGateway(httplib::Response& response, const std::string& gatewayNodeId,
                            const agent::SclRegistration& scl, EndpointContext& context);

// Why a request below a device's registration is refused (not from its gateway's session; the
// gateway's last report denies or no longer lists the device; partial: outside its allowed
// paths); nullopt when it may pass. `segments` are the path's.
[[nodiscard]] std::optional<std::string> deviceRefusal(EndpointContext& context,
                                                       const Registration& registration,
                                                       const std::string& sessionNodeId,
                                                       const std::vector<std::string>& segments);

}  // namespace netsim
