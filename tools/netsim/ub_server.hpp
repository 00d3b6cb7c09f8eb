// The servers of the BSF's Ub: plain HTTP (TS 24.109's default) on cpp-httplib with the PSK
// servers' HTTP rules, listening socket, worker count and error answers (not their backlog bound
// or deadline watchdog, which work on the TLS layer), and HTTPS with a server certificate on the
// lab's PSK server component (all of its limits, deadlines and HTTP rules; certificate suites
// instead of PSK ones). Both hand every request to the Bsf and log one line per answer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>

#include "bsf.hpp"
#include "server_names.hpp"

namespace netsim {

class UbHttpServer {
public:
    UbHttpServer(Bsf& bsf, const std::string& host, std::uint16_t port,
                 const PskServerLimits& limits);
    UbHttpServer(const UbHttpServer&) = delete;
    UbHttpServer& operator=(const UbHttpServer&) = delete;
    ~UbHttpServer();

    [[nodiscard]] std::uint16_t port() const { return port_; }
    void stop();

private:
    httplib::Server http_;
    std::uint16_t port_ = 0;
    std::thread listener_;
};

// HTTPS Ub with the certificate chain and key of PEM files (TLS 1.2, ECDHE suites).
std::unique_ptr<PskServer> startUbHttps(Bsf& bsf, const std::string& host, std::uint16_t port,
                                        const std::filesystem::path& certificate,
                                        const std::filesystem::path& key,
                                        const PskServerLimits& limits);

}  // namespace netsim
