// SQLite persistence of the lab network (see store.hpp).
#include "store.hpp"

#include "base/big_endian.hpp"
#include "provisioning/psk_identity.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/bytes.hpp"
#include "securechannel/crypto.hpp"

namespace netsim {

namespace {

using base::ByteView;
using base::SecretBuffer;

// One prepared statement; finalised on scope exit, so an exception never leaks one.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
            throw StoreError(std::string("SQLite: ") + sqlite3_errmsg(db));
        }
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() { sqlite3_finalize(stmt_); }

    Statement& bind(int i, std::int64_t v) {
        check(sqlite3_bind_int64(stmt_, i, v));
        return *this;
    }
    Statement& bind(int i, const std::string& v) {
        check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    // Not copied (SQLITE_STATIC): keys stay in their SecretBuffer, which outlives the statement's
    // execution, instead of in a heap copy SQLite would free without wiping.
    Statement& bindBlob(int i, ByteView v) {
        check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
        return *this;
    }
    Statement& bindNull(int i) {
        check(sqlite3_bind_null(stmt_, i));
        return *this;
    }
    // True while there is a row.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) {
            return true;
        }
        if (rc == SQLITE_DONE) {
            return false;
        }
        throw StoreError(std::string("SQLite: ") + sqlite3_errmsg(db_));
    }
    void run() {
        while (step()) {
        }
    }
    [[nodiscard]] bool isNull(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
    [[nodiscard]] std::int64_t integer(int c) const { return sqlite3_column_int64(stmt_, c); }
    [[nodiscard]] std::optional<std::int64_t> optionalInteger(int c) const {
        return isNull(c) ? std::nullopt : std::optional<std::int64_t>(integer(c));
    }
    [[nodiscard]] std::string text(int c) const {
        const auto* p = sqlite3_column_text(stmt_, c);
        return p == nullptr ? std::string{}
                            : std::string(reinterpret_cast<const char*>(p),
                                          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
    }
    [[nodiscard]] std::string blobText(int c) const {
        const void* p = sqlite3_column_blob(stmt_, c);
        return p == nullptr ? std::string{}
                            : std::string(static_cast<const char*>(p),
                                          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
    }
    // A key column straight into locked memory; nullopt for NULL.
    [[nodiscard]] std::optional<SecretBuffer> secret(int c) const {
        if (isNull(c)) {
            return std::nullopt;
        }
        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, c));
        return SecretBuffer::copyOf(
            ByteView(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))));
    }

private:
    void check(int rc) {
        if (rc != SQLITE_OK) {
            throw StoreError(std::string("SQLite: ") + sqlite3_errmsg(db_));
        }
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS nodes(
  node_id TEXT PRIMARY KEY,
  iccid TEXT NOT NULL,
  scl_id TEXT NOT NULL,
  nscl TEXT NOT NULL,
  mas_fqdn TEXT NOT NULL,
  kbs BLOB, kbs_revoked INTEGER NOT NULL DEFAULT 0,
  kmr BLOB, kmr_index INTEGER NOT NULL, kmr_expiry INTEGER, kmr_revoked INTEGER NOT NULL DEFAULT 0,
  kmc BLOB, kmc_index INTEGER NOT NULL DEFAULT 0, kmc_expiry INTEGER,
  kmc_revoked INTEGER NOT NULL DEFAULT 0, connection_id TEXT,
  kiv BLOB,
  updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS registrations(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id TEXT NOT NULL UNIQUE REFERENCES nodes(node_id),
  scl_id TEXT NOT NULL, link TEXT NOT NULL,
  expires INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS applications(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  registration INTEGER NOT NULL REFERENCES registrations(id),
  app_id TEXT NOT NULL, created INTEGER NOT NULL,
  UNIQUE(registration, app_id));
CREATE TABLE IF NOT EXISTS containers(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  application INTEGER NOT NULL REFERENCES applications(id),
  container_id TEXT NOT NULL, created INTEGER NOT NULL,
  UNIQUE(application, container_id));
CREATE TABLE IF NOT EXISTS content_instances(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  container INTEGER NOT NULL REFERENCES containers(id),
  content_type TEXT NOT NULL, content BLOB NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS faults(
  endpoint TEXT PRIMARY KEY, kind TEXT NOT NULL, remaining INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters(
  endpoint TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY(endpoint, name));
)sql";

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

NodeRecord readNode(const Statement& s) {
    NodeRecord n;
    n.nodeId = s.text(0);
    n.iccid = s.text(1);
    n.sclId = s.text(2);
    n.nscl = nlohmann::json::parse(s.text(3)).get<std::vector<std::string>>();
    n.masFqdn = s.text(4);
    n.kmrIndex = static_cast<std::uint32_t>(s.integer(5));
    n.kmrExpiry = s.optionalInteger(6);
    n.kmcIndex = static_cast<std::uint32_t>(s.integer(7));
    n.kmcExpiry = s.optionalInteger(8);
    n.connectionId = s.isNull(9) ? 0 : std::stoull(s.text(9));
    return n;
}

constexpr const char* kNodeColumns =
    "node_id, iccid, scl_id, nscl, mas_fqdn, kmr_index, kmr_expiry, kmc_index, kmc_expiry, "
    "connection_id";

void createPrivateFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    if (errno != EEXIST) {
        throw StoreError("cannot create " + path.string() + ": " + std::strerror(errno));
    }
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
        throw StoreError(path.string() + " is not a regular file");
    }
    if ((info.st_mode & 077) != 0) {
        throw StoreError(path.string() + " holds keys but others may read it: chmod 600 it");
    }
}

}  // namespace

Seconds nowSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch())
        .count();
}

