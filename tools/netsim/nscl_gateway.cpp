// The NSCL's side of gateway mode (see nscl_gateway.hpp).
#include "nscl_gateway.hpp"

#include <algorithm>
#include <cctype>

#include "base/log.hpp"
#include "nscl_integrity.hpp"
#include "server_names.hpp"

namespace netsim {

namespace {

constexpr std::string_view kSclPrefix = "m2m:scl/";

std::string ueidName(const base::Bytes& ueid) {
    return base::toHex(base::ByteView(ueid).subspan(1));
}

GatewayDevice deviceOf(const integrity::Submodule& s) {
    GatewayDevice d;
    d.nodeId = s.name;
    d.verdict = std::string(integrity::toString(s.verdict));
    d.allowed = s.allowed;
    d.attested = s.attested;
    if (s.counter) {
        d.counter = static_cast<std::uint32_t>(*s.counter);  // the decoder bounds it to 2^32-1
    }
    return d;
}

}  // namespace

void checkSubmods(const integrity::EatClaims& claims, const std::string& gatewayNodeId) {
    for (const integrity::Submodule& s : claims.submods) {
        std::string lower = ueidName(s.ueid);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (s.name != lower) {
            throw ReportRefused(
                403, "submods: device \"" + s.name + "\" is not named by its ueid's Node-ID");
        }
        if (s.name == gatewayNodeId) {
            throw ReportRefused(403, "submods: the gateway names itself as its device");
        }
    }
}

void recordGatewayReport(EndpointContext& context, const std::string& gatewayNodeId,
                         const integrity::EatClaims& claims, integrity::Verdict verdict) {
    std::vector<GatewayDevice> devices;
    for (const integrity::Submodule& s : claims.submods) {
        devices.push_back(deviceOf(s));
    }
    const std::vector<std::string> ended = context.store.replaceGatewayDevices(
        gatewayNodeId, devices, verdict == integrity::Verdict::Deny);
    for (const std::string& device : ended) {
        base::log::kNetsim->info("gateway {}: device {} no longer vouched for, registration ended",
                                 gatewayNodeId, device);
    }
}

std::optional<Registration> registerThroughGateway(httplib::Response& response,
                                                   const std::string& gatewayNodeId,
                                                   const agent::SclRegistration& scl,
                                                   EndpointContext& context) {
    auto refuse = [&](int status, const std::string& reason) {
        http::setError(response, status, reason);
        return std::nullopt;
    };
    std::optional<GatewayDevice> device;
    for (GatewayDevice& d : context.store.gatewayDevices(gatewayNodeId)) {
        if (scl.sclId == std::string(kSclPrefix) + d.nodeId) {
            device = std::move(d);
        }
    }
    if (!device) {
        return refuse(403,
                      "sclId is not this node's SCL, nor m2m:scl/<node id> of a device "
                      "in its last integrity report's submods");
    }
    if (scl.integrityValResults) {
        return refuse(400, kDeviceSendsNoReport);
    }
    if (device->verdict != "full" && device->verdict != "partial") {
        return refuse(403,
                      "device " + device->nodeId + ": the gateway's verdict is " + device->verdict);
    }
    if (const auto access = context.store.integrityAccess(gatewayNodeId);
        access.verdict == "deny") {
        return refuse(403, "the gateway's own integrity verdict is deny");
    }
    if (const auto existing = context.store.registrationOf(device->nodeId);
        existing && existing->via != gatewayNodeId && existing->expires > nowSeconds()) {
        return refuse(
            403, "device " + device->nodeId + " is registered directly or through another gateway");
    }
    const Registration r = context.store.registerDeviceScl(
        gatewayNodeId, device->nodeId, scl.sclId, scl.link, context.lifetimes.registration);
    base::log::kNetsim->info("gateway {}: device {} registered as /m2m/scls/{} ({})", gatewayNodeId,
                             device->nodeId, r.id, device->verdict);
    return r;
}

std::optional<std::string> deviceRefusal(EndpointContext& context, const Registration& registration,
                                         const std::vector<std::string>& segments) {
    const auto device = context.store.gatewayDevice(registration.via, registration.nodeId);
    if (!device) {
        return "device " + registration.nodeId + " is not in its gateway's last report";
    }
    if (device->verdict == "partial") {
        if (!withinAllowed(device->allowed, segments)) {
            return "gateway verdict partial for device " + registration.nodeId + ": only " +
                   joinedPaths(device->allowed) + " allowed";
        }
        return std::nullopt;
    }
    if (device->verdict != "full") {
        return "gateway verdict " + device->verdict + " for device " + registration.nodeId;
    }
    return std::nullopt;
}

}  // namespace netsim
