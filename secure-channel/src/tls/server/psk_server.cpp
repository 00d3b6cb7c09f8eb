// TLS 1.2 PSK HTTPS server on cpp-httplib (see psk_server.hpp).
#include "securechannel/tls/server/psk_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <tuple>
#include <type_traits>

#include "base/log.hpp"
#include "base/text.hpp"
#include "securechannel/tls/server/bounded_task_queue.hpp"
#include "securechannel/tls/server/http_rules.hpp"

namespace securechannel::tls::server {

namespace {

using Phase = ConnectionWatchdog::Phase;
using Ending = ConnectionWatchdog::Ending;

// After this many requests httplib answers the last with "Connection: close": a kept-alive
// connection is not kept for ever, and the Keep-Alive header says so.
constexpr std::size_t kMaxRequestsPerConnection = 1000;
// On top of head + body, what one request may bring in TLS records: a record carries up to
// 16 KiB plus its own overhead, and the next request's first record may come early.
constexpr std::size_t kRecordSlack = 2 * (16 * 1024 + 256);
// httplib's own read and write timeouts lie this far behind the watchdog's deadlines, so that
// a stalled peer meets the deadline (and its reason in the log) first.
constexpr std::chrono::seconds kTimeoutSlack{1};
// Connections the kernel completes and queues before the accepting thread takes them.
constexpr int kListenBacklog = 128;

// The connection this thread serves: set when its handshake starts, cleared when its SSL is
// freed. httplib runs a connection on one thread from accept to close, and its error handler and
// logger get no SSL, so this is how they find it.
thread_local PskConnection* tCurrent = nullptr;
// The connection whose SSL was freed last on this thread, for the report after its task.
thread_local std::unique_ptr<PskConnection> tFinished;
// The task running on this thread is to be refused.
thread_local bool tRefusing = false;

std::string opensslError() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "no OpenSSL error";
    }
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

PskServer& serverOf(const SSL* ssl) {
    return *static_cast<PskServer*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

template <typename... Args>
void notify(const std::function<void(Args...)>& event, std::type_identity_t<Args>... args) {
    if (!event) {
        return;
    }
    // Events run inside OpenSSL or httplib callbacks: nothing may be thrown through them.
    try {
        event(args...);
    } catch (const std::exception& e) {
        base::log::kTls->error("PSK server event failed: {}", e.what());
    }
}

std::string endingReason(Ending ending, Phase phase, std::size_t maxRequestBytes) {
    if (ending == Ending::Oversized) {
        return "request larger than " + std::to_string(maxRequestBytes) + " bytes in TLS records";
    }
    switch (phase) {
        case Phase::Handshake:
        case Phase::Idle:
            return "idle deadline passed";
        case Phase::Request:
            return "request deadline passed (request not complete)";
        case Phase::Answer:
            return "request deadline passed (answer not delivered)";
    }
    return "deadline passed";
}

}  // namespace

int PskServer::connectionIndex() {
    static const int index =
        SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &PskServer::freeConnection);
    return index;
}

PskConnection* PskServer::connectionOf(const SSL* ssl) {
    return static_cast<PskConnection*>(SSL_get_ex_data(ssl, connectionIndex()));
}

