#include "text_output.hpp"

#include "base/bytes.hpp"
#include "base/text.hpp"

namespace m2m::cli {

namespace {

// "PskRejected: ... (connecting, 2026-12-07T10:00:00Z; recovered 2026-12-07T10:00:02Z)", or
// "none": a recovered failure must not read like the current state.
std::string lastErrorText(const nlohmann::ordered_json& status) {
    const auto text = [&](const char* key) {
        const auto found = status.find(key);
        return found != status.end() && found->is_string() ? found->get<std::string>()
                                                           : std::string();
    };
    const std::string message = text("last_error");
    if (message.empty()) {
        return "none";
    }
    std::string out = text("last_error_type");
    out += (out.empty() ? "" : ": ") + message + " (in " + text("last_error_state") + ", " +
           text("last_error_at");
    const std::string recovered = text("last_error_recovered_at");
    out += recovered.empty() ? "; not recovered)" : "; recovered " + recovered + ")";
    return base::printable(out);
}

}  // namespace

std::string jsonText(const nlohmann::ordered_json& value, int indent) {
    return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string shown(const nlohmann::ordered_json& value) {
    return base::printable(value.is_string() ? value.get_ref<const std::string&>()
                                             : jsonText(value));
}

void printFields(std::ostream& out, const nlohmann::ordered_json& object) {
    for (const auto& [key, value] : object.items()) {
        out << base::printable(key) << ": " << shown(value) << '\n';
    }
}

void printCardInfo(std::ostream& out, std::string_view reader, const seuicc::CardInfo& info,
                   std::string_view secureChannel, double elapsedMs) {
    out << "Reader:         " << base::printable(reader) << '\n'
        << "ATR:            " << base::toHex(info.atr.raw, true) << '\n';
    for (const auto& line : info.atr.describe()) {
        out << "                " << line << '\n';
    }
    // The ICCID is BCD-decoded (digits and A-F only); it goes through printable all the same.
    out << "ICCID:          " << base::printable(info.iccid) << '\n'
        << "Applications:   " << (info.applications.empty() ? "(none)" : "") << '\n';
    for (const auto& app : info.applications) {
        out << "  " << base::toHex(app.aid) << "  " << base::printable(app.label) << '\n';
    }
    out << "Secure channel: " << secureChannel << " (TS 102 484, from the ATR)\n"
        << "Cost:           " << info.counters.apdus << " APDUs, " << info.counters.bytesSent
        << " bytes sent, " << info.counters.bytesReceived << " bytes received, "
        << static_cast<long>(elapsedMs) << " ms\n";
}

void printAgentStatus(std::ostream& out, const nlohmann::ordered_json& status, bool running) {
    const auto field = [&status](const char* key) {
        const auto found = status.find(key);
        return found == status.end() ? std::string("null") : shown(*found);
    };
    const auto card = status.find("card");
    const bool software = card != status.end() && card->is_object() &&
                          card->value("kind", std::string()) == "software";
    out << "state:            " << field("state") << (running ? "" : " (agent not running)") << '\n'
        << "card:             "
        << (software ? "software (no secured environment: keys in process memory)" : "uicc") << '\n'
        << "node id:          " << field("node_id") << '\n'
        << "kmr index / kcv:  " << field("kmr_index") << '\n'
        << "                  " << field("kmr_kcv") << '\n'
        << "kmc index / kcv:  " << field("kmc_index") << '\n'
        << "                  " << field("kmc_kcv") << '\n'
        << "kmc expiry:       " << field("kmc_expiry") << '\n'
        << "psk identities:   " << field("psk_identities") << '\n'
        << "bootstrap / conn.:" << field("bootstrap") << " / " << field("connection") << '\n'
        << "gba:              " << field("gba") << '\n'
        << "registration:     " << field("registration") << '\n'
        << "content instances:" << field("content_instances") << '\n'
        << "last error:       " << lastErrorText(status) << '\n';
    if (status.contains("integrity")) {
        // The verdict and the recovery actions in words; the whole report is in --json.
        const auto& i = status["integrity"];
        out << "integrity:        verdict "
            << (i.contains("verdict") ? shown(i["verdict"]) : "null") << ", halted "
            << (i.contains("halted") ? shown(i["halted"]) : "null") << ", readings withheld "
            << field("readings_withheld") << ", maintenance records "
            << field("maintenance_records") << '\n';
        if (i.contains("last_report")) {
            out << "  last report:    " << shown(i["last_report"]) << '\n';
        }
        if (i.contains("actions")) {
            for (const auto& a : i["actions"]) {
                out << "  action:         " << shown(a) << '\n';
            }
        }
    }
    out << "counters:         " << field("counters") << '\n';
}

}  // namespace m2m::cli
