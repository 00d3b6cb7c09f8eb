// m2m-netsim: the lab network on loopback (MSBF, NSCL connection and mId endpoints over
// TLS-PSK), its store, and the commands tests and the demo use to steer and inspect it.
#include <sys/stat.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "base/log.hpp"
#include "base/process.hpp"
#include "base/secret.hpp"
#include "commands.hpp"

namespace {

double seconds(std::chrono::milliseconds duration) {
    return std::chrono::duration<double>(duration).count();
}

std::chrono::milliseconds milliseconds(double seconds) {
    return std::chrono::round<std::chrono::milliseconds>(std::chrono::duration<double>(seconds));
}

// Seconds with a fraction, in [min, max]. CLI11's Range lets NaN through (it compares false with
// both bounds) and a NaN or infinite duration has no millisecond count: refused here.
CLI::Validator finiteSeconds(double min, double max) {
    const std::string range = fmt::format("[{} - {}]", min, max);
    return CLI::Validator(
        [min, max, range](std::string& input) -> std::string {
            char* end = nullptr;
            errno = 0;
            const double value = std::strtod(input.c_str(), &end);
            if (input.empty() || end != input.c_str() + input.size() || errno == ERANGE ||
                !std::isfinite(value) || value < min || value > max) {
                return "Value " + input + " is not a number of seconds in " + range;
            }
            return {};
        },
        "SECONDS in " + range);
}

}  // namespace

