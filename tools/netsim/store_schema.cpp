// The store's tables: nodes and their keys, the mId resources, faults and counters.
#include "store_schema.hpp"

#include "sqlite_statement.hpp"

namespace netsim {

namespace {

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
CREATE TABLE IF NOT EXISTS counters(
  endpoint TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY(endpoint, name));
)sql";

}  // namespace

void applySchema(sqlite3* db) {
    execute(db, kSchema);
    // A database made before contentInstances had names: add the column (existing rows unnamed).
    bool named = false;
    Statement columns(db, "PRAGMA table_info(content_instances)");
    while (columns.step()) {
        named = named || columns.text(1) == "name";
    }
    if (!named) {
        execute(db, "ALTER TABLE content_instances ADD COLUMN name TEXT NOT NULL DEFAULT ''");
    }
}

}  // namespace netsim
