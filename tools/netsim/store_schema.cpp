// The store's tables: nodes and their keys, the mId resources, integrity validation, gateways'
// devices, faults and counters.
#include "store_schema.hpp"

#include "sqlite_statement.hpp"

namespace netsim {

namespace {

// A registration's node is a node of this store, or a device behind a gateway (`via`, agent/
// GATEWAY.md §3) whose keys only that gateway holds: so node_id names no row of nodes.
constexpr const char* kRegistrationsColumns = R"sql((
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id TEXT NOT NULL UNIQUE,
  via TEXT REFERENCES nodes(node_id),
  scl_id TEXT NOT NULL, link TEXT NOT NULL,
  expires INTEGER NOT NULL, created INTEGER NOT NULL))sql";

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
  updated INTEGER NOT NULL,
  iv_attestation_key TEXT);
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
  content_type TEXT NOT NULL, content BLOB NOT NULL, created INTEGER NOT NULL,
  name TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS subscribers(
  imsi TEXT PRIMARY KEY,
  node_id TEXT NOT NULL REFERENCES nodes(node_id),
  k BLOB NOT NULL, opc BLOB NOT NULL,
  auc_synced INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS bootstraps(
  btid TEXT PRIMARY KEY,
  impi TEXT NOT NULL, imsi TEXT NOT NULL,
  rand BLOB NOT NULL, ks BLOB NOT NULL,
  expiry INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS settings(
  name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS faults(
  endpoint TEXT PRIMARY KEY, kind TEXT NOT NULL, remaining INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS integrity_policies(
  node_id TEXT PRIMARY KEY REFERENCES nodes(node_id),
  manifest BLOB NOT NULL, on_fail TEXT NOT NULL, allowed TEXT NOT NULL,
  remediation BLOB, remediation_objects TEXT, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS integrity_state(
  node_id TEXT PRIMARY KEY REFERENCES nodes(node_id),
  last_counter INTEGER, verdict TEXT NOT NULL, allowed TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS integrity_challenges(
  nonce BLOB PRIMARY KEY, node_id TEXT NOT NULL, expires INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS integrity_objects(
  id INTEGER PRIMARY KEY AUTOINCREMENT, node_id TEXT NOT NULL REFERENCES nodes(node_id),
  name TEXT NOT NULL, content BLOB NOT NULL, sha256 BLOB NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS integrity_verdicts(
  id INTEGER PRIMARY KEY AUTOINCREMENT, node_id TEXT NOT NULL, verdict TEXT NOT NULL,
  counter INTEGER, failed TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS gateway_devices(
  gateway TEXT NOT NULL REFERENCES nodes(node_id), device TEXT NOT NULL,
  verdict TEXT NOT NULL, allowed TEXT NOT NULL, attested INTEGER NOT NULL, counter INTEGER,
  at INTEGER NOT NULL, PRIMARY KEY(gateway, device));
CREATE TABLE IF NOT EXISTS counters(
  endpoint TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY(endpoint, name));
)sql";

bool hasColumn(sqlite3* db, const std::string& table, const std::string& column) {
    Statement columns(db, ("PRAGMA table_info(" + table + ")").c_str());
    bool present = false;
    while (columns.step()) {
        present = present || columns.text(1) == column;
    }
    return present;
}

// A database made before `column` existed: add it (existing rows get its default).
void addColumnIfMissing(sqlite3* db, const std::string& table, const std::string& column,
                        const std::string& definition) {
    if (!hasColumn(db, table, column)) {
        execute(db, ("ALTER TABLE " + table + " ADD COLUMN " + column + " " + definition).c_str());
    }
}

// A database made before gateways: its registrations name only nodes of the store (a foreign
// key SQLite cannot drop), so the table is made again as it is now and its rows copied (ids kept:
// they are the paths /m2m/scls/{n} the nodes hold). Foreign keys are off meanwhile, as SQLite
// asks of a table rebuilt under its children (applications).
void rebuildRegistrations(sqlite3* db) {
    execute(db, "PRAGMA foreign_keys=OFF");
    const std::string rebuild =
        std::string("BEGIN IMMEDIATE; CREATE TABLE registrations_new") + kRegistrationsColumns +
        "; INSERT INTO registrations_new(id, node_id, scl_id, link, expires, created)"
        " SELECT id, node_id, scl_id, link, expires, created FROM registrations;"
        " DROP TABLE registrations;"
        " ALTER TABLE registrations_new RENAME TO registrations; COMMIT;";
    try {
        execute(db, rebuild.c_str());
    } catch (...) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        execute(db, "PRAGMA foreign_keys=ON");
        throw;
    }
    execute(db, "PRAGMA foreign_keys=ON");
}

}  // namespace

void applySchema(sqlite3* db) {
    execute(
        db,
        (std::string("CREATE TABLE IF NOT EXISTS registrations") + kRegistrationsColumns).c_str());
    execute(db, kSchema);
    if (!hasColumn(db, "registrations", "via")) {
        rebuildRegistrations(db);
    }
    addColumnIfMissing(db, "content_instances", "name", "TEXT NOT NULL DEFAULT ''");
    addColumnIfMissing(db, "nodes", "iv_attestation_key", "TEXT");
}

}  // namespace netsim
