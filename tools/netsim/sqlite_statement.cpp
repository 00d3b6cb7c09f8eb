// Prepared statements and plain execution over SQLite (see sqlite_statement.hpp).
#include "sqlite_statement.hpp"

namespace netsim {

void execute(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw StoreError("SQLite: " + message);
    }
}

Statement::Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
        throw StoreError(std::string("SQLite: ") + sqlite3_errmsg(db));
    }
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    throw StoreError(std::string("SQLite: ") + sqlite3_errmsg(db_));
}

std::optional<base::SecretBuffer> Statement::secret(int c) const {
    if (isNull(c)) {
        return std::nullopt;
    }
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, c));
    return base::SecretBuffer::copyOf(
        base::ByteView(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))));
}

void Statement::check(int rc) {
    if (rc != SQLITE_OK) {
        throw StoreError(std::string("SQLite: ") + sqlite3_errmsg(db_));
    }
}

}  // namespace netsim
