// The lab network's state in one SQLite file: the nodes with their keys, the mId resources, the
// faults to inject and the counters. The server and the short-lived commands (fault, revoke,
// show) open the same file; WAL and a busy timeout let them run side by side. Keys live only
// here and in SecretBuffers on their way into a handshake.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/secret.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "store_error.hpp"

namespace netsim {

using Clock = std::chrono::system_clock;
using Seconds = std::int64_t;  // unix time

[[nodiscard]] Seconds nowSeconds();

// The longest lifetime the network gives a key or a registration: 10 years. Beyond it an expiry is
// no date anyone means, and Unix seconds stay far from overflow.
inline constexpr Seconds kMaxLifetime = Seconds{10} * 366 * 24 * 3600;
// `now` + `lifetime`, for a lifetime of 1..kMaxLifetime seconds; StoreError for any other (the
// command line bounds the options, so that is a caller's bug) and never a signed overflow.
[[nodiscard]] Seconds expiryAfter(Seconds now, Seconds lifetime);
// Lowercase hex: the form of node ids in identities, in the store and on the command line.
[[nodiscard]] std::string nodeHex(const seuicc::NodeId& id);

// Which table a TLS listener looks up a PSK identity in.
enum class KeyKind { Kbs, Kmr, Kmc };
[[nodiscard]] const char* keyName(KeyKind kind);

struct NodeRecord {
    std::string nodeId;  // lowercase hex
    std::string iccid;
    std::string sclId;
    std::vector<std::string> nscl;
    std::string masFqdn;
    std::uint32_t kmrIndex = 0;
    std::uint32_t kmcIndex = 0;
    std::optional<Seconds> kmrExpiry;
    std::optional<Seconds> kmcExpiry;
    std::uint64_t connectionId = 0;
};

// A USIM subscription the lab's AuC knows (from a key export with imsi, usim_k, usim_opc).
struct UsimSubscription {
    std::string imsi;
    base::SecretBuffer k;
    base::SecretBuffer opc;
};

// A GBA bootstrap the BSF made: Ks = CK || IK under its B-TID, until `expiry`.
struct BootstrapRecord {
    std::string btid;
    std::string impi;
    std::string imsi;
    base::Bytes rand;
    base::SecretBuffer ks;
    Seconds expiry = 0;
};

// What a node imports from `m2m provision --export-keys`, plus what the export file lacks.
struct ImportRecord {
    NodeRecord node;
    std::optional<base::SecretBuffer> kmr;  // absent with --without-kmr
    std::optional<base::SecretBuffer> kbs;
    std::optional<base::SecretBuffer> kiv;
    std::optional<UsimSubscription> usim;
    std::optional<std::string> attestationKeyPem;  // the IV-SED's, PEM SubjectPublicKeyInfo
};

// Integrity validation (store_integrity.cpp; integrity/FORMATS.md §4-§5).
struct IntegrityPolicy {
    base::Bytes manifest;              // the reference manifest (COSE_Sign1) appraised against
    std::string onFail = "deny";       // the verdict when the report fails: "partial" or "deny"
    std::vector<std::string> allowed;  // under partial: paths relative to the node's SCL
};

// A remediation object the node may fetch at {nscl}/integrity/objects/{id}.
struct IntegrityObject {
    std::int64_t id = 0;
    std::string name;
    base::Bytes sha256;
};

struct PendingRemediation {
    base::Bytes manifest;
    std::vector<IntegrityObject> objects;
};

struct IssuedChallenge {
    std::string nodeId;
    Seconds expires = 0;
    bool usedBefore = false;
};

// One appraisal, for the history and `show`: a verdict, or "refused" with the reason.
struct Appraisal {
    std::string verdict;  // "full", "partial", "deny" or "refused"
    std::optional<std::uint32_t> counter;
    std::vector<std::string> failed;  // the manifest objects that did not pass
    std::string reason;
};

// What the last verdict leaves the node: under "partial" only `allowed` (and the integrity
// exchange) is reachable; "" when no report was appraised yet.
struct IntegrityAccess {
    std::string verdict;
    std::vector<std::string> allowed;
};

struct Registration {
    std::int64_t id = 0;
    std::string nodeId;  // the node, or the device behind `via`
    std::string sclId;
    std::string link;
    Seconds expires = 0;
    std::string via;  // the gateway a device's registration was made through; "" if direct
};

// A device behind a gateway as the gateway's last appraised report names it in `submods` (agent/
// GATEWAY.md §3): what the NSCL lets the gateway do with the device's registration.
struct GatewayDevice {
    std::string nodeId;                    // lowercase hex: the submodule's name
    std::string verdict;                   // "full", "partial" or "deny"
    std::vector<std::string> allowed;      // under partial: paths relative to the device's SCL
    bool attested = false;                 // false: a device without an attestation key
    std::optional<std::uint32_t> counter;  // its last report's (attested devices)
};

struct StoredInstance {
    std::int64_t id = 0;
    std::string name;  // the issuer's id for it, if it proposed one; "" if not
    std::string contentType;
    std::string content;
    Seconds created = 0;
};

enum class Endpoint { Msbf, Connection, Mid };
[[nodiscard]] const char* endpointName(Endpoint endpoint);
[[nodiscard]] std::optional<Endpoint> endpointFrom(std::string_view name);

class Store {
public:
    // Opens (creating 0600 if absent) and migrates the schema. Refuses a file others can read.
    explicit Store(const std::filesystem::path& path);
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;
    ~Store();

