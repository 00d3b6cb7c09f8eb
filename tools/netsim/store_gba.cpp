// The store's GBA records: USIM subscriptions (the AuC's), the built-in AuC's SEQ, and the
// BSF's bootstraps (see store.hpp).
#include "sqlite_statement.hpp"
#include "store.hpp"

namespace netsim {

namespace {

Store::Subscriber readSubscriber(const Statement& s) {
    Store::Subscriber r;
    r.usim.imsi = s.text(0);
    r.nodeId = s.text(1);
    r.usim.k = std::move(*s.secret(2));
    r.usim.opc = std::move(*s.secret(3));
    r.aucSynced = s.integer(4) != 0;
    return r;
}

constexpr const char* kSubscriberColumns = "imsi, node_id, k, opc, auc_synced";

}  // namespace

std::vector<Store::Subscriber> Store::subscribers() {
    std::lock_guard lock(mutex_);
    Statement s(
        db_,
        (std::string("SELECT ") + kSubscriberColumns + " FROM subscribers ORDER BY imsi").c_str());
    std::vector<Subscriber> out;
    while (s.step()) {
        out.push_back(readSubscriber(s));
    }
    return out;
}

std::optional<Store::Subscriber> Store::subscriber(const std::string& imsi) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                (std::string("SELECT ") + kSubscriberColumns + " FROM subscribers WHERE imsi = ?1")
                    .c_str());
    s.bind(1, imsi);
    if (!s.step()) {
        return std::nullopt;
    }
    return readSubscriber(s);
}

void Store::markAucSynced(const std::string& imsi) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE subscribers SET auc_synced = 1 WHERE imsi = ?1");
    s.bind(1, imsi).run();
}

std::uint64_t Store::nextSeq(const std::string& imsi) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE subscribers SET seq = seq + 1 WHERE imsi = ?1 RETURNING seq");
    s.bind(1, imsi);
    if (!s.step()) {
        throw StoreError("no subscriber " + imsi);
    }
    const auto seq = static_cast<std::uint64_t>(s.integer(0));
    s.run();
    return seq;
}

void Store::resyncSeq(const std::string& imsi, std::uint64_t seqMs) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE subscribers SET seq = ?2 WHERE imsi = ?1");
    s.bind(1, imsi).bind(2, static_cast<std::int64_t>(seqMs)).run();
}

void Store::storeBootstrap(const BootstrapRecord& r) {
    std::lock_guard lock(mutex_);
    Statement s(db_, R"sql(
INSERT INTO bootstraps(btid, impi, imsi, rand, ks, expiry, created)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT(btid) DO UPDATE SET impi = excluded.impi, imsi = excluded.imsi, rand = excluded.rand,
  ks = excluded.ks, expiry = excluded.expiry, created = excluded.created
)sql");
    s.bind(1, r.btid).bind(2, r.impi).bind(3, r.imsi).bindBlob(4, r.rand).bindBlob(5, r.ks.view());
    s.bind(6, r.expiry).bind(7, nowSeconds()).run();
    // Expired bootstraps are of no use to any NAF: their Ks is dropped (secure_delete wipes it).
    Statement prune(db_, "DELETE FROM bootstraps WHERE expiry <= ?1");
    prune.bind(1, nowSeconds()).run();
}

std::optional<BootstrapRecord> Store::bootstrap(const std::string& btid) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "SELECT btid, impi, imsi, rand, ks, expiry FROM bootstraps WHERE btid = ?1 AND "
                "expiry > ?2");
    s.bind(1, btid).bind(2, nowSeconds());
    if (!s.step()) {
        return std::nullopt;
    }
    BootstrapRecord r;
    r.btid = s.text(0);
    r.impi = s.text(1);
    r.imsi = s.text(2);
    const std::string rand = s.blobText(3);
    r.rand.assign(rand.begin(), rand.end());
    r.ks = std::move(*s.secret(4));
    r.expiry = s.integer(5);
    return r;
}

}  // namespace netsim
