// The subcommands of m2m-netsim. Each returns the process exit code: 0 ok, 1 failure
// (usage errors are CLI11's, exit 2).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bsf.hpp"
#include "endpoints.hpp"
#include "osmo_hlr.hpp"

namespace netsim {

struct ImportOptions {
    std::filesystem::path db;
    std::filesystem::path keys;  // the export of `m2m provision --export-keys`
    bool withoutKmr = false;
    std::string sclId = "m2m:scl/device-0001";
    std::vector<std::string> nscl{"https://nscl.lab.m2m:8443/m2m"};
    std::string masFqdn = "mas.lab.m2m";
};
int runImport(const ImportOptions& options);

struct ServeOptions {
    std::filesystem::path db;
    std::string msbf = "127.0.0.1:8441";
    std::string connection = "127.0.0.1:8442";
    std::string mid = "127.0.0.1:8443";
    Lifetimes lifetimes;
    PskServerLimits limits;  // per endpoint
    std::optional<std::filesystem::path> readyFile;
    // GBA: the BSF runs when `bsf` (plain HTTP) is given; then the MSBF and the NSCL's
    // connection endpoint are NAFs too.
    std::optional<std::string> bsf;
    std::optional<std::string> bsfHttps;  // needs bsfCertificate and bsfKey
    std::optional<std::filesystem::path> bsfCertificate;
    std::optional<std::filesystem::path> bsfKey;
    BsfOptions bsfOptions;
    GbaNafs nafs;
    std::string auc = "osmo-hlr";  // or "builtin"
    OsmoHlrOptions osmoHlr;        // dir empty: <db>.osmo-hlr
    std::chrono::milliseconds aucTimeout{5000};
    // Integrity validation: every node must send reports, not only those with a key or policy.
    bool requireIntegrity = false;
    Seconds challengeLifetime = 120;
    Seconds clockOffset = 0;  // the network's clock: local + this (EndpointContext)
};
int runServe(const ServeOptions& options);

// What `m2m-netsim fault --kind` injects (endpoint_server.cpp applies them), in the help's order.
const std::vector<std::string>& faultKinds();
int runFault(const std::filesystem::path& db, const std::string& endpoint, const std::string& kind,
             std::uint32_t count);
int runRevoke(const std::filesystem::path& db, const std::string& node, const std::string& key);
int runExpire(const std::filesystem::path& db, const std::string& node, const std::string& key);
int runShow(const std::filesystem::path& db, bool json);

// `m2m-netsim policy NODE`: the node's reference manifest and on-fail verdict, and a remediation
// order for its next decision.
struct PolicyOptions {
    std::filesystem::path db;
    std::string node;
    std::optional<std::filesystem::path> manifest;
    std::string onFail = "deny";
    std::vector<std::string> allow;
    std::optional<std::filesystem::path> remediate;
    std::vector<std::string> objects;  // NAME=FILE
};
int runPolicy(const PolicyOptions& options);
// Prints the NSCL policy key's public half (PEM), making the key first if there is none.
int runPolicyKey(const std::filesystem::path& db);

}  // namespace netsim