    void importNode(const ImportRecord& record);

    // The PSK of `identity` on a listener of `kind`, if the identity names a current key that
    // is neither revoked nor expired; with the node it belongs to.
    struct Psk {
        std::string nodeId;
        base::SecretBuffer key;
    };
    [[nodiscard]] std::optional<Psk> pskFor(KeyKind kind, const std::string& identity);
    // Whether the key a connection was keyed with is still the current, valid one (it may have
    // been revoked, expired or superseded while the connection was kept alive).
    [[nodiscard]] bool stillValid(KeyKind kind, const std::string& identity);

    [[nodiscard]] std::optional<NodeRecord> node(const std::string& nodeId);
    // Stores a new Kmr (superseding the old one) with index previous + 1; returns the node after.
    NodeRecord issueKmr(const std::string& nodeId, base::ByteView kmr, Seconds lifetime);
    // Stores a new Kmc with index previous + 1 and a fresh connection id.
    NodeRecord issueKmc(const std::string& nodeId, base::ByteView kmc, Seconds lifetime);

    void revoke(const std::string& nodeId, KeyKind kind);
    void expire(const std::string& nodeId, KeyKind kind);

    // GBA (store_gba.cpp). The subscriptions the AuC must know, and whether osmo-hlr has their
    // current keys (an import clears the mark).
    struct Subscriber {
        UsimSubscription usim;
        std::string nodeId;
        bool aucSynced = false;
    };
    [[nodiscard]] std::vector<Subscriber> subscribers();
    [[nodiscard]] std::optional<Subscriber> subscriber(const std::string& imsi);
    void markAucSynced(const std::string& imsi);
    // The built-in AuC's SEQ (TS 33.102 Annex C): the next one (highest issued + 1), stored
    // before it is returned; and after a resynchronisation, SEQ_MS (the next is SEQ_MS + 1).
    std::uint64_t nextSeq(const std::string& imsi);
    void resyncSeq(const std::string& imsi, std::uint64_t seqMs);
    void storeBootstrap(const BootstrapRecord& record);
    // The bootstrap of `btid` if it has not expired.
    [[nodiscard]] std::optional<BootstrapRecord> bootstrap(const std::string& btid);

    // mId resources. registerScl keeps one registration per node (a second POST refreshes it).
    Registration registerScl(const std::string& nodeId, const std::string& sclId,
                             const std::string& link, Seconds lifetime);
    [[nodiscard]] std::optional<Registration> registration(std::int64_t id);
    Registration refreshScl(std::int64_t id, const std::string& link, Seconds lifetime);
    // The node's registration ends now (an integrity verdict deny); it must register again.
    void endRegistration(const std::string& nodeId);
    // The row id of the resource and whether it was created now (false: it existed).
    std::pair<std::int64_t, bool> createApplication(std::int64_t registration,
                                                    const std::string& appId);
    [[nodiscard]] std::optional<std::int64_t> application(std::int64_t registration,
                                                          const std::string& appId);
    std::pair<std::int64_t, bool> createContainer(std::int64_t application,
                                                  const std::string& containerId);
    [[nodiscard]] std::optional<std::int64_t> container(std::int64_t application,
                                                        const std::string& containerId);
    // nullopt: the container already holds a contentInstance named `name` (a request sent
    // again); nothing is stored. An empty name is never a duplicate.
    std::optional<StoredInstance> addInstance(std::int64_t container, const std::string& name,
                                              const std::string& contentType,
                                              const std::string& content);
    [[nodiscard]] std::vector<StoredInstance> instances(std::int64_t container);

