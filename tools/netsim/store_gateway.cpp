// Gateways in the store (agent/GATEWAY.md §3): the devices each gateway's last appraised report
// names in `submods`, and the registrations of devices' SCLs made through a gateway (see
// store.hpp).
#include "sqlite_statement.hpp"
#include "store.hpp"

namespace netsim {

namespace {

GatewayDevice readDevice(const Statement& s) {
    GatewayDevice d;
    d.nodeId = s.text(0);
    d.verdict = s.text(1);
    d.allowed = nlohmann::json::parse(s.text(2)).get<std::vector<std::string>>();
    d.attested = s.integer(3) != 0;
    if (const auto counter = s.optionalInteger(4)) {
        d.counter = static_cast<std::uint32_t>(*counter);
    }
    return d;
}

constexpr const char* kDeviceColumns = "device, verdict, allowed, attested, counter";

}  // namespace

std::vector<std::string> Store::replaceGatewayDevices(const std::string& gateway,
                                                      const std::vector<GatewayDevice>& devices,
                                                      bool gatewayDenied) {
    std::lock_guard lock(mutex_);
    const Seconds now = nowSeconds();
    execute(db_, "BEGIN IMMEDIATE");
    try {
        Statement clear(db_, "DELETE FROM gateway_devices WHERE gateway = ?1");
        clear.bind(1, gateway).run();
        for (const GatewayDevice& d : devices) {
            Statement add(db_,
                          "INSERT INTO gateway_devices(gateway, device, verdict, allowed, "
                          "attested, counter, at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
            add.bind(1, gateway).bind(2, d.nodeId).bind(3, d.verdict);
            add.bind(4, nlohmann::json(d.allowed).dump()).bind(5, std::int64_t{d.attested});
            d.counter ? add.bind(6, std::int64_t{*d.counter}) : add.bindNull(6);
            add.bind(7, now).run();
        }
        // What the gateway no longer vouches for ends at once: the device registers again
        // through a gateway that does.
        std::vector<std::string> ended;
        {
            Statement end(db_, R"sql(
UPDATE registrations SET expires = 0
WHERE via = ?1 AND expires > 0 AND (?2 OR NOT EXISTS (
  SELECT 1 FROM gateway_devices g WHERE g.gateway = ?1 AND g.device = registrations.node_id
    AND g.verdict IN ('full', 'partial')))
RETURNING node_id)sql");
            end.bind(1, gateway).bind(2, std::int64_t{gatewayDenied});
            while (end.step()) {
                ended.push_back(end.text(0));
            }
        }
        execute(db_, "COMMIT");
        return ended;
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

std::vector<GatewayDevice> Store::gatewayDevices(const std::string& gateway) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string("SELECT ") + kDeviceColumns +
                      " FROM gateway_devices WHERE gateway = ?1 ORDER BY device")
                         .c_str());
    s.bind(1, gateway);
    std::vector<GatewayDevice> out;
    while (s.step()) {
        out.push_back(readDevice(s));
    }
    return out;
}

std::optional<GatewayDevice> Store::gatewayDevice(const std::string& gateway,
                                                  const std::string& device) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string("SELECT ") + kDeviceColumns +
                      " FROM gateway_devices WHERE gateway = ?1 AND device = ?2")
                         .c_str());
    s.bind(1, gateway).bind(2, device);
    return s.step() ? std::optional(readDevice(s)) : std::nullopt;
}

std::optional<Registration> Store::registrationOf(const std::string& nodeId) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "SELECT id, node_id, scl_id, link, expires, coalesce(via, '') FROM registrations "
                "WHERE node_id = ?1");
    s.bind(1, nodeId);
    if (!s.step()) {
        return std::nullopt;
    }
    return Registration{s.integer(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.text(5)};
}

Registration Store::registerDeviceScl(const std::string& gateway, const std::string& device,
                                      const std::string& sclId, const std::string& link,
                                      Seconds lifetime) {
    std::lock_guard lock(mutex_);
    const Seconds now = nowSeconds();
    Statement s(db_, R"sql(
INSERT INTO registrations(node_id, via, scl_id, link, expires, created)
VALUES(?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT(node_id) DO UPDATE SET via = excluded.via, scl_id = excluded.scl_id,
  link = excluded.link, expires = excluded.expires
RETURNING id, expires)sql");
    s.bind(1, device).bind(2, gateway).bind(3, sclId).bind(4, link);
    s.bind(5, expiryAfter(now, lifetime)).bind(6, now);
    if (!s.step()) {
        throw StoreError("registration not stored");
    }
    Registration r{s.integer(0), device, sclId, link, s.integer(1), gateway};
    s.run();
    return r;
}

}  // namespace netsim
