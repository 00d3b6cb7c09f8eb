// The BSF's Ub servers (see ub_server.hpp).
#include "ub_server.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "base/text.hpp"
#include "server_names.hpp"

namespace netsim {

namespace {

constexpr const char* kCertificateSuites =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384";

void logUb(const char* endpoint, const httplib::Request& request,
           const httplib::Response& response) {
    base::log::kNetsim->info("{} {} {} {}", endpoint, base::printable(request.method),
                             base::printable(request.path), response.status);
}

}  // namespace

UbHttpServer::UbHttpServer(Bsf& bsf, const std::string& host, std::uint16_t port,
                           const PskServerLimits& limits) {
    // What the PSK servers do without a TLS connection under them (psk_server.cpp): the listening
    // socket's options, `--workers` threads, the HTTP rules (before a 100 Continue too), httplib's
    // own refusals and handler exceptions answered in the rules' form, every method to the Bsf.
    // Not here: the backlog bound and the watchdog's deadlines; httplib's per-read timeouts are.
    http_.new_task_queue = [workers = limits.workers] {
        return new httplib::ThreadPool(std::max<std::size_t>(1, workers));
    };
    http_.set_socket_options(&http::setListenOptions);
    http_.set_payload_max_length(limits.maxBodyBytes);
    http_.set_read_timeout(std::chrono::duration_cast<std::chrono::seconds>(limits.requestTimeout));
    http_.set_write_timeout(
        std::chrono::duration_cast<std::chrono::seconds>(limits.requestTimeout));
    http_.set_keep_alive_timeout(std::max<time_t>(
        1, std::chrono::duration_cast<std::chrono::seconds>(limits.idleTimeout).count()));
    const http::HeadLimits headLimits{limits.maxHeadBytes, limits.maxBodyBytes};
    // True if `response` now holds the refusal of a head outside the rules.
    const auto refuseHead = [headLimits](const httplib::Request& request,
                                         httplib::Response& response) {
        const auto refusal = http::checkHead(request, headLimits);
        if (refusal) {
            http::setError(response, refusal->status, refusal->reason);
            response.set_header("Connection", "close");
        }
        return refusal.has_value();
    };
    http_.set_expect_100_continue_handler(
        [refuseHead](const httplib::Request& request, httplib::Response& response) {
            return refuseHead(request, response) ? response.status : 100;
        });
    http_.set_pre_routing_handler(
        [refuseHead](const httplib::Request& request, httplib::Response& response) {
            return refuseHead(request, response) ? httplib::Server::HandlerResponse::Handled
                                                 : httplib::Server::HandlerResponse::Unhandled;
        });
    http_.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request&, httplib::Response& response) {
            if (response.body.empty()) {
                // httplib's parser refused the request: what follows cannot be trusted.
                response.set_header("Connection", "close");
                http::setError(response, response.status, http::parserRefusal(response.status));
            }
            return httplib::Server::HandlerResponse::Handled;
        }));
    http_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
            http::setInternalError(response, error);
        });
    const httplib::Server::Handler handler = [&bsf](const httplib::Request& request,
                                                    httplib::Response& response) {
        bsf.handle(request, response);
    };
    // The Bsf answers 405 to the methods it does not take.
    http_.Get(".*", handler);
    http_.Post(".*", handler);
    http_.Put(".*", handler);
    http_.Delete(".*", handler);
    http_.Patch(".*", handler);
    http_.Options(".*", handler);
    http_.set_logger([](const httplib::Request& request, const httplib::Response& response) {
        logUb("bsf", request, response);
    });
    errno = 0;
    const int bound = port == 0                        ? http_.bind_to_any_port(host)
                      : http_.bind_to_port(host, port) ? port
                                                       : -1;
    if (bound <= 0) {
        throw PskServerError("bsf: cannot listen on " + host + ":" + std::to_string(port) + ": " +
                             std::strerror(errno));
    }
    port_ = static_cast<std::uint16_t>(bound);
    listener_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

UbHttpServer::~UbHttpServer() {
    stop();
}

void UbHttpServer::stop() {
    if (listener_.joinable()) {
        http_.stop();
        listener_.join();
    }
}

std::unique_ptr<PskServer> startUbHttps(Bsf& bsf, const std::string& host, std::uint16_t port,
                                        const std::filesystem::path& certificate,
                                        const std::filesystem::path& key,
                                        const PskServerLimits& limits) {
    PskServerConfig config;
    config.host = host;
    config.port = port;
    config.limits = limits;
    config.cipherList = kCertificateSuites;
    config.configureContext = [certificate, key](SSL_CTX& ctx) {
        return SSL_CTX_use_certificate_chain_file(&ctx, certificate.c_str()) == 1 &&
               SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) == 1 &&
               SSL_CTX_check_private_key(&ctx) == 1;
    };
    // Ub authenticates with Digest AKA inside the session: no PSK identity is ever accepted.
    config.lookup = [](const std::string&, std::uint16_t) -> std::optional<PskKey> {
        return std::nullopt;
    };
    config.handler = [&bsf](const httplib::Request& request, httplib::Response& response,
                            PskConnection&) { bsf.handle(request, response); };
    config.events.answering = [](const httplib::Request& request, const httplib::Response& response,
                                 const PskConnection&) { logUb("bsf-https", request, response); };
    config.events.handshakeFailed = [](const PskConnection&, const std::string& reason) {
        base::log::kNetsim->info("bsf-https: handshake failed: {}", reason);
    };
    try {
        return std::make_unique<PskServer>(std::move(config));
    } catch (const PskServerError& e) {
        throw PskServerError(std::string("bsf-https: ") + e.what());
    }
}

}  // namespace netsim
