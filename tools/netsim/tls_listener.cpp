// TLS-PSK listener (see tls_listener.hpp).
#include "tls_listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "base/log.hpp"

namespace netsim {

namespace {

// What the PSK callback learnt, for the session once the handshake is done.
struct HandshakeState {
    std::string identity;
    std::string nodeId;
};

// Client-chosen bytes go into the log only as printable ASCII, and not too many of them.
std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 100)) {
        out += (c >= 0x21 && c <= 0x7E) ? c : '?';
    }
    return out;
}

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

}  // namespace

ListenAddress parseLoopbackAddress(const std::string& text) {
    ListenAddress a;
    std::string host;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find("]:");
        if (close == std::string::npos) {
            throw std::invalid_argument("address must be HOST:PORT: " + text);
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        a.ipv6 = true;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos) {
            throw std::invalid_argument("address must be HOST:PORT: " + text);
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) {
        throw std::invalid_argument("bad port in " + text);
    }
    a.port = static_cast<std::uint16_t>(std::stoul(port));
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    if (a.ipv6) {
        in6_addr addr{};
        if (inet_pton(AF_INET6, host.c_str(), &addr) != 1 || !IN6_IS_ADDR_LOOPBACK(&addr)) {
            throw std::invalid_argument("the lab network listens on loopback only, not " + text);
        }
    } else {
        in_addr addr{};
        if (inet_pton(AF_INET, host.c_str(), &addr) != 1 || (ntohl(addr.s_addr) >> 24) != 127) {
            throw std::invalid_argument("the lab network listens on loopback only, not " + text);
        }
    }
    a.host = host;
    return a;
}

