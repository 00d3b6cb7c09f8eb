// The mId resources in the store: the SCL registration and the applications, containers and
// contentInstances below it (see store.hpp).
#include "sqlite_statement.hpp"
#include "store.hpp"

namespace netsim {

Registration Store::registerScl(const std::string& nodeId, const std::string& sclId,
                                const std::string& link, Seconds lifetime) {
    std::lock_guard lock(mutex_);
    const Seconds now = nowSeconds();
    Statement s(db_, R"sql(
INSERT INTO registrations(node_id, scl_id, link, expires, created) VALUES(?1, ?2, ?3, ?4, ?5)
ON CONFLICT(node_id) DO UPDATE SET scl_id = excluded.scl_id, link = excluded.link,
  expires = excluded.expires, via = NULL
RETURNING id, expires)sql");
    s.bind(1, nodeId).bind(2, sclId).bind(3, link).bind(4, expiryAfter(now, lifetime)).bind(5, now);
    if (!s.step()) {
        throw StoreError("registration not stored");
    }
    Registration r{s.integer(0), nodeId, sclId, link, s.integer(1), ""};
    s.run();
    return r;
}

std::optional<Registration> Store::registration(std::int64_t id) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "SELECT id, node_id, scl_id, link, expires, coalesce(via, '') FROM registrations "
                "WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) {
        return std::nullopt;
    }
    return Registration{s.integer(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.text(5)};
}

Registration Store::refreshScl(std::int64_t id, const std::string& link, Seconds lifetime) {
    {
        std::lock_guard lock(mutex_);
        Statement s(db_,
                    "UPDATE registrations SET expires = ?2, link = CASE WHEN ?3 = '' THEN link "
                    "ELSE ?3 END WHERE id = ?1");
        s.bind(1, id).bind(2, expiryAfter(nowSeconds(), lifetime)).bind(3, link).run();
    }
    return *registration(id);
}

void Store::endRegistration(const std::string& nodeId) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE registrations SET expires = 0 WHERE node_id = ?1");
    s.bind(1, nodeId).run();
}

std::pair<std::int64_t, bool> Store::createApplication(std::int64_t registration,
                                                       const std::string& appId) {
    if (auto existing = application(registration, appId)) {
        return {*existing, false};
    }
    std::lock_guard lock(mutex_);
    Statement s(db_, "INSERT INTO applications(registration, app_id, created) VALUES(?1, ?2, ?3)");
    s.bind(1, registration).bind(2, appId).bind(3, nowSeconds()).run();
    return {sqlite3_last_insert_rowid(db_), true};
}

std::optional<std::int64_t> Store::application(std::int64_t registration,
                                               const std::string& appId) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT id FROM applications WHERE registration = ?1 AND app_id = ?2");
    s.bind(1, registration).bind(2, appId);
    return s.step() ? std::optional<std::int64_t>(s.integer(0)) : std::nullopt;
}

std::pair<std::int64_t, bool> Store::createContainer(std::int64_t application,
                                                     const std::string& containerId) {
    if (auto existing = container(application, containerId)) {
        return {*existing, false};
    }
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "INSERT INTO containers(application, container_id, created) VALUES(?1, ?2, ?3)");
    s.bind(1, application).bind(2, containerId).bind(3, nowSeconds()).run();
    return {sqlite3_last_insert_rowid(db_), true};
}

std::optional<std::int64_t> Store::container(std::int64_t application,
                                             const std::string& containerId) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT id FROM containers WHERE application = ?1 AND container_id = ?2");
    s.bind(1, application).bind(2, containerId);
    return s.step() ? std::optional<std::int64_t>(s.integer(0)) : std::nullopt;
}

std::optional<StoredInstance> Store::addInstance(std::int64_t container, const std::string& name,
                                                 const std::string& contentType,
                                                 const std::string& content) {
    std::lock_guard lock(mutex_);
    if (!name.empty()) {
        Statement existing(db_,
                           "SELECT 1 FROM content_instances WHERE container = ?1 AND name = ?2");
        existing.bind(1, container).bind(2, name);
        if (existing.step()) {
            return std::nullopt;
        }
    }
    const Seconds now = nowSeconds();
    Statement s(db_,
                "INSERT INTO content_instances(container, content_type, content, created, name) "
                "VALUES(?1, ?2, ?3, ?4, ?5)");
    s.bind(1, container).bind(2, contentType);
    s.bindBlob(
        3, base::ByteView(reinterpret_cast<const std::uint8_t*>(content.data()), content.size()));
    s.bind(4, now).bind(5, name).run();
    return StoredInstance{sqlite3_last_insert_rowid(db_), name, contentType, content, now};
}

std::vector<StoredInstance> Store::instances(std::int64_t container) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "SELECT id, name, content_type, content, created FROM content_instances "
                "WHERE container = ?1 ORDER BY id");
    s.bind(1, container);
    std::vector<StoredInstance> out;
    while (s.step()) {
        out.push_back({s.integer(0), s.text(1), s.text(2), s.blobText(3), s.integer(4)});
    }
    return out;
}

}  // namespace netsim