PskServer::PskServer(PskServerConfig config)
    : config_(std::move(config)),
      watchdog_({config_.limits.handshakeTimeout, config_.limits.requestTimeout,
                 config_.limits.idleTimeout},
                config_.limits.maxHeadBytes + config_.limits.maxBodyBytes + kRecordSlack,
                [this] { reportRefusals(); }) {
    if (!config_.lookup || !config_.handler) {
        throw PskServerError("a PSK server needs a key lookup and a handler");
    }
    if (config_.limits.workers == 0) {
        throw PskServerError("a PSK server needs at least one worker");
    }
    connectionIndex();
    http_ =
        std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) { return setUpContext(ctx); });
    if (!http_->is_valid()) {
        throw PskServerError("TLS context: " + opensslError());
    }
    setUpHttp();
    errno = 0;
    const int port = config_.port == 0 ? http_->bind_to_any_port(config_.host)
                     : http_->bind_to_port(config_.host, config_.port) ? config_.port
                                                                       : -1;
    if (port <= 0) {
        throw PskServerError("cannot listen on " + config_.host + ":" +
                             std::to_string(config_.port) + ": " + std::strerror(errno));
    }
    port_ = static_cast<std::uint16_t>(port);
    // httplib listens with a backlog of 5 (fixed when it was compiled): a burst of connections
    // would have its SYNs dropped (retried a second later) while the accepting thread refuses
    // the first ones. A deeper kernel queue lets it refuse them all at once.
    if (::listen(listenFd_, kListenBacklog) != 0) {
        const std::string reason = std::strerror(errno);
        ::close(listenFd_);  // httplib closes it only in stop(), once it has served
        throw PskServerError("listen: " + reason);
    }
    try {
        queue_ = std::make_unique<BoundedTaskQueue>(
            config_.limits.workers, config_.limits.backlog,
            [this](std::function<void()>& task, bool refused) { runConnection(task, refused); });
        watchdog_.start();
        listener_ = std::thread([this] {
            http_->listen_after_bind();
            listenerDone_ = true;
        });
    } catch (const std::system_error& e) {
        ::close(listenFd_);
        throw PskServerError("cannot start its " + std::to_string(config_.limits.workers) +
                             " workers, deadline watchdog and listener: " + e.what());
    }
    // stop() needs httplib to know it runs, or it would not close the listening socket.
    while (!http_->is_running() && !listenerDone_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

PskServer::~PskServer() {
    stop();
}

void PskServer::stop() {
    if (stopped_.exchange(true)) {
        return;
    }
    stopping_ = true;
    http_->stop();       // the accept loop ends; the task queue then refuses what still waits
    watchdog_.endAll();  // kept-alive and unfinished connections end now, not at a timeout
    listener_.join();    // after the task queue has joined its workers
    watchdog_.stop();
    reportRefusals();
}

bool PskServer::setUpContext(SSL_CTX& ctx) {
    SSL_CTX* c = &ctx;
    if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(c, config_.cipherList.c_str()) != 1) {
        return false;
    }
    // Session resumption would skip the PSK lookup (and so a revocation): every connection
    // handshakes in full, as the card-held keys of the agent expect.
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    // The client's order of suites decides (the agent's is the profile's).
    std::uint64_t options = SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
    if (!config_.extendedMasterSecret) {
        options |= SSL_OP_NO_EXTENDED_MASTER_SECRET;
    }
    SSL_CTX_set_options(c, options);
    SSL_CTX_set_app_data(c, this);
    SSL_CTX_set_psk_server_callback(c, &PskServer::pskCallback);
    SSL_CTX_set_client_hello_cb(c, &PskServer::clientHelloCallback, nullptr);
    SSL_CTX_set_info_callback(c, &PskServer::infoCallback);
    SSL_CTX_set_msg_callback(c, &PskServer::messageCallback);
    return !config_.configureContext || config_.configureContext(ctx);
}

