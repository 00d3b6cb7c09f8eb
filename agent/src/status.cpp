#include "agent/status.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

#include "agent/software_card.hpp"
#include "provisioning/param_sets.hpp"
#include "provisioning/personalisation.hpp"

namespace agent {

std::string_view toString(AgentState state) {
    switch (state) {
        case AgentState::Starting:
            return "starting";
        case AgentState::Bootstrapping:
            return "bootstrapping";
        case AgentState::Connecting:
            return "connecting";
        case AgentState::Registering:
            return "registering";
        case AgentState::Registered:
            return "registered";
        case AgentState::Backoff:
            return "backoff";
        case AgentState::Failed:
            return "failed";
        case AgentState::Stopped:
            return "stopped";
    }
    return "unknown";
}

namespace {

using Json = nlohmann::ordered_json;

Json time(const std::optional<std::chrono::system_clock::time_point>& t) {
    return t ? Json(provisioning::toDateTime(*t)) : Json(nullptr);
}

Json text(const std::string& s) {
    return s.empty() ? Json(nullptr) : Json(s);
}

Json traffic(const seuicc::ApduCounters& c) {
    return {{"apdus", c.apdus}, {"bytes_sent", c.bytesSent}, {"bytes_received", c.bytesReceived}};
}

}  // namespace

Json toJson(const AgentStatus& s) {
    Json j;
    j["state"] = std::string(toString(s.state));
    j["since"] = provisioning::toDateTime(s.since);
    j["pid"] = ::getpid();
    if (s.retrying) {
        j["retrying"] = std::string(toString(*s.retrying));
    }
    j["attempt"] = s.attempt;
    j["next_attempt"] = time(s.nextAttempt);
    // Flat, so a script can test one field; null when there has been no failure.
    const ErrorRecord* e = s.lastError ? &*s.lastError : nullptr;
    j["last_error"] = e ? Json(e->cause.message) : Json(nullptr);
    j["last_error_type"] = e ? Json(e->cause.type) : Json(nullptr);
    j["last_error_cause"] = e ? Json(std::string(toString(e->cause.kind))) : Json(nullptr);
    j["last_error_state"] = e ? Json(std::string(toString(e->state))) : Json(nullptr);
    j["last_error_at"] = e ? Json(provisioning::toDateTime(e->at)) : Json(nullptr);
    j["last_error_recovered_at"] = e ? time(e->recoveredAt) : Json(nullptr);
    // Marked where a script and a person look first: the keys of a software card are in this
    // process's memory (GATEWAY.md §5).
    j["card"] = {
        {"kind", std::string(toString(s.cardKind))},
        {"warning", s.cardKind == CardKind::Software ? Json(kSoftwareCardWarning) : Json(nullptr)}};
    j["reader"] = text(s.reader);
    j["iccid"] = text(s.iccid);
    if (s.card) {
        const Json card = provisioning::statusJson(*s.card);
        for (const char* key :
             {"node_id", "lifecycle", "kmr_index", "kmr_expiry", "kmr_kcv", "kmc_index",
              "connection_id", "kmc_expiry", "kmc_kcv", "kbs_kcv", "scl_id", "nscl"}) {
            j[key] = card[key];
        }
    }
    j["psk_identities"] = {
        {"kbs", text(s.kbsIdentity)}, {"kmr", text(s.kmrIdentity)}, {"kmc", text(s.kmcIdentity)}};
    j["mid_url"] = text(s.midUrl);
    j["bootstrap"] = text(s.bootstrapMethod);
    j["connection"] = text(s.connectionMethod);
    j["gba"] =
        s.gba ? Json{{"btid", text(s.gba->btid)},        {"btid_expiry", time(s.gba->btidExpiry)},
                     {"impi", text(s.gba->impi)},        {"ub_runs", s.gba->ubRuns},
                     {"ub_requests", s.gba->ubRequests}, {"btid_refusals", s.gba->btidRefusals}}
              : Json(nullptr);
    j["registration"] = {{"location", text(s.registrationLocation)},
                         {"expires", time(s.registrationExpires)},
                         {"refresh_at", time(s.registrationRefreshAt)}};
    j["container"] = text(s.containerLocation);
    j["content_instances"] = s.contentInstances;
    j["last_content_instance"] = text(s.lastContentInstance);
    if (!s.integrity.is_null()) {
        j["readings_withheld"] = s.readingsWithheld;
        j["maintenance_container"] = text(s.maintenanceLocation);
        j["maintenance_records"] = s.maintenanceRecords;
        j["integrity"] = s.integrity;
    }
    if (s.relay) {
        j["relay"] = {{"requests", s.relay->requests},
                      {"refused", s.relay->refused},
                      {"queue_length", s.relay->queueLength},
                      {"wait_median_ms", s.relay->waitMedianMs},
                      {"wait_p90_ms", s.relay->waitP90Ms}};
    }
    if (s.time) {
        const TimeStatus& t = *s.time;
        j["time"] = {{"source", t.source},
                     {"synchronised", t.synchronised},
                     {"offset_s", t.offsetSeconds},
                     {"uncertainty_ms", t.uncertaintyMs},
                     {"local_trusted", t.localTrusted},
                     {"last_sync", time(t.lastSync)},
                     {"note", text(t.note)}};
    }
    Json procedures = Json::object();
    for (const auto& [name, p] : s.procedures) {
        procedures[name] = {{"runs", p.runs},
                            {"failures", p.failures},
                            {"last_ms", p.lastMs},
                            {"total_ms", p.totalMs},
                            {"last_card", traffic(p.lastCard)},
                            {"total_card", traffic(p.totalCard)},
                            {"last_tls_handshakes", p.lastHandshakes},
                            {"last_http_requests", p.lastRequests}};
    }
    j["counters"] = {
        {"card", traffic(s.cardTraffic)},   {"secure_channel_setups", s.secureChannelSetups},
        {"master_sa", text(s.masterSa)},    {"tls_handshakes", s.tlsHandshakes},
        {"http_requests", s.httpRequests},  {"bootstraps", s.bootstraps},
        {"method_fallbacks", s.fallbacks},  {"connections", s.connections},
        {"registrations", s.registrations}, {"registration_refreshes", s.refreshes},
        {"uptime_ms", s.uptimeMs},          {"procedures", procedures}};
    return j;
}

void writeStatusFile(const std::filesystem::path& path, const nlohmann::ordered_json& document) {
    std::filesystem::create_directories(path.parent_path().empty() ? "." : path.parent_path());
    const std::filesystem::path temporary = path.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
            << '\n';
        if (!out) {
            throw std::runtime_error("cannot write " + temporary.string());
        }
    }
    ::chmod(temporary.c_str(), 0644);
    std::filesystem::rename(temporary, path);
}

