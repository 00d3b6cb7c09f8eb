// The in-test TLS-PSK server on the lab network's server component (see psk_test_server.hpp).
#include "psk_test_server.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "securechannel/tls/server/psk_server.hpp"

namespace sctest {

namespace {

base::Bytes exported(const securechannel::tls::server::PskConnection& connection,
                     const char* label) {
    const base::SecretBuffer key = connection.exportKey(label);
    return base::Bytes(key.view().begin(), key.view().end());
}

// A fresh P-256 key and a self-signed certificate for it, installed in `ctx`.
bool installCertificate(SSL_CTX& ctx) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* certificate = X509_new();
    bool ok = key != nullptr && certificate != nullptr;
    if (ok) {
        X509_set_version(certificate, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
        X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
        X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
        X509_NAME* name = X509_get_subject_name(certificate);
        const std::string commonName = "localhost";
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(commonName.c_str()), -1,
                                   -1, 0);
        ok = X509_set_issuer_name(certificate, name) == 1 &&
             X509_set_pubkey(certificate, key) == 1 &&
             X509_sign(certificate, key, EVP_sha256()) > 0 &&
             SSL_CTX_use_certificate(&ctx, certificate) == 1 &&
             SSL_CTX_use_PrivateKey(&ctx, key) == 1;
    }
    X509_free(certificate);
    EVP_PKEY_free(key);
    return ok;
}

}  // namespace

PskTestServer::PskTestServer(PskTestServerOptions options) : options_(std::move(options)) {
    securechannel::tls::server::PskServerConfig config;
    config.extendedMasterSecret = options_.extendedMasterSecret;
    config.cipherList = options_.cipherList;
    if (options_.certificateOnly) {
        config.cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256";
        config.configureContext = &installCertificate;
    }
    config.lookup = [this](const std::string& identity,
                           std::uint16_t) -> std::optional<securechannel::tls::server::PskKey> {
        const auto key = options_.keys.find(identity);
        if (key == options_.keys.end()) {
            return std::nullopt;
        }
        return securechannel::tls::server::PskKey{"", base::SecretBuffer::copyOf(key->second)};
    };
    config.events.handshake = [this](const securechannel::tls::server::PskConnection& connection) {
        ServedConnection seen;
        seen.offeredCiphers = connection.offeredCiphers();
        seen.serverName = connection.serverName();
        seen.identity = connection.identity();
        seen.cipher = connection.cipher();
        seen.extendedMasterSecret = connection.extendedMasterSecret();
        seen.bootstrapExport = exported(connection, "EXPORTER-ETSI-TC-M2M-Bootstrap");
        seen.connectionExport = exported(connection, "EXPORTER-ETSI-TC-M2M-Connection");
        const std::lock_guard lock(mutex_);
        indexOf_[connection.id()] = connections_.size();
        connections_.push_back(std::move(seen));
    };
    config.events.handshakeFailed = [this](const securechannel::tls::server::PskConnection&,
                                           const std::string&) {
        {
            const std::lock_guard lock(mutex_);
            ++handshakeFailures_;
        }
        failed_.notify_all();
    };
    config.handler = [this](const httplib::Request&, httplib::Response& response,
                            securechannel::tls::server::PskConnection& connection) {
        response.status = 200;
        response.set_content(options_.responseBody, options_.contentType);
        if (!options_.location.empty()) {
            response.set_header("Location", options_.location);
        }
        const std::lock_guard lock(mutex_);
        ++connections_.at(indexOf_.at(connection.id())).requests;
    };
    server_ = std::make_unique<securechannel::tls::server::PskServer>(std::move(config));
    port_ = server_->port();
}

PskTestServer::~PskTestServer() = default;

std::string PskTestServer::url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ServedConnection> PskTestServer::connections() const {
    const std::lock_guard lock(mutex_);
    return connections_;
}

unsigned PskTestServer::handshakeFailures(unsigned atLeast,
                                          std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    failed_.wait_for(lock, timeout, [&] { return handshakeFailures_ >= atLeast; });
    return handshakeFailures_;
}

}  // namespace sctest