void PskServer::setUpHttp() {
    const PskServerLimits& limits = config_.limits;
    httplib::SSLServer& http = *http_;
    http.new_task_queue = [this] { return queue_.release(); };
    http.set_socket_options([this](socket_t socket) {
        http::setListenOptions(socket);
        listenFd_ = socket;
    });
    http.set_keep_alive_max_count(kMaxRequestsPerConnection);
    http.set_keep_alive_timeout(
        std::max<time_t>(1, std::chrono::ceil<std::chrono::seconds>(limits.idleTimeout).count()));
    // httplib's timeouts are per read or write (and per wait in the handshake); the watchdog's
    // deadlines, shorter, bound the whole handshake and request. These are only a backstop.
    const auto backstop = std::max(limits.handshakeTimeout, limits.requestTimeout) + kTimeoutSlack;
    http.set_read_timeout(backstop);
    http.set_write_timeout(backstop);
    http.set_payload_max_length(limits.maxBodyBytes);

    using HandlerResponse = httplib::Server::HandlerResponse;
    http.set_expect_100_continue_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
            PskConnection* c = tCurrent;
            return c != nullptr && refuseHead(request, response, *c) ? response.status : 100;
        });
    http.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
            PskConnection* c = tCurrent;
            return c != nullptr && refuseHead(request, response, *c) ? HandlerResponse::Handled
                                                                     : HandlerResponse::Unhandled;
        });
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& request, httplib::Response& response) {
            return onError(request, response);
        }));
    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
            http::setInternalError(response, error);
        });
    // httplib calls the post-routing handler for every answer (its own error answers too) just
    // before writing it, and the logger once it has been written.
    http.set_post_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
            onAnswering(request, response);
        });
    http.set_logger([this](const httplib::Request&, const httplib::Response&) { onAnswered(); });
    const httplib::Server::Handler dispatch = [this](const httplib::Request& request,
                                                     httplib::Response& response) {
        PskConnection* c = tCurrent;
        if (c == nullptr) {
            http::setError(response, 500, "no connection");
            return;
        }
        watchdog_.enter(c->id(), Phase::Answer);
        config_.handler(request, response, *c);
    };
    // Every path of every method httplib routes: the handler answers 404 and 405 itself.
    http.Get(".*", dispatch);
    http.Post(".*", dispatch);
    http.Put(".*", dispatch);
    http.Delete(".*", dispatch);
    http.Patch(".*", dispatch);
    http.Options(".*", dispatch);
}

bool PskServer::refuseHead(const httplib::Request& request, httplib::Response& response,
                           PskConnection& connection) {
    connection.headChecked_ = true;
    if (watchdog_.ended(connection.id())) {
        // Closing: a request read from what was already buffered is not served.
        connection.unanswered_ = true;
        http::setError(response, 400, "connection closing");
        return true;
    }
    const auto refusal =
        http::checkHead(request, {config_.limits.maxHeadBytes, config_.limits.maxBodyBytes});
    if (!refusal) {
        return false;
    }
    // What follows the head cannot be trusted to be framed as the head says: answer and close.
    http::setError(response, refusal->status, refusal->reason);
    response.set_header("Connection", "close");
    connection.setNote(refusal->reason);
    connection.closeAfterAnswer();
    watchdog_.enter(connection.id(), Phase::Answer);
    return true;
}

httplib::Server::HandlerResponse PskServer::onError(const httplib::Request&,
                                                    httplib::Response& response) {
    if (!response.body.empty()) {
        return httplib::Server::HandlerResponse::Handled;  // a handler's own error answer
    }
    // httplib's own refusal: its parser could not read the head (or the body): the framing of
    // what follows cannot be trusted.
    std::string reason = http::parserRefusal(response.status);
    PskConnection* c = tCurrent;
    if (c != nullptr) {
        if (response.status == 400 && !c->headChecked_ &&
            watchdog_.requestBytes(c->id()) > config_.limits.maxHeadBytes) {
            // httplib refuses a header line over 8 KiB with 400; a head that large is a 431.
            response.status = 431;
            reason = "request head larger than " + std::to_string(config_.limits.maxHeadBytes) +
                     " bytes";
        }
        c->setNote(reason);
        c->closeAfterAnswer();
    }
    response.set_header("Connection", "close");
    http::setError(response, response.status, reason);
    return httplib::Server::HandlerResponse::Handled;
}

void PskServer::onAnswering(const httplib::Request& request, const httplib::Response& response) {
    PskConnection* c = tCurrent;
    // Left unanswered by the handler, or the socket is already shut down (a deadline, the byte
    // cap, the server stopping): this answer goes nowhere.
    if (c != nullptr && !c->unanswered_ && !watchdog_.ended(c->id())) {
        notify(config_.events.answering, request, response, static_cast<const PskConnection&>(*c));
    }
}

