// `m2m-netsim serve`: the three TLS-PSK endpoints over one store, until SIGTERM or SIGINT.
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "base/log.hpp"
#include "commands.hpp"
#include "loopback_address.hpp"
#include "ready_file.hpp"

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
        EndpointContext context{store, options.lifetimes};
        auto start = [&](Endpoint endpoint, KeyKind keys, Route route,
                         const ListenAddress& address) {
            return startEndpoint(endpoint, keys, route, context, address.host, address.port,
                                 options.limits);
        };
        auto msbfServer = start(Endpoint::Msbf, KeyKind::Kbs, &routeMsbf, msbf);
        auto connectionServer =
            start(Endpoint::Connection, KeyKind::Kmr, &routeConnection, connection);
        auto midServer = start(Endpoint::Mid, KeyKind::Kmc, &routeMid, mid);

        const nlohmann::ordered_json ready = {{"msbf", msbfServer->port()},
                                              {"connection", connectionServer->port()},
                                              {"mid", midServer->port()},
                                              {"pid", ::getpid()}};
        auto log = base::log::kNetsim;
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
