// `m2m-netsim fault | revoke | expire | show`: what a test or the demo does to the network side
// and how it sees the result. They work on the store while the server runs.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <vector>

#include "admin_support.hpp"
#include "base/text.hpp"
#include "commands.hpp"

namespace netsim {

namespace {

KeyKind keyKind(const std::string& key) {
    if (key == "kmr") {
        return KeyKind::Kmr;
    }
    if (key == "kmc") {
        return KeyKind::Kmc;
    }
    if (key == "kbs") {
        return KeyKind::Kbs;
    }
    throw std::invalid_argument("--key must be kmr, kmc or kbs");
}

std::string time(const nlohmann::ordered_json& unix) {
    if (unix.is_null()) {
        return "-";
    }
    const std::time_t t = unix.get<std::time_t>();
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// A string of the store for a text line. SCL-IDs, links, application and container names and
// contents come from the devices: an escape sequence in them is shown, never obeyed.
std::string shown(const nlohmann::ordered_json& v) {
    return base::printable(v.get_ref<const std::string&>());
}

std::string orDash(const nlohmann::ordered_json& v) {
    return v.is_null() ? "-" : v.is_string() ? shown(v) : v.dump();
}

void printText(const nlohmann::ordered_json& s) {
    std::cout << "nodes:\n";
    for (const auto& n : s["nodes"]) {
        std::cout << "  " << shown(n["node_id"]) << "  ICCID " << shown(n["iccid"]) << "  "
                  << shown(n["scl_id"]) << "\n    Kmr  index " << n["kmr_index"] << "  expires "
                  << time(n["kmr_expiry_unix"]) << "  KCV " << orDash(n["kmr_kcv"])
                  << (n["kmr_revoked"].get<bool>() ? "  REVOKED" : "") << "\n    Kmc  index "
                  << n["kmc_index"] << "  expires " << time(n["kmc_expiry_unix"]) << "  KCV "
                  << orDash(n["kmc_kcv"]) << "  ConnectionId " << orDash(n["connection_id"])
                  << (n["kmc_revoked"].get<bool>() ? "  REVOKED" : "") << "\n    Kbs  KCV "
                  << orDash(n["kbs_kcv"]) << (n["kbs_revoked"].get<bool>() ? "  REVOKED" : "")
                  << "   Kiv KCV " << orDash(n["kiv_kcv"]) << "\n";
    }
    std::cout << "registrations:\n";
    for (const auto& r : s["registrations"]) {
        std::cout << "  " << shown(r["path"]) << "  " << shown(r["scl_id"]) << "  node "
                  << shown(r["node_id"]) << "  expires " << time(r["expires_unix"])
                  << (r["via"].is_null() ? "" : "  via gateway " + shown(r["via"])) << "\n";
    }
    std::cout << "gateways (devices as the last report lists them):\n";
    for (const auto& g : s["gateways"]) {
        std::cout << "  " << shown(g["node_id"]) << "\n";
        for (const auto& d : g["devices"]) {
            std::string allowed;
            for (const auto& a : d["allowed"]) {
                allowed += (allowed.empty() ? "" : ", ") + shown(a);
            }
            std::cout << "    " << shown(d["node_id"]) << "  " << orDash(d["scl_id"]) << "  "
                      << shown(d["verdict"]) << (allowed.empty() ? "" : " (" + allowed + ")")
                      << "  attested " << orDash(d["attested"]) << "  counter "
                      << orDash(d["counter"]) << "  "
                      << (d["registered"].get<bool>() ? "registered " + shown(d["path"])
                                                      : std::string("not registered"))
                      << "  contentInstances " << d["content_instances"] << "\n";
        }
    }
    std::cout << "applications:\n";
    for (const auto& a : s["applications"]) {
        std::cout << "  /m2m/scls/" << a["registration"] << "/applications/" << shown(a["app_id"])
                  << "\n";
    }
    std::cout << "containers:\n";
    for (const auto& c : s["containers"]) {
        std::cout << "  " << shown(c["path"]) << "\n";
    }
    std::cout << "contentInstances:\n";
    for (const auto& i : s["content_instances"]) {
        std::cout << "  #" << i["id"] << " in container " << i["container"] << "  "
                  << time(i["created_unix"]) << "  " << shown(i["content_type"]) << "  "
                  << (i.contains("content") ? shown(i["content"])
                                            : "hex " + shown(i["content_hex"]))
                  << "\n";
    }
    std::cout << "AuC: " << (s["auc"].is_null() ? "- (no BSF)" : shown(s["auc"])) << "\n";
    std::cout << "USIM subscribers:\n";
    for (const auto& u : s["subscribers"]) {
        std::cout << "  IMSI " << shown(u["imsi"]) << "  node " << shown(u["node_id"])
                  << (u["auc_synced"].get<bool>() ? "" : "  (not yet in the AuC)") << "\n";
    }
    std::cout << "bootstraps (B-TIDs):\n";
    for (const auto& b : s["bootstraps"]) {
        std::cout << "  " << shown(b["btid"]) << "  " << shown(b["impi"]) << "  expires "
                  << time(b["expiry_unix"]) << (b["expired"].get<bool>() ? "  EXPIRED" : "")
                  << "\n";
    }
    std::cout << "integrity verdicts (oldest first):\n";
    for (const auto& v : s["integrity_verdicts"]) {
        std::string failed;
        for (const auto& f : v["failed"]) {
            failed += (failed.empty() ? "" : ", ") + shown(f);
        }
        std::cout << "  " << shown(v["node_id"]) << "  " << shown(v["verdict"]) << "  counter "
                  << orDash(v["counter"]) << "  " << time(v["at_unix"]) << "  failed "
                  << (failed.empty() ? "-" : failed)
                  << (v["reason"].get_ref<const std::string&>().empty()
                          ? ""
                          : "  (" + shown(v["reason"]) + ")")
                  << "\n";
    }
    std::cout << "faults pending:\n";
    for (const auto& f : s["faults"]) {
        std::cout << "  " << shown(f["endpoint"]) << "  " << shown(f["kind"]) << "  x"
                  << f["remaining"] << "\n";
    }
    std::cout << "counters:\n";
    for (const auto& [endpoint, counters] : s["counters"].items()) {
        std::cout << "  " << std::left << std::setw(11) << endpoint;
        for (const auto& [name, value] : counters.items()) {
            std::cout << " " << name << " " << value;
        }
        std::cout << "\n";
    }
}

}  // namespace

const std::vector<std::string>& faultKinds() {
    static const std::vector<std::string> kinds = {
        "http-403", "http-404", "http-500", "http-503", "malformed-xml", "oversized-body", "close"};
    return kinds;
}

int runFault(const std::filesystem::path& db, const std::string& endpoint, const std::string& kind,
             std::uint32_t count) {
    return guarded("fault", [&] {
        const auto e = endpointFrom(endpoint);
        if (!e) {
            throw std::invalid_argument("--endpoint must be msbf, connection or mid");
        }
        const auto& kinds = faultKinds();
        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
            std::string known;
            for (const auto& k : kinds) {
                known += (known.empty() ? "" : ", ") + k;
            }
            throw std::invalid_argument("--kind must be one of " + known);
        }
        Store store(db);
        store.setFault(*e, kind, count);
        std::cout << "the next " << count << " request(s) on " << endpoint << " get " << kind
                  << "\n";
    });
}

int runRevoke(const std::filesystem::path& db, const std::string& node, const std::string& key) {
    return guarded("revoke", [&] {
        const std::string id = checkedNode(node);
        Store store(db);
        store.revoke(id, keyKind(key));
        std::cout << key << " of " << id << " revoked\n";
    });
}

int runExpire(const std::filesystem::path& db, const std::string& node, const std::string& key) {
    return guarded("expire", [&] {
        const std::string id = checkedNode(node);
        const KeyKind kind = keyKind(key);
        if (kind == KeyKind::Kbs) {
            throw std::invalid_argument("--key must be kmr or kmc (Kbs has no lifetime)");
        }
        Store store(db);
        store.expire(id, kind);
        std::cout << key << " of " << id << " expired\n";
    });
}

int runShow(const std::filesystem::path& db, bool json) {
    return guarded("show", [&] {
        if (!std::filesystem::exists(db)) {
            throw std::invalid_argument("no store at " + db.string());
        }
        Store store(db);
        const nlohmann::ordered_json s = store.snapshot();
        if (json) {
            // A device's bytes that are not UTF-8 show as U+FFFD rather than failing `show`.
            std::cout << s.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                      << "\n";
        } else {
            printText(s);
        }
    });
}

}  // namespace netsim
