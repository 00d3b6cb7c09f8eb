// status.gateway (agent/GATEWAY.md §7), in agent/src/status.cpp's style: absent values are null.
#include "agent/gateway.hpp"
#include "provisioning/param_sets.hpp"

namespace agent {

nlohmann::ordered_json toJson(const GatewayStatus& s) {
    using Json = nlohmann::ordered_json;
    Json devices = Json::array();
    for (const GatewayDeviceStatus& d : s.devices) {
        Json j;
        j["node_id"] = d.nodeId;
        j["scl_id"] = d.sclId;
        j["card"] = d.software ? "software" : "uicc";
        j["attested"] = d.attested;
        j["verdict"] = d.verdict.empty() ? Json(nullptr) : Json(d.verdict);
        j["allowed"] = d.allowed;
        j["last_report"] =
            d.lastReportCounter
                ? Json{{"counter", *d.lastReportCounter},
                       {"time", d.lastReportTime ? Json(provisioning::toDateTime(*d.lastReportTime))
                                                 : Json(nullptr)}}
                : Json(nullptr);
        j["registered"] = d.registered;
        j["relayed"] = {{"requests", d.relayedRequests},
                        {"bytes_up", d.bytesUp},
                        {"bytes_down", d.bytesDown},
                        {"refused", d.refused}};
        j["last_error"] = d.lastError.empty() ? Json(nullptr) : Json(d.lastError);
        j["kmc_kcv"] = d.kmcKcv.empty() ? Json(nullptr) : Json(d.kmcKcv);
        devices.push_back(std::move(j));
    }
    Json j;
    j["connection_port"] = s.connectionPort;
    j["mid_port"] = s.midPort;
    j["devices"] = std::move(devices);
    j["relay"] = {{"queue_length", s.relay.queueLength},
                  {"median_wait_ms", s.relay.medianWaitMs},
                  {"p90_wait_ms", s.relay.p90WaitMs}};
    return j;
}

}  // namespace agent