void PskServer::onAnswered() {
    PskConnection* c = tCurrent;
    if (c == nullptr) {
        return;
    }
    if (c->closeAfterAnswer_) {
        // The answer is in the socket; shutdown sends it, then the FIN.
        watchdog_.end(c->id(), Ending::Server);
    } else {
        watchdog_.enter(c->id(), Phase::Idle);
    }
    c->headChecked_ = false;
    c->closeAfterAnswer_ = false;
    c->unanswered_ = false;
    c->note_.clear();
}

void PskServer::runConnection(std::function<void()>& task, bool refused) {
    tRefusing = refused || stopping_;
    try {
        task();
    } catch (const std::exception& e) {
        base::log::kTls->error("connection failed: {}", e.what());
    }
    tRefusing = false;
    ERR_clear_error();  // httplib leaves a failed handshake's errors in the thread's queue
    if (const std::unique_ptr<PskConnection> done = std::move(tFinished)) {
        report(*done);
    }
}

void PskServer::report(const PskConnection& c) {
    const PskServerEvents& events = config_.events;
    if (c.refused_) {
        if (!stopping_) {  // closing what still waits at a stop is no refusal
            ++refusals_;
        }
        return;
    }
    if (!c.handshakeDone_) {
        // The server's own reason first: the alert after it is only OpenSSL noticing.
        const std::string reason = c.ending_ == Ending::Stopping   ? "server stopping"
                                   : c.ending_ == Ending::Deadline ? "handshake deadline passed"
                                   : !c.alert_.empty()             ? c.alert_
                                                       : "connection closed during the handshake";
        notify(events.handshakeFailed, c, reason);
        return;
    }
    if (c.ending_ == Ending::Deadline || c.ending_ == Ending::Oversized) {
        notify(
            events.cutOff, c,
            endingReason(c.ending_, c.endPhase_,
                         config_.limits.maxHeadBytes + config_.limits.maxBodyBytes + kRecordSlack));
    }
}

void PskServer::reportRefusals() {
    if (const std::size_t count = refusals_.exchange(0); count > 0) {
        notify(config_.events.refused, count);
    }
}

void PskServer::connectionStarts(SSL* ssl) {
    if (connectionOf(ssl) != nullptr) {
        return;  // a renegotiation attempt (refused), not a new connection
    }
    static std::atomic<std::uint64_t> nextId{1};
    const int fd = SSL_get_fd(ssl);
    auto connection = std::make_unique<PskConnection>(ssl, fd, nextId++, watchdog_);
    if (SSL_set_ex_data(ssl, connectionIndex(), connection.get()) != 1) {
        return;
    }
    PskConnection* c = connection.release();  // owned by the SSL now, freed with it
    tCurrent = c;
    ERR_clear_error();
    // A child process (a test's openssl) must not inherit the socket; answers go out unbatched.
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (tRefusing || stopping_) {
        // No worker for it: the handshake fails on the closed socket at once.
        c->refused_ = true;
        ::shutdown(fd, SHUT_RDWR);
        return;
    }
    watchdog_.add(c->id(), fd);
}

void PskServer::handshakeDone(PskConnection& c) {
    c.handshakeDone_ = true;
    c.cipher_ = SSL_get_cipher_name(c.ssl_);
    c.cipherSuite_ =
        static_cast<std::uint16_t>(SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(c.ssl_)));
    const char* name = SSL_get_servername(c.ssl_, TLSEXT_NAMETYPE_host_name);
    c.serverName_ = name != nullptr ? name : "";
    c.extendedMasterSecret_ = SSL_get_extms_support(c.ssl_) == 1;
    watchdog_.enter(c.id(), Phase::Idle);
    base::log::kTls->debug("handshake, identity {}, {}", base::printable(c.identity_), c.cipher_);
    notify(config_.events.handshake, static_cast<const PskConnection&>(c));
}