std::string nodeHex(const seuicc::NodeId& id) {
    return base::toLowerHex(id);
}

const char* keyName(KeyKind kind) {
    switch (kind) {
        case KeyKind::Kbs:
            return "kbs";
        case KeyKind::Kmr:
            return "kmr";
        case KeyKind::Kmc:
            return "kmc";
    }
    return "?";
}

const char* endpointName(Endpoint endpoint) {
    switch (endpoint) {
        case Endpoint::Msbf:
            return "msbf";
        case Endpoint::Connection:
            return "connection";
        case Endpoint::Mid:
            return "mid";
    }
    return "?";
}

std::optional<Endpoint> endpointFrom(std::string_view name) {
    for (Endpoint e : {Endpoint::Msbf, Endpoint::Connection, Endpoint::Mid}) {
        if (name == endpointName(e)) {
            return e;
        }
    }
    return std::nullopt;
}

Store::Store(const std::filesystem::path& path) {
    createPrivateFile(path);
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw StoreError("cannot open " + path.string() + ": " + message);
    }
    // The commands (fault, revoke, show) write while the server runs: wait for each other.
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA foreign_keys=ON");
    exec("PRAGMA secure_delete=ON");  // superseded keys are overwritten, not left in free pages
    exec(kSchema);
}

Store::~Store() {
    sqlite3_close(db_);
}

void Store::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw StoreError("SQLite: " + message);
    }
}

void Store::importNode(const ImportRecord& r) {
    std::lock_guard lock(mutex_);
    // A re-import means the card was personalised again: its Kmc and revocations are history.
    Statement s(db_, R"sql(
INSERT INTO nodes(node_id, iccid, scl_id, nscl, mas_fqdn, kbs, kmr, kmr_index, kmr_expiry, kiv,
                  updated)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT(node_id) DO UPDATE SET
  iccid = excluded.iccid, scl_id = excluded.scl_id, nscl = excluded.nscl,
  mas_fqdn = excluded.mas_fqdn, kbs = excluded.kbs, kbs_revoked = 0, kmr = excluded.kmr,
  kmr_index = excluded.kmr_index, kmr_expiry = excluded.kmr_expiry, kmr_revoked = 0,
  kmc = NULL, kmc_expiry = NULL, kmc_revoked = 0, kiv = excluded.kiv, updated = excluded.updated
)sql");
    s.bind(1, r.node.nodeId).bind(2, r.node.iccid).bind(3, r.node.sclId);
    s.bind(4, nlohmann::json(r.node.nscl).dump()).bind(5, r.node.masFqdn);
    r.kbs ? s.bindBlob(6, r.kbs->view()) : s.bindNull(6);
    r.kmr ? s.bindBlob(7, r.kmr->view()) : s.bindNull(7);
    s.bind(8, static_cast<std::int64_t>(r.node.kmrIndex));
    r.kmr&& r.node.kmrExpiry ? s.bind(9, *r.node.kmrExpiry) : s.bindNull(9);
    r.kiv ? s.bindBlob(10, r.kiv->view()) : s.bindNull(10);
    s.bind(11, nowSeconds());
    s.run();
}