int main(int argc, char** argv) {
    // The store and the keys in memory are the network's secrets: no core dumps, no ptrace,
    // and every file this process creates is private.
    ::umask(077);
    try {
        base::hardenProcess();
    } catch (const std::exception& e) {
        std::cerr << "m2m-netsim: " << e.what() << "\n";
        return 1;
    }

    CLI::App app{"m2m-netsim: the lab network (MSBF, NSCL) on loopback, TLS-PSK"};
    app.require_subcommand(1);
    app.fallthrough();  // --log is accepted after the subcommand too
    app.set_version_flag("--version", "m2m-netsim 0.1.0");
    int exitCode = 0;
    std::string logSpec;
    app.add_option("--log", logSpec, "log levels, e.g. netsim=debug (also M2M_LOG)");

    netsim::ImportOptions import;
    auto* importCmd =
        app.add_subcommand("import", "import a node from m2m provision --export-keys");
    importCmd->add_option("--db", import.db, "the store (SQLite, created 0600)")->required();
    importCmd->add_option("keys", import.keys, "the key export (JSON, a 0600 file)")->required();
    importCmd->add_flag("--without-kmr", import.withoutKmr,
                        "know the node by Kbs only: it must run the TLS bootstrap");
    importCmd->add_option("--scl-id", import.sclId, "the node's SCL-ID")->capture_default_str();
    importCmd->add_option("--nscl", import.nscl, "an NSCL URI (repeatable)")->capture_default_str();
    importCmd->add_option("--mas-fqdn", import.masFqdn, "the MAS FQDN")->capture_default_str();
    importCmd->callback([&] { exitCode = netsim::runImport(import); });

    netsim::ServeOptions serve;
    auto* serveCmd = app.add_subcommand("serve", "run the MSBF and the NSCL endpoints");
    serveCmd->add_option("--db", serve.db, "the store")->required();
    serveCmd->add_option("--msbf", serve.msbf, "MSBF (Kbs) ADDR:PORT")->capture_default_str();
    serveCmd->add_option("--connection", serve.connection, "NSCL connection (Kmr) ADDR:PORT")
        ->capture_default_str();
    serveCmd->add_option("--mid", serve.mid, "NSCL mId (Kmc) ADDR:PORT")->capture_default_str();
    // Lifetimes in whole seconds, 1 s to 10 years (netsim::kMaxLifetime): an expiry stays a date.
    const CLI::Range lifetimeRange(netsim::Seconds{1}, netsim::kMaxLifetime);
    serveCmd->add_option("--kmr-lifetime", serve.lifetimes.kmr, "seconds")
        ->capture_default_str()
        ->check(lifetimeRange);
    serveCmd->add_option("--kmc-lifetime", serve.lifetimes.kmc, "seconds")
        ->capture_default_str()
        ->check(lifetimeRange);
    serveCmd->add_option("--registration-lifetime", serve.lifetimes.registration, "seconds")
        ->capture_default_str()
        ->check(lifetimeRange);
    // Limits of each endpoint's server; the timeouts in seconds, fractions allowed.
    netsim::PskServerLimits& limits = serve.limits;
    double handshakeTimeout = seconds(limits.handshakeTimeout);
    double requestTimeout = seconds(limits.requestTimeout);
    // httplib keeps the idle timeout in whole seconds.
    long idleTimeout = std::chrono::duration_cast<std::chrono::seconds>(limits.idleTimeout).count();
    serveCmd->add_option("--workers", limits.workers, "connections served at once, per endpoint")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    serveCmd
        ->add_option("--backlog", limits.backlog,
                     "connections waiting for a worker, per endpoint; more are refused")
        ->capture_default_str()
        ->check(CLI::Range(0, 4096));
    serveCmd
        ->add_option("--handshake-timeout", handshakeTimeout, "seconds a TLS handshake may take")
        ->capture_default_str()
        ->check(finiteSeconds(0.05, 3600.0));
    serveCmd
        ->add_option("--request-timeout", requestTimeout,
                     "seconds a request may take from its first byte until read, and its answer")
        ->capture_default_str()
        ->check(finiteSeconds(0.05, 3600.0));
    serveCmd->add_option("--idle-timeout", idleTimeout, "seconds a kept-alive connection may idle")
        ->capture_default_str()
        ->check(CLI::Range(1, 86400));
    serveCmd->add_option("--max-head-bytes", limits.maxHeadBytes, "request line and headers")
        ->capture_default_str()
        ->check(CLI::Range(1024, 1024 * 1024));
    serveCmd->add_option("--max-body-bytes", limits.maxBodyBytes, "request body")
        ->capture_default_str()
        ->check(CLI::Range(0, 16 * 1024 * 1024));
    // GBA: the BSF, its AuC, the NAFs' names.
    serveCmd->add_option(
        "--bsf", serve.bsf,
        "BSF Ub over HTTP, ADDR:PORT (runs the BSF; the MSBF and NSCL become NAFs)");
    serveCmd->add_option("--bsf-https", serve.bsfHttps, "BSF Ub over HTTPS, ADDR:PORT")
        ->needs("--bsf");
    serveCmd->add_option("--bsf-cert", serve.bsfCertificate, "BSF certificate chain (PEM)");
    serveCmd->add_option("--bsf-key", serve.bsfKey, "BSF private key (PEM)");
    serveCmd->add_option("--bsf-fqdn", serve.bsfOptions.fqdn, "BSF name in the B-TID")
        ->capture_default_str();
    serveCmd->add_option("--bsf-realm", serve.bsfOptions.realm, "Digest realm (default: the FQDN)");
    serveCmd->add_option("--btid-lifetime", serve.bsfOptions.btidLifetime, "seconds")
        ->capture_default_str()
        ->check(lifetimeRange);
    serveCmd->add_option("--msbf-fqdn", serve.nafs.msbfFqdn, "the MSBF's NAF FQDN (its NAF_Id)")
        ->capture_default_str();
    serveCmd->add_option("--nscl-fqdn", serve.nafs.nsclFqdn, "the NSCL's NAF FQDN (its NAF_Id)")
        ->capture_default_str();
    serveCmd->add_option("--auc", serve.auc, "the BSF's AuC: osmo-hlr (started here) or builtin")
        ->capture_default_str()
        ->check(CLI::IsMember({"osmo-hlr", "builtin"}));
    serveCmd->add_option("--osmo-hlr", serve.osmoHlr.binary, "the osmo-hlr program")
        ->capture_default_str();
    serveCmd->add_option("--hlr-dir", serve.osmoHlr.dir,
                         "osmo-hlr's configuration, database and log (default: DB.osmo-hlr)");
    serveCmd->add_option("--hlr-address", serve.osmoHlr.address,
                         "osmo-hlr's loopback address (GSUP 4222, CTRL 4259; default: a free one "
                         "of 127.42.0.0/16)");
    serveCmd->add_option("--hlr-vty-port", serve.osmoHlr.vtyPort, "osmo-hlr's VTY port")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));
    double aucTimeout = seconds(serve.aucTimeout);
    serveCmd->add_option("--auc-timeout", aucTimeout, "seconds the AuC may take for a vector")
        ->capture_default_str()
        ->check(finiteSeconds(0.05, 60.0));
    serveCmd->add_flag("--require-integrity", serve.requireIntegrity,
                       "every node must send an integrity report (else only nodes with an "
                       "attestation key or a policy)");
    serveCmd
        ->add_option("--integrity-challenge-lifetime", serve.challengeLifetime,
                     "seconds an integrity challenge's nonce may be answered in")
        ->capture_default_str()
        ->check(CLI::Range(netsim::Seconds{1}, netsim::Seconds{3600}));
    serveCmd
        ->add_option("--clock-offset", serve.clockOffset,
                     "seconds added to the local clock in every time the network states "
                     "(GET /m2m/time, expiries, decisions' iat/exp)")
        ->capture_default_str()
        ->check(CLI::Range(-netsim::kMaxLifetime, netsim::kMaxLifetime));
    serveCmd->add_option("--ready-file", serve.readyFile,
                         "written (JSON with the ports) once listening");
    serveCmd->callback([&] {
        limits.handshakeTimeout = milliseconds(handshakeTimeout);
        limits.requestTimeout = milliseconds(requestTimeout);
        limits.idleTimeout = std::chrono::seconds(idleTimeout);
        serve.aucTimeout = milliseconds(aucTimeout);
        if (serve.bsfHttps && (!serve.bsfCertificate || !serve.bsfKey)) {
            throw CLI::ValidationError("--bsf-https", "needs --bsf-cert and --bsf-key");
        }
        exitCode = netsim::runServe(serve);
    });

    std::filesystem::path faultDb;
    std::string faultEndpoint;
    std::string faultKind;
    std::uint32_t faultCount = 1;
    auto* faultCmd = app.add_subcommand("fault", "the next N requests on an endpoint get a fault");
    faultCmd->add_option("--db", faultDb, "the store")->required();
    faultCmd->add_option("--endpoint", faultEndpoint, "msbf, connection or mid")
        ->required()
        ->check(CLI::IsMember({"msbf", "connection", "mid"}));
    faultCmd->add_option("--kind", faultKind, "the fault")
        ->required()
        ->check(CLI::IsMember(netsim::faultKinds()));
    faultCmd->add_option("--count", faultCount, "how many requests (0 clears)")
        ->capture_default_str();
    faultCmd->callback(
        [&] { exitCode = netsim::runFault(faultDb, faultEndpoint, faultKind, faultCount); });

    std::filesystem::path keyDb;
    std::string keyNode;
    std::string keyName;
    auto* revokeCmd = app.add_subcommand("revoke", "refuse a node's key from now on");
    revokeCmd->add_option("--db", keyDb, "the store")->required();
    revokeCmd->add_option("--node", keyNode, "Node-ID (hex)")->required();
    revokeCmd->add_option("--key", keyName, "kmr, kmc or kbs")
        ->required()
        ->check(CLI::IsMember({"kmr", "kmc", "kbs"}));
    revokeCmd->callback([&] { exitCode = netsim::runRevoke(keyDb, keyNode, keyName); });
    auto* expireCmd = app.add_subcommand("expire", "end a node's key lifetime now (network side)");
    expireCmd->add_option("--db", keyDb, "the store")->required();
    expireCmd->add_option("--node", keyNode, "Node-ID (hex)")->required();
    expireCmd->add_option("--key", keyName, "kmr or kmc")
        ->required()
        ->check(CLI::IsMember({"kmr", "kmc"}));
    expireCmd->callback([&] { exitCode = netsim::runExpire(keyDb, keyNode, keyName); });

    std::filesystem::path showDb;
    bool showJson = false;
    auto* showCmd = app.add_subcommand("show", "nodes, key check values, mId resources, counters");
    showCmd->add_option("--db", showDb, "the store")->required();
    showCmd->add_flag("--json", showJson, "as JSON");
    showCmd->callback([&] { exitCode = netsim::runShow(showDb, showJson); });

    netsim::PolicyOptions policy;
    auto* policyCmd = app.add_subcommand("policy", "a node's integrity policy and remediation");
    policyCmd->add_option("--db", policy.db, "the store")->required();
    policyCmd->add_option("node", policy.node, "Node-ID (hex)")->required();
    policyCmd->add_option(
        "--manifest", policy.manifest,
        "reference manifest (COSE_Sign1) the node's reports are appraised against");
    policyCmd->add_option("--on-fail", policy.onFail, "verdict when a report fails")
        ->capture_default_str()
        ->check(CLI::IsMember({"partial", "deny"}));
    policyCmd->add_option("--allow", policy.allow,
                          "under partial: a path below the node's SCL that stays reachable "
                          "(repeatable), e.g. applications/maintenance");
    policyCmd->add_option("--remediate", policy.remediate,
                          "order this new manifest (COSE_Sign1) in the node's next decision");
    policyCmd
        ->add_option("--object", policy.objects,
                     "NAME=FILE the node fetches with the remediation (repeatable)")
        ->needs("--remediate");
    policyCmd->callback([&] { exitCode = netsim::runPolicy(policy); });

    std::filesystem::path policyKeyDb;
    auto* policyKeyCmd =
        app.add_subcommand("policy-key", "print the NSCL policy key's public half (PEM)");
    policyKeyCmd->add_option("--db", policyKeyDb, "the store (the key file is DB.policy-key.pem)")
        ->required();
    policyKeyCmd->callback([&] { exitCode = netsim::runPolicyKey(policyKeyDb); });

    app.parse_complete_callback([&] {
        if (!logSpec.empty()) {
            base::log::configure(logSpec);
        }
    });
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    } catch (const std::exception& e) {
        std::cerr << "m2m-netsim: " << e.what() << "\n";
        return 1;
    }
    return exitCode;
}