unsigned int PskServer::pskCallback(SSL* ssl, const char* identity, unsigned char* psk,
                                    unsigned int maxPskLength) {
    PskConnection* c = connectionOf(ssl);
    if (c == nullptr || identity == nullptr) {
        return 0;
    }
    c->identity_ = identity;
    const SSL_CIPHER* chosen = SSL_get_pending_cipher(ssl);
    if (chosen == nullptr) {
        return 0;
    }
    try {
        std::optional<PskKey> found = serverOf(ssl).config_.lookup(
            c->identity_, static_cast<std::uint16_t>(SSL_CIPHER_get_protocol_id(chosen)));
        if (!found || found->key.size() == 0 || found->key.size() > maxPskLength) {
            return 0;  // OpenSSL answers unknown_psk_identity
        }
        std::memcpy(psk, found->key.data(), found->key.size());
        c->owner_ = std::move(found->owner);
        return static_cast<unsigned int>(found->key.size());
    } catch (const std::exception& e) {
        base::log::kTls->error("key lookup failed: {}", e.what());
        return 0;
    }
}

int PskServer::clientHelloCallback(SSL* ssl, int*, void*) {
    if (PskConnection* c = connectionOf(ssl)) {
        const unsigned char* ciphers = nullptr;
        const std::size_t length = SSL_client_hello_get0_ciphers(ssl, &ciphers);
        c->offered_.clear();
        for (std::size_t i = 0; i + 1 < length; i += 2) {
            c->offered_.push_back(static_cast<std::uint16_t>(ciphers[i] << 8 | ciphers[i + 1]));
        }
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

void PskServer::infoCallback(const SSL* ssl, int where, int value) {
    if ((where & SSL_CB_HANDSHAKE_START) != 0) {
        // The SSL is httplib's, not const; OpenSSL passes it const to every info callback.
        serverOf(ssl).connectionStarts(const_cast<SSL*>(ssl));
        return;
    }
    PskConnection* c = connectionOf(ssl);
    if (c == nullptr) {
        return;
    }
    if ((where & SSL_CB_HANDSHAKE_DONE) != 0) {
        serverOf(ssl).handshakeDone(*c);
    } else if ((where & SSL_CB_ALERT) != 0 && c->alert_.empty() && !c->handshakeDone_ &&
               std::strcmp(SSL_alert_type_string(value), "F") == 0) {
        const bool sent = (where & SSL_CB_WRITE) != 0;
        c->alert_ = std::string(sent ? "sent alert " : "received alert ") +
                    SSL_alert_desc_string_long(value);
        const char* why = sent ? ERR_reason_error_string(ERR_peek_last_error()) : nullptr;
        if (why != nullptr) {
            c->alert_ += std::string(" (") + why + ")";
        }
    }
}

void PskServer::messageCallback(int writing, int, int contentType, const void* data,
                                std::size_t length, SSL* ssl, void*) {
    if (writing != 0 || contentType != SSL3_RT_HEADER || length < 5) {
        return;
    }
    const auto* header = static_cast<const unsigned char*>(data);
    PskConnection* c = connectionOf(ssl);
    if (header[0] != SSL3_RT_APPLICATION_DATA || c == nullptr) {
        return;
    }
    serverOf(ssl).watchdog_.received(c->id(), static_cast<std::size_t>(header[3] << 8 | header[4]));
}

void PskServer::freeConnection(void*, void* connection, CRYPTO_EX_DATA*, int, long, void*) {
    if (connection == nullptr) {
        return;  // an SSL of someone else (a client in the same process)
    }
    std::unique_ptr<PskConnection> c(static_cast<PskConnection*>(connection));
    // SSL_free comes before httplib closes the socket: after this the watchdog no longer
    // touches the fd, which the next accept may reuse.
    std::tie(c->ending_, c->endPhase_) = c->watchdog_.remove(c->id());
    if (tCurrent == c.get()) {
        tCurrent = nullptr;
    }
    tFinished = std::move(c);
}

}  // namespace securechannel::tls::server
