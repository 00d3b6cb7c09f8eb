// Integrity validation in the store: the node's attestation key and policy, the challenges the
// NSCL issued, remediation objects, the last accepted report counter and the verdicts (see
// store.hpp, integrity/FORMATS.md §4-§5).
#include "securechannel/crypto.hpp"
#include "sqlite_statement.hpp"
#include "store.hpp"

namespace netsim {

namespace {

base::Bytes blob(const Statement& s, int column) {
    const std::string text = s.blobText(column);
    return {text.begin(), text.end()};
}

std::vector<std::string> stringList(const std::string& json) {
    return nlohmann::json::parse(json).get<std::vector<std::string>>();
}

}  // namespace

std::optional<std::string> Store::attestationKey(const std::string& nodeId) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT iv_attestation_key FROM nodes WHERE node_id = ?1");
    s.bind(1, nodeId);
    if (!s.step() || s.isNull(0)) {
        return std::nullopt;
    }
    return s.text(0);
}

void Store::setPolicy(const std::string& nodeId, const IntegrityPolicy& policy) {
    std::lock_guard lock(mutex_);
    Statement s(db_, R"sql(
INSERT INTO integrity_policies(node_id, manifest, on_fail, allowed, updated)
VALUES(?1, ?2, ?3, ?4, ?5)
ON CONFLICT(node_id) DO UPDATE SET manifest = excluded.manifest, on_fail = excluded.on_fail,
  allowed = excluded.allowed, updated = excluded.updated)sql");
    const std::string allowed = nlohmann::json(policy.allowed).dump();
    s.bind(1, nodeId).bindBlob(2, policy.manifest).bind(3, policy.onFail).bind(4, allowed);
    s.bind(5, nowSeconds()).run();
}

std::optional<IntegrityPolicy> Store::policy(const std::string& nodeId) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "SELECT manifest, on_fail, allowed FROM integrity_policies WHERE node_id = ?1");
    s.bind(1, nodeId);
    if (!s.step()) {
        return std::nullopt;
    }
    return IntegrityPolicy{blob(s, 0), s.text(1), stringList(s.text(2))};
}

PendingRemediation Store::addRemediation(
    const std::string& nodeId, base::ByteView manifest,
    const std::vector<std::pair<std::string, base::Bytes>>& objects) {
    std::lock_guard lock(mutex_);
    execute(db_, "BEGIN IMMEDIATE");
    try {
        PendingRemediation pending{base::Bytes(manifest.begin(), manifest.end()), {}};
        nlohmann::json ids = nlohmann::json::array();
        for (const auto& [name, content] : objects) {
            IntegrityObject object{0, name, securechannel::sha256(content)};
            Statement s(db_,
                        "INSERT INTO integrity_objects(node_id, name, content, sha256, created) "
                        "VALUES(?1, ?2, ?3, ?4, ?5)");
            s.bind(1, nodeId).bind(2, name).bindBlob(3, content).bindBlob(4, object.sha256);
            s.bind(5, nowSeconds()).run();
            object.id = sqlite3_last_insert_rowid(db_);
            ids.push_back(object.id);
            pending.objects.push_back(std::move(object));
        }
        Statement s(db_,
                    "UPDATE integrity_policies SET remediation = ?2, remediation_objects = ?3 "
                    "WHERE node_id = ?1");
        const std::string idText = ids.dump();
        s.bind(1, nodeId).bindBlob(2, pending.manifest).bind(3, idText).run();
        if (sqlite3_changes(db_) != 1) {
            throw StoreError("node " + nodeId + " has no integrity policy: set one first");
        }
        execute(db_, "COMMIT");
        return pending;
    } catch (...) {
        execute(db_, "ROLLBACK");
        throw;
    }
}