std::optional<Store::Psk> Store::pskFor(KeyKind kind, const std::string& identity) {
    const auto parsed = provisioning::parsePskIdentity(identity);
    if (!parsed || parsed->index.has_value() != (kind != KeyKind::Kbs)) {
        return std::nullopt;
    }
    const std::optional<std::uint32_t> index = parsed->index;
    const std::string nodeId = nodeHex(parsed->nodeId);
    const char* sql = nullptr;
    switch (kind) {
        case KeyKind::Kbs:
            sql =
                "SELECT kbs FROM nodes WHERE node_id = ?1 AND kbs IS NOT NULL AND kbs_revoked = 0";
            break;
        case KeyKind::Kmr:
            sql =
                "SELECT kmr FROM nodes WHERE node_id = ?1 AND kmr IS NOT NULL AND kmr_revoked = 0 "
                "AND kmr_index = ?2 AND (kmr_expiry IS NULL OR kmr_expiry > ?3)";
            break;
        case KeyKind::Kmc:
            sql =
                "SELECT kmc FROM nodes WHERE node_id = ?1 AND kmc IS NOT NULL AND kmc_revoked = 0 "
                "AND kmc_index = ?2 AND kmc_expiry > ?3";
            break;
    }
    std::lock_guard lock(mutex_);
    Statement s(db_, sql);
    s.bind(1, nodeId);
    if (index) {
        s.bind(2, static_cast<std::int64_t>(*index)).bind(3, nowSeconds());
    }
    if (!s.step()) {
        return std::nullopt;
    }
    auto key = s.secret(0);
    return Psk{nodeId, std::move(*key)};
}

bool Store::stillValid(KeyKind kind, const std::string& identity) {
    return pskFor(kind, identity).has_value();
}

std::optional<NodeRecord> Store::node(const std::string& nodeId) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                (std::string("SELECT ") + kNodeColumns + " FROM nodes WHERE node_id = ?1").c_str());
    s.bind(1, nodeId);
    if (!s.step()) {
        return std::nullopt;
    }
    return readNode(s);
}

NodeRecord Store::issueKmr(const std::string& nodeId, ByteView kmr, Seconds lifetime) {
    {
        std::lock_guard lock(mutex_);
        Statement s(db_,
                    "UPDATE nodes SET kmr = ?2, kmr_index = kmr_index + 1, kmr_expiry = ?3, "
                    "kmr_revoked = 0, updated = ?4 WHERE node_id = ?1");
        const Seconds now = nowSeconds();
        s.bind(1, nodeId).bindBlob(2, kmr).bind(3, now + lifetime).bind(4, now).run();
    }
    return *node(nodeId);
}

NodeRecord Store::issueKmc(const std::string& nodeId, ByteView kmc, Seconds lifetime) {
    const std::uint64_t connectionId = base::readBigEndian(securechannel::randomBytes(8));
    {
        std::lock_guard lock(mutex_);
        Statement s(db_,
                    "UPDATE nodes SET kmc = ?2, kmc_index = kmc_index + 1, kmc_expiry = ?3, "
                    "kmc_revoked = 0, connection_id = ?4, updated = ?5 WHERE node_id = ?1");
        const Seconds now = nowSeconds();
        s.bind(1, nodeId).bindBlob(2, kmc).bind(3, now + lifetime);
        s.bind(4, std::to_string(connectionId)).bind(5, now).run();
    }
    return *node(nodeId);
}

void Store::revoke(const std::string& nodeId, KeyKind kind) {
    std::lock_guard lock(mutex_);
    const std::string sql =
        std::string("UPDATE nodes SET ") + keyName(kind) + "_revoked = 1 WHERE node_id = ?1";
    Statement s(db_, sql.c_str());
    s.bind(1, nodeId).run();
    if (sqlite3_changes(db_) == 0) {
        throw StoreError("no node " + nodeId);
    }
}