nlohmann::ordered_json readStatusFile(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) {
        throw StatusFileError("no agent status at " + path.string() +
                              " (has the agent run with this state_dir?)");
    }
    const auto damaged = [&path](const std::string& why) {
        return StatusFileError("the agent status " + path.string() + " is damaged (" + why + ")");
    };
    nlohmann::ordered_json status =
        nlohmann::ordered_json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (in.bad()) {
        throw StatusFileError("the agent status " + path.string() + " cannot be read");
    }
    if (status.is_discarded()) {
        throw damaged("not valid JSON");
    }
    if (!status.is_object()) {
        throw damaged("not a JSON object");
    }
    if (!status.contains("state") || !status["state"].is_string()) {
        throw damaged("no \"state\"");
    }
    if (status.contains("pid") && !status["pid"].is_number_integer()) {
        throw damaged("\"pid\" is not a number");
    }
    return status;
}

void notifySystemd(const std::string& message) noexcept {
    const char* socketPath = std::getenv("NOTIFY_SOCKET");
    if (socketPath == nullptr || socketPath[0] == '\0') {
        return;
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::size_t length = std::strlen(socketPath);
    if (length >= sizeof address.sun_path) {
        return;
    }
    std::memcpy(address.sun_path, socketPath, length);
    if (address.sun_path[0] == '@') {
        address.sun_path[0] = '\0';  // abstract namespace
    }
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    const auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
    (void)::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(&address), size);
    ::close(fd);
}

}  // namespace agent