std::optional<PendingRemediation> Store::takeRemediation(const std::string& nodeId) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "SELECT remediation, remediation_objects FROM integrity_policies "
                "WHERE node_id = ?1 AND remediation IS NOT NULL");
    s.bind(1, nodeId);
    if (!s.step()) {
        return std::nullopt;
    }
    PendingRemediation pending{blob(s, 0), {}};
    for (const std::int64_t id :
         nlohmann::json::parse(s.text(1)).get<std::vector<std::int64_t>>()) {
        Statement o(db_, "SELECT name, sha256 FROM integrity_objects WHERE id = ?1");
        o.bind(1, id);
        if (o.step()) {
            pending.objects.push_back({id, o.text(0), blob(o, 1)});
        }
    }
    // Ordered now: the node's next report is against the new manifest, and so are the NSCL's
    // reference values.
    Statement clear(db_,
                    "UPDATE integrity_policies SET manifest = remediation, remediation = NULL, "
                    "remediation_objects = NULL WHERE node_id = ?1");
    clear.bind(1, nodeId).run();
    return pending;
}

std::optional<base::Bytes> Store::integrityObject(const std::string& nodeId, std::int64_t id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT content FROM integrity_objects WHERE id = ?1 AND node_id = ?2");
    s.bind(1, id).bind(2, nodeId);
    return s.step() ? std::optional(blob(s, 0)) : std::nullopt;
}

void Store::storeChallenge(const std::string& nodeId, base::ByteView nonce, Seconds expires) {
    std::lock_guard lock(mutex_);
    // Spent and expired challenges are of no use any more.
    Statement old(db_, "DELETE FROM integrity_challenges WHERE expires < ?1");
    old.bind(1, nowSeconds() - 3600).run();
    Statement s(db_,
                "INSERT INTO integrity_challenges(nonce, node_id, expires) VALUES(?1, ?2, ?3)");
    s.bindBlob(1, nonce).bind(2, nodeId).bind(3, expires).run();
}

std::optional<IssuedChallenge> Store::takeChallenge(base::ByteView nonce) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT node_id, expires, used FROM integrity_challenges WHERE nonce = ?1");
    s.bindBlob(1, nonce);
    if (!s.step()) {
        return std::nullopt;
    }
    IssuedChallenge c{s.text(0), s.integer(1), s.integer(2) != 0};
    Statement use(db_, "UPDATE integrity_challenges SET used = 1 WHERE nonce = ?1");
    use.bindBlob(1, nonce).run();
    return c;
}

std::optional<std::uint32_t> Store::lastCounter(const std::string& nodeId) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT last_counter FROM integrity_state WHERE node_id = ?1");
    s.bind(1, nodeId);
    if (!s.step() || s.isNull(0)) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(s.integer(0));
}

void Store::recordAppraisal(const std::string& nodeId, const Appraisal& appraisal,
                            const std::vector<std::string>& allowed) {
    std::lock_guard lock(mutex_);
    const Seconds now = nowSeconds();
    const std::string failed = nlohmann::json(appraisal.failed).dump();
    Statement h(db_,
                "INSERT INTO integrity_verdicts(node_id, verdict, counter, failed, reason, at) "
                "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    h.bind(1, nodeId).bind(2, appraisal.verdict);
    appraisal.counter ? h.bind(3, std::int64_t{*appraisal.counter}) : h.bindNull(3);
    h.bind(4, failed).bind(5, appraisal.reason).bind(6, now).run();
    if (appraisal.verdict == "refused") {
        return;
    }
    Statement s(db_, R"sql(
INSERT INTO integrity_state(node_id, last_counter, verdict, allowed, at) VALUES(?1, ?2, ?3, ?4, ?5)
ON CONFLICT(node_id) DO UPDATE SET last_counter = excluded.last_counter,
  verdict = excluded.verdict, allowed = excluded.allowed, at = excluded.at)sql");
    const std::string allowedText = nlohmann::json(allowed).dump();
    s.bind(1, nodeId);
    appraisal.counter ? s.bind(2, std::int64_t{*appraisal.counter}) : s.bindNull(2);
    s.bind(3, appraisal.verdict).bind(4, allowedText).bind(5, now).run();
}

IntegrityAccess Store::integrityAccess(const std::string& nodeId) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT verdict, allowed FROM integrity_state WHERE node_id = ?1");
    s.bind(1, nodeId);
    if (!s.step()) {
        return {};
    }
    return IntegrityAccess{s.text(0), stringList(s.text(1))};
}

}  // namespace netsim