long TlsSession::read(char* buffer, std::size_t size) {
    const int n = SSL_read(ssl_, buffer, static_cast<int>(std::min<std::size_t>(size, 1 << 20)));
    if (n > 0) {
        return n;
    }
    const int error = SSL_get_error(ssl_, n);
    ERR_clear_error();
    return error == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

bool TlsSession::writeAll(std::string_view data) {
    while (!data.empty()) {
        const int n = SSL_write(ssl_, data.data(),
                                static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20)));
        if (n <= 0) {
            ERR_clear_error();
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

TlsListener::TlsListener(Store& store, Endpoint endpoint, KeyKind keys,
                         const ListenAddress& address, std::chrono::seconds idleTimeout,
                         Handler handler)
    : store_(store),
      endpoint_(endpoint),
      keys_(keys),
      idleTimeout_(idleTimeout),
      handler_(std::move(handler)) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (ctx_ == nullptr || SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx_, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx_, kPskCipherList) != 1) {
        throw std::runtime_error("TLS context: " + opensslError());
    }
    // Session resumption would skip the PSK lookup (and so revocation); every connection
    // handshakes in full, as the agent's card-held keys expect.
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(
        ctx_, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_app_data(ctx_, this);
    SSL_CTX_set_psk_server_callback(ctx_, &TlsListener::pskCallback);

    const int family = address.ipv6 ? AF_INET6 : AF_INET;
    listenFd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listenFd_ < 0) {
        throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    }
    const int one = 1;
    ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (address.ipv6) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(address.port);
        inet_pton(AF_INET6, address.host.c_str(), &sa->sin6_addr);
        length = sizeof(sockaddr_in6);
    } else {
        auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(address.port);
        inet_pton(AF_INET, address.host.c_str(), &sa->sin_addr);
        length = sizeof(sockaddr_in);
    }
    if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
        ::listen(listenFd_, 64) != 0) {
        const std::string reason = std::strerror(errno);
        ::close(listenFd_);
        SSL_CTX_free(ctx_);
        throw std::runtime_error(std::string(endpointName(endpoint)) + ": cannot listen on " +
                                 address.host + ":" + std::to_string(address.port) + ": " + reason);
    }
    sockaddr_storage bound{};
    socklen_t boundLength = sizeof bound;
    ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&bound), &boundLength);
    port_ = ntohs(address.ipv6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    if (::pipe2(wakePipe_, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
}

TlsListener::~TlsListener() {
    stop();
    for (int fd : {listenFd_, wakePipe_[0], wakePipe_[1]}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    SSL_CTX_free(ctx_);
}

void TlsListener::start() {
    acceptThread_ = std::thread([this] { acceptLoop(); });
}

void TlsListener::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    const char byte = 0;
    static_cast<void>(::write(wakePipe_[1], &byte, 1));
    if (acceptThread_.joinable()) {
        acceptThread_.join();
    }
    {
        std::lock_guard lock(connectionsMutex_);
        for (auto& c : connections_) {
            if (c->fd >= 0) {
                ::shutdown(c->fd, SHUT_RDWR);
            }
        }
    }
    reap(true);
}

void TlsListener::reap(bool all) {
    std::list<std::unique_ptr<Connection>> finished;
    {
        std::lock_guard lock(connectionsMutex_);
        for (auto it = connections_.begin(); it != connections_.end();) {
            if (all || (*it)->done) {
                finished.push_back(std::move(*it));
                it = connections_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& c : finished) {
        c->thread.join();
    }
}

void TlsListener::acceptLoop() {
    for (;;) {
        pollfd fds[2] = {{listenFd_, POLLIN, 0}, {wakePipe_[0], POLLIN, 0}};
        if (::poll(fds, 2, 1000) < 0 && errno != EINTR) {
            base::log::kNetsim->error("{}: poll: {}", endpointName(endpoint_),
                                      std::strerror(errno));
            return;
        }
        if (stopping_ || (fds[1].revents & POLLIN) != 0) {
            return;
        }
        reap(false);
        if ((fds[0].revents & POLLIN) == 0) {
            continue;
        }
        const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        timeval timeout{};
        timeout.tv_sec = idleTimeout_.count();
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        auto connection = std::make_unique<Connection>();
        connection->fd = fd;
        Connection& ref = *connection;
        std::lock_guard lock(connectionsMutex_);
        connections_.push_back(std::move(connection));
        ref.thread = std::thread([this, &ref] { serve(ref); });
    }
}

void TlsListener::serve(Connection& connection) {
    SSL* ssl = SSL_new(ctx_);
    HandshakeState state;
    if (ssl != nullptr && SSL_set_fd(ssl, connection.fd) == 1) {
        SSL_set_app_data(ssl, &state);
        if (SSL_accept(ssl) == 1) {
            store_.count(endpoint_, "handshakes");
            base::log::kNetsim->debug("{}: handshake, identity {}, {}", endpointName(endpoint_),
                                      state.identity, SSL_get_cipher_name(ssl));
            TlsSession session(ssl, state.identity, state.nodeId);
            try {
                handler_(session);
            } catch (const std::exception& e) {
                base::log::kNetsim->error("{}: session ended: {}", endpointName(endpoint_),
                                          e.what());
            }
            SSL_shutdown(ssl);
        } else {
            store_.count(endpoint_, "handshake_failures");
            base::log::kNetsim->info("{}: handshake failed, identity {}: {}",
                                     endpointName(endpoint_),
                                     state.identity.empty() ? "-" : state.identity, opensslError());
        }
    }
    SSL_free(ssl);
    {
        std::lock_guard lock(connectionsMutex_);
        ::close(connection.fd);
        connection.fd = -1;
    }
    connection.done = true;
}

unsigned int TlsListener::pskCallback(SSL* ssl, const char* identity, unsigned char* psk,
                                      unsigned int maxPskLength) {
    auto* self = static_cast<TlsListener*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    auto* state = static_cast<HandshakeState*>(SSL_get_app_data(ssl));
    if (self == nullptr || state == nullptr || identity == nullptr) {
        return 0;
    }
    state->identity = printable(identity);
    try {
        auto found = self->store_.pskFor(self->keys_, identity);
        if (!found || found->key.size() > maxPskLength) {
            return 0;  // OpenSSL answers unknown_psk_identity
        }
        std::memcpy(psk, found->key.data(), found->key.size());
        state->nodeId = found->nodeId;
        return static_cast<unsigned int>(found->key.size());
    } catch (const std::exception& e) {
        base::log::kNetsim->error("{}: key lookup failed: {}", endpointName(self->endpoint_),
                                  e.what());
        return 0;
    }
}

}  // namespace netsim
