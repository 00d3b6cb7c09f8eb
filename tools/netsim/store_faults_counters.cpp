// What tests and the demo steer and watch in the store: faults to inject and the endpoints'
// counters (see store.hpp).
#include "sqlite_statement.hpp"
#include "store.hpp"

namespace netsim {

void Store::setFault(Endpoint endpoint, const std::string& kind, std::uint32_t count) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "INSERT INTO faults(endpoint, kind, remaining) VALUES(?1, ?2, ?3) "
                "ON CONFLICT(endpoint) DO UPDATE SET kind = excluded.kind, "
                "remaining = excluded.remaining");
    s.bind(1, std::string(endpointName(endpoint))).bind(2, kind);
    s.bind(3, static_cast<std::int64_t>(count)).run();
}

std::optional<std::string> Store::takeFault(Endpoint endpoint) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "UPDATE faults SET remaining = remaining - 1 WHERE endpoint = ?1 AND remaining > 0 "
                "RETURNING kind");
    s.bind(1, std::string(endpointName(endpoint)));
    std::optional<std::string> kind;
    if (s.step()) {
        kind = s.text(0);
    }
    s.run();
    return kind;
}

void Store::count(Endpoint endpoint, const char* counter, std::int64_t amount) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "INSERT INTO counters(endpoint, name, value) VALUES(?1, ?2, ?3) "
                "ON CONFLICT(endpoint, name) DO UPDATE SET value = value + ?3");
    s.bind(1, std::string(endpointName(endpoint))).bind(2, std::string(counter)).bind(3, amount);
    s.run();
}

void Store::setSetting(const std::string& name, const std::string& value) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "INSERT INTO settings(name, value) VALUES(?1, ?2) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
    s.bind(1, name).bind(2, value).run();
}

}  // namespace netsim
