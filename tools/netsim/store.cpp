// The store file and its nodes' keys: import, the PSK of an identity, new Kmr and Kmc,
// revocation and expiry (see store.hpp).
#include "store.hpp"

#include "base/big_endian.hpp"
#include "private_file.hpp"
#include "provisioning/psk_identity.hpp"
#include "securechannel/crypto.hpp"
#include "sqlite_statement.hpp"
#include "store_schema.hpp"

namespace netsim {

namespace {

using base::ByteView;

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

}  // namespace

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
    execute(db_, "PRAGMA journal_mode=WAL");
    execute(db_, "PRAGMA foreign_keys=ON");
    execute(db_,
            "PRAGMA secure_delete=ON");  // superseded keys are overwritten, not left in free pages
    applySchema(db_);
}

Store::~Store() {
    sqlite3_close(db_);
}

void Store::importNode(const ImportRecord& r) {
    std::lock_guard lock(mutex_);
    // A re-import means the card was personalised again: its Kmc and revocations are history.
    Statement s(db_, R"sql(
INSERT INTO nodes(node_id, iccid, scl_id, nscl, mas_fqdn, kbs, kmr, kmr_index, kmr_expiry, kiv,
                  updated, iv_attestation_key)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT(node_id) DO UPDATE SET
  iccid = excluded.iccid, scl_id = excluded.scl_id, nscl = excluded.nscl,
  mas_fqdn = excluded.mas_fqdn, kbs = excluded.kbs, kbs_revoked = 0, kmr = excluded.kmr,
  kmr_index = excluded.kmr_index, kmr_expiry = excluded.kmr_expiry, kmr_revoked = 0,
  kmc = NULL, kmc_expiry = NULL, kmc_revoked = 0, kiv = excluded.kiv, updated = excluded.updated,
  iv_attestation_key = excluded.iv_attestation_key
)sql");
    s.bind(1, r.node.nodeId).bind(2, r.node.iccid).bind(3, r.node.sclId);
    s.bind(4, nlohmann::json(r.node.nscl).dump()).bind(5, r.node.masFqdn);
    r.kbs ? s.bindBlob(6, r.kbs->view()) : s.bindNull(6);
    r.kmr ? s.bindBlob(7, r.kmr->view()) : s.bindNull(7);
    s.bind(8, static_cast<std::int64_t>(r.node.kmrIndex));
    r.kmr&& r.node.kmrExpiry ? s.bind(9, *r.node.kmrExpiry) : s.bindNull(9);
    r.kiv ? s.bindBlob(10, r.kiv->view()) : s.bindNull(10);
    s.bind(11, nowSeconds());
    r.attestationKeyPem ? s.bind(12, *r.attestationKeyPem) : s.bindNull(12);
    s.run();
    // A card personalised again counts its reports from the start.
    Statement counter(db_, "UPDATE integrity_state SET last_counter = NULL WHERE node_id = ?1");
    counter.bind(1, r.node.nodeId).run();
    if (r.usim) {
        // A card personalised again: new keys for the AuC, its SQN from the start.
        Statement u(db_, R"sql(
INSERT INTO subscribers(imsi, node_id, k, opc, auc_synced, seq, updated)
VALUES(?1, ?2, ?3, ?4, 0, 0, ?5)
ON CONFLICT(imsi) DO UPDATE SET node_id = excluded.node_id, k = excluded.k, opc = excluded.opc,
  auc_synced = 0, seq = 0, updated = excluded.updated
)sql");
        u.bind(1, r.usim->imsi).bind(2, r.node.nodeId).bindBlob(3, r.usim->k.view());
        u.bindBlob(4, r.usim->opc.view()).bind(5, nowSeconds()).run();
    }
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
        s.bind(1, nodeId).bindBlob(2, kmr).bind(3, expiryAfter(now, lifetime)).bind(4, now).run();
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
        s.bind(1, nodeId).bindBlob(2, kmc).bind(3, expiryAfter(now, lifetime));
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

}  // namespace netsim
