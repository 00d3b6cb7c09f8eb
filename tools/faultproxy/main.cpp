// m2m-faultproxy: a TCP proxy on loopback that injects network faults on command (README.md).
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>

#include "base/log.hpp"
#include "loopback_address.hpp"
#include "proxy.hpp"
#include "ready_file.hpp"

int main(int argc, char** argv) {
    CLI::App app{"m2m-faultproxy: a TCP proxy on loopback that injects faults on command"};
    std::string listen = "127.0.0.1:0";
    std::string target;
    std::string control = "127.0.0.1:0";
    std::optional<std::filesystem::path> readyFile;
    std::string logSpec;
    app.add_option("--listen", listen, "ADDR:PORT to accept connections on")->capture_default_str();
    app.add_option("--target", target, "ADDR:PORT every connection is relayed to")->required();
    app.add_option("--control", control, "ADDR:PORT of the control port")->capture_default_str();
    app.add_option("--ready-file", readyFile,
                   "written once listening: {\"port\":P,\"control\":C,\"pid\":N}");
    app.add_option("--log", logSpec, "log levels, e.g. faultproxy=debug (also M2M_LOG)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    try {
        if (!logSpec.empty()) {
            base::log::configure(logSpec);
        }
        faultproxy::Proxy::Options options{netsim::parseLoopbackAddress(listen),
                                           netsim::parseLoopbackAddress(target),
                                           netsim::parseLoopbackAddress(control)};
        // Signals are taken by sigwait below; the proxy's threads inherit the mask.
        sigset_t stopSignals;
        sigemptyset(&stopSignals);
        sigaddset(&stopSignals, SIGTERM);
        sigaddset(&stopSignals, SIGINT);
        pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
        ::signal(SIGPIPE, SIG_IGN);

        faultproxy::Proxy proxy(options);
        base::log::kFaultproxy->info("listening on {}:{} for {}:{}, control port {}",
                                     options.listen.host, proxy.port(), options.target.host,
                                     options.target.port, proxy.controlPort());
        if (readyFile) {
            netsim::writeReadyFile(
                *readyFile,
                {{"port", proxy.port()}, {"control", proxy.controlPort()}, {"pid", ::getpid()}});
        }
        int signal = 0;
        sigwait(&stopSignals, &signal);
        base::log::kFaultproxy->info("signal {}: stopping", signal);
        proxy.stop();
        if (readyFile) {
            std::error_code ignored;
            std::filesystem::remove(*readyFile, ignored);
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "m2m-faultproxy: " << e.what() << "\n";
        return 1;
    }
}
