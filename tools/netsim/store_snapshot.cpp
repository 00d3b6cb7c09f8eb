// The store as `m2m-netsim show` prints it: key check values, never a key (see store.hpp).
#include <algorithm>

#include "base/bytes.hpp"
#include "securechannel/crypto.hpp"
#include "sqlite_statement.hpp"
#include "store.hpp"

namespace netsim {

namespace {

using base::ByteView;
using base::SecretBuffer;

// Uppercase, as `m2m card status` and `m2m agent status` print key check values.
std::string kcvOf(const SecretBuffer& key) {
    return base::toHex(securechannel::keyCheckValue(key.view()));
}

// Whether `text` can go into JSON as a string as it is (printable, valid UTF-8).
bool isShowableText(const std::string& text) {
    const bool printable = std::all_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t' || c == '\r';
    });
    if (!printable) {
        return false;
    }
    try {
        static_cast<void>(nlohmann::json(text).dump());
        return true;
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

nlohmann::ordered_json optionalTime(const std::optional<std::int64_t>& t) {
    return t ? nlohmann::ordered_json(*t) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json Store::snapshot() {
    std::lock_guard lock(mutex_);
    nlohmann::ordered_json out;
    out["nodes"] = nlohmann::ordered_json::array();
    {
        Statement s(db_,
                    "SELECT node_id, iccid, scl_id, nscl, mas_fqdn, kmr_index, kmr_expiry, "
                    "kmr_revoked, kmc_index, kmc_expiry, kmc_revoked, connection_id, kbs_revoked, "
                    "kmr, kmc, kbs, kiv FROM nodes ORDER BY node_id");
        while (s.step()) {
            const auto kmr = s.secret(13), kmc = s.secret(14), kbs = s.secret(15),
                       kiv = s.secret(16);
            auto kcv = [&](const std::optional<SecretBuffer>& key) {
                return key ? nlohmann::ordered_json(kcvOf(*key)) : nlohmann::ordered_json(nullptr);
            };
            out["nodes"].push_back({
                {"node_id", s.text(0)},
                {"iccid", s.text(1)},
                {"scl_id", s.text(2)},
                {"nscl", nlohmann::ordered_json::parse(s.text(3))},
                {"mas_fqdn", s.text(4)},
                {"kmr_index", s.integer(5)},
                {"kmr_expiry_unix", optionalTime(s.optionalInteger(6))},
                {"kmr_revoked", s.integer(7) != 0},
                {"kmr_kcv", kcv(kmr)},
                {"kmc_index", s.integer(8)},
                {"kmc_expiry_unix", optionalTime(s.optionalInteger(9))},
                {"kmc_revoked", s.integer(10) != 0},
                {"kmc_kcv", kcv(kmc)},
                {"connection_id", s.isNull(11) ? nlohmann::ordered_json(nullptr)
                                               : nlohmann::ordered_json(std::stoull(s.text(11)))},
                {"kbs_revoked", s.integer(12) != 0},
                {"kbs_kcv", kcv(kbs)},
                {"kiv_kcv", kcv(kiv)},
            });
        }
    }
    out["registrations"] = nlohmann::ordered_json::array();
    {
        Statement s(db_,
                    "SELECT id, node_id, scl_id, link, expires, created, via FROM registrations "
                    "ORDER BY id");
        while (s.step()) {
            out["registrations"].push_back(
                {{"id", s.integer(0)},
                 {"path", "/m2m/scls/" + std::to_string(s.integer(0))},
                 {"node_id", s.text(1)},
                 {"scl_id", s.text(2)},
                 {"link", s.text(3)},
                 {"expires_unix", s.integer(4)},
                 {"created_unix", s.integer(5)},
                 {"via", s.isNull(6) ? nlohmann::ordered_json(nullptr)
                                     : nlohmann::ordered_json(s.text(6))}});
        }
    }
    out["gateways"] = gateways();
    out["applications"] = nlohmann::ordered_json::array();
    {
        Statement s(db_, "SELECT id, registration, app_id, created FROM applications ORDER BY id");
        while (s.step()) {
            out["applications"].push_back({{"id", s.integer(0)},
                                           {"registration", s.integer(1)},
                                           {"app_id", s.text(2)},
                                           {"created_unix", s.integer(3)}});
        }
    }
    out["containers"] = nlohmann::ordered_json::array();
    {
        Statement s(db_,
                    "SELECT c.id, c.application, c.container_id, c.created, a.app_id, "
                    "a.registration FROM containers c JOIN applications a ON a.id = c.application "
                    "ORDER BY c.id");
        while (s.step()) {
            out["containers"].push_back(
                {{"id", s.integer(0)},
                 {"application", s.integer(1)},
                 {"container_id", s.text(2)},
                 {"created_unix", s.integer(3)},
                 {"path", "/m2m/scls/" + std::to_string(s.integer(5)) + "/applications/" +
                              s.text(4) + "/containers/" + s.text(2)}});
        }
    }
    out["content_instances"] = nlohmann::ordered_json::array();
    {
        Statement s(db_,
                    "SELECT id, container, content_type, content, created, name FROM "
                    "content_instances ORDER BY id");
        while (s.step()) {
            const std::string content = s.blobText(3);
            nlohmann::ordered_json row = {{"id", s.integer(0)},
                                          {"container", s.integer(1)},
                                          {"name", s.text(5)},
                                          {"content_type", s.text(2)},
                                          {"created_unix", s.integer(4)}};
            // Content is shown as text when it is text, else as hex: the demo's proof of where
            // the data landed.
            if (isShowableText(content)) {
                row["content"] = content;
            }
            row["content_hex"] = base::toHex(
                ByteView(reinterpret_cast<const std::uint8_t*>(content.data()), content.size()));
            out["content_instances"].push_back(std::move(row));
        }
    }
    // GBA: the AuC, the subscriptions (IMSI and node, never K or OPc) and the bootstraps
    // (B-TID, IMPI, expiry; never Ks).
    out["auc"] = nullptr;
    {
        Statement s(db_, "SELECT value FROM settings WHERE name = 'auc'");
        if (s.step() && !s.text(0).empty()) {
            out["auc"] = s.text(0);
        }
    }
    out["subscribers"] = nlohmann::ordered_json::array();
    {
        Statement s(db_, "SELECT imsi, node_id, auc_synced FROM subscribers ORDER BY imsi");
        while (s.step()) {
            out["subscribers"].push_back(
                {{"imsi", s.text(0)}, {"node_id", s.text(1)}, {"auc_synced", s.integer(2) != 0}});
        }
    }
    out["bootstraps"] = nlohmann::ordered_json::array();
    {
        Statement s(db_,
                    "SELECT btid, impi, imsi, expiry, created FROM bootstraps ORDER BY created, "
                    "btid");
        const Seconds now = nowSeconds();
        while (s.step()) {
            out["bootstraps"].push_back({{"btid", s.text(0)},
                                         {"impi", s.text(1)},
                                         {"imsi", s.text(2)},
                                         {"expiry_unix", s.integer(3)},
                                         {"created_unix", s.integer(4)},
                                         {"expired", s.integer(3) <= now}});
        }
    }
    // Integrity validation: the policies (no manifest bytes, its size) and every appraisal.
    out["integrity_policies"] = nlohmann::ordered_json::array();
    {
        Statement s(db_,
                    "SELECT p.node_id, length(p.manifest), p.on_fail, p.allowed, "
                    "p.remediation IS NOT NULL, n.iv_attestation_key IS NOT NULL "
                    "FROM integrity_policies p JOIN nodes n USING(node_id) ORDER BY p.node_id");
        while (s.step()) {
            out["integrity_policies"].push_back(
                {{"node_id", s.text(0)},
                 {"manifest_bytes", s.integer(1)},
                 {"on_fail", s.text(2)},
                 {"allowed", nlohmann::ordered_json::parse(s.text(3))},
                 {"remediation_pending", s.integer(4) != 0},
                 {"attestation_key", s.integer(5) != 0}});
        }
    }
    out["integrity_verdicts"] = nlohmann::ordered_json::array();
    {
        Statement s(db_,
                    "SELECT node_id, verdict, counter, at, failed, reason FROM integrity_verdicts "
                    "ORDER BY id");
        while (s.step()) {
            out["integrity_verdicts"].push_back(
                {{"node_id", s.text(0)},
                 {"verdict", s.text(1)},
                 {"counter", optionalTime(s.optionalInteger(2))},
                 {"at_unix", s.integer(3)},
                 {"failed", nlohmann::ordered_json::parse(s.text(4))},
                 {"reason", s.text(5)}});
        }
    }
    out["faults"] = nlohmann::ordered_json::array();
    {
        Statement s(db_, "SELECT endpoint, kind, remaining FROM faults WHERE remaining > 0");
        while (s.step()) {
            out["faults"].push_back(
                {{"endpoint", s.text(0)}, {"kind", s.text(1)}, {"remaining", s.integer(2)}});
        }
    }
    out["counters"] = nlohmann::ordered_json::object();
    for (Endpoint e : {Endpoint::Msbf, Endpoint::Connection, Endpoint::Mid}) {
        out["counters"][endpointName(e)] = {
            {"requests", 0}, {"handshakes", 0}, {"handshake_failures", 0},
            {"refused", 0},  {"cut_off", 0},    {"btid_refused", 0}};
    }
    {
        Statement s(db_, "SELECT endpoint, name, value FROM counters ORDER BY endpoint, name");
        while (s.step()) {
            out["counters"][s.text(0)][s.text(1)] = s.integer(2);
        }
    }
    return out;
}

// Each gateway with its devices: those its last appraised report lists (verdict "absent" for one
// it dropped) and those registered through it, with what they stored.
nlohmann::ordered_json Store::gateways() {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    Statement s(db_, R"sql(
WITH devices(gateway, device) AS (
  SELECT gateway, device FROM gateway_devices
  UNION SELECT via, node_id FROM registrations WHERE via IS NOT NULL)
SELECT d.gateway, d.device, g.verdict, g.allowed, g.attested, g.counter, g.at,
  r.id, r.scl_id, r.expires,
  (SELECT count(*) FROM content_instances i JOIN containers c ON c.id = i.container
     JOIN applications a ON a.id = c.application WHERE a.registration = r.id)
FROM devices d
LEFT JOIN gateway_devices g ON g.gateway = d.gateway AND g.device = d.device
LEFT JOIN registrations r ON r.node_id = d.device AND r.via = d.gateway
ORDER BY d.gateway, d.device)sql");
    const Seconds now = nowSeconds();
    auto orNull = [](bool present, auto value) {
        return present ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
    };
    while (s.step()) {
        if (out.empty() || out.back()["node_id"] != s.text(0)) {
            out.push_back({{"node_id", s.text(0)}, {"devices", nlohmann::ordered_json::array()}});
        }
        const bool listed = !s.isNull(2);
        const bool registration = !s.isNull(7);
        out.back()["devices"].push_back({
            {"node_id", s.text(1)},
            {"scl_id", orNull(registration, s.text(8))},
            {"verdict", listed ? s.text(2) : "absent"},
            {"allowed",
             listed ? nlohmann::ordered_json::parse(s.text(3)) : nlohmann::ordered_json::array()},
            {"attested", orNull(listed, s.integer(4) != 0)},
            {"counter", optionalTime(s.optionalInteger(5))},
            {"reported_unix", optionalTime(s.optionalInteger(6))},
            {"registered", registration && s.integer(9) > now},
            {"path", orNull(registration, "/m2m/scls/" + std::to_string(s.integer(7)))},
            {"content_instances", s.integer(10)},
        });
    }
    return out;
}

}  // namespace netsim