void Store::expire(const std::string& nodeId, KeyKind kind) {
    if (kind == KeyKind::Kbs) {
        throw StoreError("Kbs has no lifetime: revoke it instead");
    }
    std::lock_guard lock(mutex_);
    const std::string sql =
        std::string("UPDATE nodes SET ") + keyName(kind) + "_expiry = ?2 WHERE node_id = ?1";
    Statement s(db_, sql.c_str());
    s.bind(1, nodeId).bind(2, nowSeconds()).run();
    if (sqlite3_changes(db_) == 0) {
        throw StoreError("no node " + nodeId);
    }
}

Registration Store::registerScl(const std::string& nodeId, const std::string& sclId,
                                const std::string& link, Seconds lifetime) {
    std::lock_guard lock(mutex_);
    const Seconds now = nowSeconds();
    Statement s(db_, R"sql(
INSERT INTO registrations(node_id, scl_id, link, expires, created) VALUES(?1, ?2, ?3, ?4, ?5)
ON CONFLICT(node_id) DO UPDATE SET scl_id = excluded.scl_id, link = excluded.link,
  expires = excluded.expires
RETURNING id, expires)sql");
    s.bind(1, nodeId).bind(2, sclId).bind(3, link).bind(4, now + lifetime).bind(5, now);
    if (!s.step()) {
        throw StoreError("registration not stored");
    }
    Registration r{s.integer(0), nodeId, sclId, link, s.integer(1)};
    s.run();
    return r;
}

std::optional<Registration> Store::registration(std::int64_t id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT id, node_id, scl_id, link, expires FROM registrations WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) {
        return std::nullopt;
    }
    return Registration{s.integer(0), s.text(1), s.text(2), s.text(3), s.integer(4)};
}

Registration Store::refreshScl(std::int64_t id, const std::string& link, Seconds lifetime) {
    {
        std::lock_guard lock(mutex_);
        Statement s(db_,
                    "UPDATE registrations SET expires = ?2, link = CASE WHEN ?3 = '' THEN link "
                    "ELSE ?3 END WHERE id = ?1");
        s.bind(1, id).bind(2, nowSeconds() + lifetime).bind(3, link).run();
    }
    return *registration(id);
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

StoredInstance Store::addInstance(std::int64_t container, const std::string& contentType,
                                  const std::string& content) {
    std::lock_guard lock(mutex_);
    const Seconds now = nowSeconds();
    Statement s(db_,
                "INSERT INTO content_instances(container, content_type, content, created) "
                "VALUES(?1, ?2, ?3, ?4)");
    s.bind(1, container).bind(2, contentType);
    s.bindBlob(3, ByteView(reinterpret_cast<const std::uint8_t*>(content.data()), content.size()));
    s.bind(4, now).run();
    return StoredInstance{sqlite3_last_insert_rowid(db_), contentType, content, now};
}

std::vector<StoredInstance> Store::instances(std::int64_t container) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "SELECT id, content_type, content, created FROM content_instances "
                "WHERE container = ?1 ORDER BY id");
    s.bind(1, container);
    std::vector<StoredInstance> out;
    while (s.step()) {
        out.push_back({s.integer(0), s.text(1), s.blobText(2), s.integer(3)});
    }
    return out;
}

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
                    "SELECT id, node_id, scl_id, link, expires, created FROM registrations "
                    "ORDER BY id");
        while (s.step()) {
            out["registrations"].push_back({{"id", s.integer(0)},
                                            {"path", "/m2m/scls/" + std::to_string(s.integer(0))},
                                            {"node_id", s.text(1)},
                                            {"scl_id", s.text(2)},
                                            {"link", s.text(3)},
                                            {"expires_unix", s.integer(4)},
                                            {"created_unix", s.integer(5)}});
        }
    }
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
                    "SELECT id, container, content_type, content, created FROM content_instances "
                    "ORDER BY id");
        while (s.step()) {
            const std::string content = s.blobText(3);
            nlohmann::ordered_json row = {{"id", s.integer(0)},
                                          {"container", s.integer(1)},
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
        out["counters"][endpointName(e)] = {{"requests", 0}, {"handshakes", 0}};
    }
    {
        Statement s(db_, "SELECT endpoint, name, value FROM counters ORDER BY endpoint, name");
        while (s.step()) {
            out["counters"][s.text(0)][s.text(1)] = s.integer(2);
        }
    }
    return out;
}

}  // namespace netsim