    // Integrity validation (store_integrity.cpp).
    [[nodiscard]] std::optional<std::string> attestationKey(const std::string& nodeId);
    void setPolicy(const std::string& nodeId, const IntegrityPolicy& policy);
    [[nodiscard]] std::optional<IntegrityPolicy> policy(const std::string& nodeId);
    // Stores the objects and makes the node's next decision carry them with `manifest`.
    PendingRemediation addRemediation(
        const std::string& nodeId, base::ByteView manifest,
        const std::vector<std::pair<std::string, base::Bytes>>& objects);
    // The pending remediation, taken: the next decision carries it once, and its manifest
    // becomes the policy's reference manifest.
    [[nodiscard]] std::optional<PendingRemediation> takeRemediation(const std::string& nodeId);
    [[nodiscard]] std::optional<base::Bytes> integrityObject(const std::string& nodeId,
                                                             std::int64_t id);
    void storeChallenge(const std::string& nodeId, base::ByteView nonce, Seconds expires);
    // The challenge of `nonce`, marked used (one use, whatever the report's outcome).
    [[nodiscard]] std::optional<IssuedChallenge> takeChallenge(base::ByteView nonce);
    [[nodiscard]] std::optional<std::uint32_t> lastCounter(const std::string& nodeId);
    // Records an appraisal in the history; a verdict (not "refused") also becomes the node's
    // access and its counter the last accepted one.
    void recordAppraisal(const std::string& nodeId, const Appraisal& appraisal,
                         const std::vector<std::string>& allowed);
    [[nodiscard]] IntegrityAccess integrityAccess(const std::string& nodeId);

    // Gateways (store_gateway.cpp). The devices of the gateway's newly appraised report replace
    // those of the one before; the registrations made through the gateway for devices it no
    // longer lists with full or partial (all of them when `gatewayDenied`) end now. Returns the
    // devices whose registration ended.
    std::vector<std::string> replaceGatewayDevices(const std::string& gateway,
                                                   const std::vector<GatewayDevice>& devices,
                                                   bool gatewayDenied);
    [[nodiscard]] std::vector<GatewayDevice> gatewayDevices(const std::string& gateway);
    [[nodiscard]] std::optional<GatewayDevice> gatewayDevice(const std::string& gateway,
                                                             const std::string& device);
    // The registration of a node or device, whatever its state.
    [[nodiscard]] std::optional<Registration> registrationOf(const std::string& nodeId);
    // A device's SCL registered through `gateway` (one per device: again, it is refreshed and
    // moves to `gateway`).
    Registration registerDeviceScl(const std::string& gateway, const std::string& device,
                                   const std::string& sclId, const std::string& link,
                                   Seconds lifetime);

    // Faults: the next `count` requests on `endpoint` get `kind`.
    void setFault(Endpoint endpoint, const std::string& kind, std::uint32_t count);
    // Takes one pending fault of `endpoint`, if any.
    [[nodiscard]] std::optional<std::string> takeFault(Endpoint endpoint);

    void count(Endpoint endpoint, const char* counter, std::int64_t amount = 1);
    // What the running server is (the AuC in use), for `show`.
    void setSetting(const std::string& name, const std::string& value);

    // Everything `show` prints: never a key, only key check values.
    [[nodiscard]] nlohmann::ordered_json snapshot();

private:
    [[nodiscard]] nlohmann::ordered_json gateways();  // part of snapshot(), under its lock

    std::mutex mutex_;
    sqlite3* db_ = nullptr;
};

}  // namespace netsim
