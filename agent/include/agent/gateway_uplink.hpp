// What the gateway's dIa side (gateway.hpp) needs from the agent that holds the mId link to the
// NSCL (GATEWAY.md §3): relaying a device's request over the gateway's own card-held Kmc, having
// the gateway report its devices' verdicts to the NSCL (its EAT's `submods`), and registering a
// device's SCL there. The agent implements it by running each call on its own thread, between its
// own requests (one card, one PC/SC transaction at a time); the gateway's unit tests put an
// in-memory one in its place.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/mid_resources.hpp"
#include "base/bytes.hpp"
#include "base/error.hpp"

namespace agent {

// The uplink could not carry a request: not registered with the NSCL (yet, or any more), the
// NSCL unreachable or refusing the gateway's key, or the wait for a turn exceeded the timeout.
// `timedOut()` tells the last case (the device gets 504; otherwise 502).
class UplinkUnavailable : public base::Error {
public:
    UplinkUnavailable(const std::string& what, bool timedOut)
        : base::Error(what), timedOut_(timedOut) {}
    [[nodiscard]] bool timedOut() const { return timedOut_; }

private:
    bool timedOut_;
};

// One device's entry in the gateway's report (GATEWAY.md §3, `submods`).
struct DeviceVerdict {
    std::string nodeIdHex;                 // lowercase: the submodule's name
    base::Bytes ueid;                      // 01 || Node-ID
    std::optional<std::uint64_t> counter;  // the last appraised report's, attested devices only
    std::string verdict;                   // "full", "partial", "deny"
    std::vector<std::string> allowed;      // partial only
    bool attested = true;
};

struct RelayRequest {
    std::string method;
    std::string nsclPath;  // absolute path on the NSCL's origin, e.g. /m2m/scls/7/applications
    std::string contentType;
    std::string body;
};

struct RelayResponse {
    long status = 0;
    std::string contentType;
    std::string location;  // absolute path on the NSCL's origin, or empty
    std::string body;
};

class GatewayUplink {
public:
    GatewayUplink() = default;
    virtual ~GatewayUplink() = default;
    GatewayUplink(const GatewayUplink&) = delete;
    GatewayUplink& operator=(const GatewayUplink&) = delete;

    // Sends the request over the gateway's mId link and returns the NSCL's answer, whatever its
    // status. Throws UplinkUnavailable (also under the gateway's own integrity halt). Waits at
    // most `timeout` in all.
    virtual RelayResponse relay(const RelayRequest& request, std::chrono::milliseconds timeout) = 0;

    // Makes the gateway send the NSCL a new integrity report whose submods are `devices` (the
    // whole list, every device the gateway serves; empty: no submods), and returns once the NSCL
    // accepted it. The list stays in every later report of the gateway (its periodic refreshes,
    // a registration after reconnecting). Throws UplinkUnavailable (also when the NSCL's verdict
    // on the gateway itself is deny, when the gateway has no integrity validation, and at once
    // for a list integrity::encodeSubmods refuses, e.g. more than 8 devices).
    virtual void reportDevices(const std::vector<DeviceVerdict>& devices,
                               std::chrono::milliseconds timeout) = 0;

    // Registers (POST {nscl}/scls) the device's SCL through the gateway; returns the absolute path
    // of the device's registration at the NSCL (its Location). Throws UplinkUnavailable, or
    // provisioning::RequestRefused when the NSCL refuses it.
    virtual std::string registerDevice(const SclRegistration& scl,
                                       std::chrono::milliseconds timeout) = 0;
};

}  // namespace agent
