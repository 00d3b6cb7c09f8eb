// `m2m-netsim serve`: the three TLS-PSK endpoints over one store, until SIGTERM or SIGINT.
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "base/log.hpp"
#include "builtin_auc.hpp"
#include "commands.hpp"
#include "loopback_address.hpp"
#include "osmo_hlr_auc.hpp"
#include "policy_key.hpp"
#include "ready_file.hpp"
#include "ub_server.hpp"

namespace netsim {

int runServe(const ServeOptions& options) {
    try {
        const ListenAddress msbf = parseLoopbackAddress(options.msbf);
        const ListenAddress connection = parseLoopbackAddress(options.connection);
        const ListenAddress mid = parseLoopbackAddress(options.mid);

        // Signals are taken by sigwait below; every thread started from here on inherits the mask.
        sigset_t stopSignals;
        sigemptyset(&stopSignals);
        sigaddset(&stopSignals, SIGTERM);
        sigaddset(&stopSignals, SIGINT);
        pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
        ::signal(SIGPIPE, SIG_IGN);  // a peer gone mid-answer is an error return, not a death

        Store store(options.db);
        const integrity::PrivateKey policyKey = loadOrCreatePolicyKey(policyKeyPath(options.db));
        EndpointContext context{store,
                                options.lifetimes,
                                options.nafs,
                                {&policyKey, options.requireIntegrity, options.challengeLifetime},
                                options.clockOffset};
        context.gba.enabled = options.bsf.has_value();
        const auto bsfAddress =
            options.bsf ? std::optional(parseLoopbackAddress(*options.bsf)) : std::nullopt;
        const auto bsfHttpsAddress = options.bsfHttps
                                         ? std::optional(parseLoopbackAddress(*options.bsfHttps))
                                         : std::nullopt;
        // The AuC first: osmo-hlr is a child of this process and dies with it.
        std::unique_ptr<Auc> auc;
        std::unique_ptr<Bsf> bsf;
        std::unique_ptr<UbHttpServer> ubServer;
        std::unique_ptr<PskServer> ubHttpsServer;
        nlohmann::ordered_json hlrReady = nlohmann::ordered_json::object();
        if (context.gba.enabled) {
            if (options.auc == "builtin") {
                auc = std::make_unique<BuiltinAuc>(store);
            } else {
                OsmoHlrOptions hlr = options.osmoHlr;
                if (hlr.dir.empty()) {
                    hlr.dir = options.db.string() + ".osmo-hlr";
                }
                auto osmo = std::make_unique<OsmoHlrAuc>(store, hlr, options.aucTimeout);
                // What the options do not say: the address picked and the child. Its ports are
                // fixed (GSUP, CTRL) or --hlr-vty-port.
                hlrReady = {{"hlr_address", osmo->hlr().address()}, {"hlr_pid", osmo->hlr().pid()}};
                auc = std::move(osmo);
            }
            store.setSetting("auc", auc->name());
            bsf = std::make_unique<Bsf>(store, *auc, options.bsfOptions);
            ubServer = std::make_unique<UbHttpServer>(*bsf, bsfAddress->host, bsfAddress->port,
                                                      options.limits);
            if (bsfHttpsAddress) {
                ubHttpsServer =
                    startUbHttps(*bsf, bsfHttpsAddress->host, bsfHttpsAddress->port,
                                 *options.bsfCertificate, *options.bsfKey, options.limits);
            }
        } else {
            store.setSetting("auc", "");
        }
        auto start = [&](Endpoint endpoint, KeyKind keys, Route route,
                         const ListenAddress& address) {
            return startEndpoint(endpoint, keys, route, context, address.host, address.port,
                                 options.limits);
        };
        auto msbfServer = start(Endpoint::Msbf, KeyKind::Kbs, &routeMsbf, msbf);
        auto connectionServer =
            start(Endpoint::Connection, KeyKind::Kmr, &routeConnection, connection);
        auto midServer = start(Endpoint::Mid, KeyKind::Kmc, &routeMid, mid);

        auto log = base::log::kNetsim;
        nlohmann::ordered_json ready = {{"msbf", msbfServer->port()},
                                        {"connection", connectionServer->port()},
                                        {"mid", midServer->port()},
                                        {"pid", ::getpid()}};
        if (bsf) {
            ready["bsf"] = ubServer->port();
            ready["bsf_https"] = ubHttpsServer ? nlohmann::ordered_json(ubHttpsServer->port())
                                               : nlohmann::ordered_json(nullptr);
            ready["auc"] = auc->name();
            ready.update(hlrReady);
            log->info("bsf {}:{} (HTTP){}, AuC {}", bsfAddress->host, ubServer->port(),
                      ubHttpsServer ? ", HTTPS " + std::to_string(ubHttpsServer->port()) : "",
                      auc->name());
        }
        log->info("listening: msbf {}:{}, connection {}:{}, mid {}:{}; {} workers, backlog {} each",
                  msbf.host, msbfServer->port(), connection.host, connectionServer->port(),
                  mid.host, midServer->port(), options.limits.workers, options.limits.backlog);
        if (options.readyFile) {
            writeReadyFile(*options.readyFile, ready);
        }
        int signal = 0;
        sigwait(&stopSignals, &signal);
        log->info("signal {}: stopping", signal);
        msbfServer->stop();
        connectionServer->stop();
        midServer->stop();
        if (ubServer) {
            ubServer->stop();
        }
        if (ubHttpsServer) {
            ubHttpsServer->stop();
        }
        if (options.readyFile) {
            std::error_code ignored;
            std::filesystem::remove(*options.readyFile, ignored);
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "m2m-netsim serve: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace netsim
