// One TLS-PSK connection as a PskServer's handlers see it: who is on the other end (the PSK
// identity and whose key it named), what was negotiated, its exporters, and the two ways a
// handler ends it.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.hpp"
#include "securechannel/tls/server/connection_watchdog.hpp"

namespace securechannel::tls::server {

class PskConnection {
public:
    PskConnection(SSL* ssl, int fd, std::uint64_t id, ConnectionWatchdog& watchdog)
        : ssl_(ssl), fd_(fd), id_(id), watchdog_(watchdog) {}
    PskConnection(const PskConnection&) = delete;
    PskConnection& operator=(const PskConnection&) = delete;

    // Unique within the process.
    [[nodiscard]] std::uint64_t id() const { return id_; }
    // As the client sent it (not printable-safe: log it through base::printable).
    [[nodiscard]] const std::string& identity() const { return identity_; }
    // Whose key the identity named, as the key lookup said (the netsim: the node id).
    [[nodiscard]] const std::string& owner() const { return owner_; }
    [[nodiscard]] const std::string& cipher() const { return cipher_; }
    [[nodiscard]] std::uint16_t cipherSuite() const { return cipherSuite_; }     // IANA code
    [[nodiscard]] const std::string& serverName() const { return serverName_; }  // SNI
    [[nodiscard]] bool extendedMasterSecret() const { return extendedMasterSecret_; }
    // The ClientHello's suites, in order.
    [[nodiscard]] const std::vector<std::uint16_t>& offeredCiphers() const { return offered_; }

    // RFC 5705 exporter of this session, no context.
    [[nodiscard]] base::SecretBuffer exportKey(std::string_view label,
                                               std::size_t length = 32) const;

    // A note for the log line of the request being answered (a fault, a refusal's reason).
    void setNote(std::string note) { note_ = std::move(note); }
    [[nodiscard]] const std::string& note() const { return note_; }

    // The answer being prepared is the last: the connection ends once it has been sent.
    void closeAfterAnswer() { closeAfterAnswer_ = true; }
    // Ends the connection now; the request being handled gets no answer.
    void closeUnanswered() {
        unanswered_ = true;
        watchdog_.end(id_, ConnectionWatchdog::Ending::Server);
    }

private:
    friend class PskServer;

    SSL* ssl_;
    int fd_;
    std::uint64_t id_;
    ConnectionWatchdog& watchdog_;
    std::string identity_;
    std::string owner_;
    std::string cipher_;
    std::uint16_t cipherSuite_ = 0;
    std::string serverName_;
    bool extendedMasterSecret_ = false;
    std::vector<std::uint16_t> offered_;

    // Handshake outcome, for the report once the connection is gone.
    bool handshakeDone_ = false;
    bool refused_ = false;
    std::string alert_;  // the fatal alert sent or received, with OpenSSL's reason
    ConnectionWatchdog::Ending ending_ = ConnectionWatchdog::Ending::None;
    ConnectionWatchdog::Phase endPhase_ = ConnectionWatchdog::Phase::Handshake;

    // The request being served; reset after each answer.
    bool headChecked_ = false;
    bool closeAfterAnswer_ = false;
    bool unanswered_ = false;
    std::string note_;
};

}  // namespace securechannel::tls::server
