#include "psk_test_server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <set>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace sctest {

namespace {

struct ConnectionState {
    const PskTestServerOptions* options = nullptr;
    ServedConnection seen;
};

unsigned int pskServerCallback(SSL* ssl, const char* identity, unsigned char* psk,
                               unsigned int maxPskLen) {
    auto* state = static_cast<ConnectionState*>(SSL_get_app_data(ssl));
    const auto key = state->options->keys.find(identity != nullptr ? identity : "");
    if (key == state->options->keys.end() || key->second.size() > maxPskLen) {
        return 0;  // OpenSSL answers with unknown_psk_identity
    }
    std::memcpy(psk, key->second.data(), key->second.size());
    return static_cast<unsigned int>(key->second.size());
}

int clientHelloCallback(SSL* ssl, int* /*alert*/, void* /*arg*/) {
    auto* state = static_cast<ConnectionState*>(SSL_get_app_data(ssl));
    const unsigned char* ciphers = nullptr;
    const std::size_t length = SSL_client_hello_get0_ciphers(ssl, &ciphers);
    for (std::size_t i = 0; i + 1 < length; i += 2) {
        state->seen.offeredCiphers.push_back(
            static_cast<std::uint16_t>(ciphers[i] << 8 | ciphers[i + 1]));
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

base::Bytes exporter(SSL* ssl, const char* label) {
    base::Bytes out(32);
    if (SSL_export_keying_material(ssl, out.data(), out.size(), label, std::strlen(label), nullptr,
                                   0, 0) != 1) {
        out.clear();
    }
    return out;
}

// Reads one HTTP request (headers and a Content-Length body). False when the peer is gone.
bool readRequest(SSL* ssl) {
    std::string data;
    char buffer[2048];
    std::size_t headerEnd = std::string::npos;
    while ((headerEnd = data.find("\r\n\r\n")) == std::string::npos) {
        const int n = SSL_read(ssl, buffer, sizeof buffer);
        if (n <= 0) {
            return false;
        }
        data.append(buffer, static_cast<std::size_t>(n));
    }
    std::size_t bodyLength = 0;
    std::string lower = data.substr(0, headerEnd);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (const auto at = lower.find("content-length:"); at != std::string::npos) {
        bodyLength = std::stoul(lower.substr(at + 15));
    }
    while (data.size() < headerEnd + 4 + bodyLength) {
        const int n = SSL_read(ssl, buffer, sizeof buffer);
        if (n <= 0) {
            return false;
        }
        data.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

bool writeAll(SSL* ssl, const std::string& text) {
    return SSL_write(ssl, text.data(), static_cast<int>(text.size())) ==
           static_cast<int>(text.size());
}

}  // namespace

PskTestServer::PskTestServer(PskTestServerOptions options) : options_(std::move(options)) {
    listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listenFd_ < 0 ||
        ::bind(listenFd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listenFd_, 8) != 0 ||
        ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error("PskTestServer: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
}

PskTestServer::~PskTestServer() {
    stopping_ = true;
    thread_.join();
    ::close(listenFd_);
}

std::string PskTestServer::url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ServedConnection> PskTestServer::connections() const {
    const std::lock_guard lock(mutex_);
    return connections_;
}

void PskTestServer::run() {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                          &SSL_CTX_free);
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx.get(), options_.cipherList.c_str());
    SSL_CTX_set_psk_server_callback(ctx.get(), &pskServerCallback);
    SSL_CTX_set_client_hello_cb(ctx.get(), &clientHelloCallback, nullptr);
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    if (!options_.extendedMasterSecret) {
        SSL_CTX_set_options(ctx.get(), SSL_OP_NO_EXTENDED_MASTER_SECRET);
    }

    // One thread per connection: a kept-alive connection must not block the next handshake.
    std::vector<std::thread> workers;
    std::mutex fdsMutex;
    std::set<int> fds;
    while (!stopping_) {
        pollfd p{listenFd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) {
            continue;
        }
        const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        timeval timeout{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        {
            const std::lock_guard lock(fdsMutex);
            fds.insert(fd);
        }
        workers.emplace_back([this, fd, sslCtx = ctx.get(), &fdsMutex, &fds] {
            ConnectionState state;
            state.options = &options_;
            SSL* ssl = SSL_new(sslCtx);
            SSL_set_app_data(ssl, &state);
            SSL_set_fd(ssl, fd);
            if (SSL_accept(ssl) == 1) {
                const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
                const char* identity = SSL_get_psk_identity(ssl);
                state.seen.serverName = name != nullptr ? name : "";
                state.seen.identity = identity != nullptr ? identity : "";
                state.seen.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
                state.seen.extendedMasterSecret = SSL_get_extms_support(ssl) == 1;
                state.seen.bootstrapExport = exporter(ssl, "EXPORTER-ETSI-TC-M2M-Bootstrap");
                state.seen.connectionExport = exporter(ssl, "EXPORTER-ETSI-TC-M2M-Connection");
                std::size_t index = 0;
                {
                    const std::lock_guard lock(mutex_);
                    index = connections_.size();
                    connections_.push_back(state.seen);
                }
                std::string head =
                    "HTTP/1.1 200 OK\r\nContent-Type: " + options_.contentType +
                    "\r\nContent-Length: " + std::to_string(options_.responseBody.size()) + "\r\n";
                if (!options_.location.empty()) {
                    head += "Location: " + options_.location + "\r\n";
                }
                const std::string response = head + "\r\n" + options_.responseBody;
                while (!stopping_ && readRequest(ssl) && writeAll(ssl, response)) {
                    const std::lock_guard lock(mutex_);
                    ++connections_[index].requests;
                }
                SSL_shutdown(ssl);
            }
            SSL_free(ssl);
            ERR_clear_error();
            {
                const std::lock_guard lock(fdsMutex);
                fds.erase(fd);
            }
            ::close(fd);
        });
    }
    {
        const std::lock_guard lock(fdsMutex);
        for (const int fd : fds) {
            ::shutdown(fd, SHUT_RDWR);
        }
    }
    for (auto& worker : workers) {
        worker.join();
    }
}

}  // namespace sctest
