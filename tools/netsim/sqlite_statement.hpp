// A thin layer over SQLite's C API for the store: one prepared statement with typed binds and
// columns, finalised on scope exit, and keys read straight into locked memory. Errors are
// StoreError.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "store_error.hpp"

namespace netsim {

// Runs `sql` (one or more statements without results).
void execute(sqlite3* db, const char* sql);

// One prepared statement; finalised on scope exit, so an exception never leaks one.
class Statement {
public:
    Statement(sqlite3* db, const char* sql);
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
    Statement& bindBlob(int i, base::ByteView v) {
        check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
        return *this;
    }
    Statement& bindNull(int i) {
        check(sqlite3_bind_null(stmt_, i));
        return *this;
    }
    // True while there is a row.
    bool step();
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
    [[nodiscard]] std::optional<base::SecretBuffer> secret(int c) const;

private:
    void check(int rc);
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace netsim
