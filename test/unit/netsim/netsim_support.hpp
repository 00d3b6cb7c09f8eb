// Test support for m2m-netsim: the real binary started on ports the OS picks, a small TLS-PSK
// client on OpenSSL (so a test can compute the exporter the server should have used), and
// running commands such as `openssl s_client` as an independent peer.
#pragma once

#include <openssl/ssl.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../secure-channel/test_support.hpp"
#include "provisioning/param_sets.hpp"
#include "securechannel/types.hpp"

namespace nstest {

using base::Bytes;
using base::ByteView;

// Temporary directories, commands and lowercase hex: the secure-channel tests' helpers.
using sctest::CommandResult;
using sctest::readText;
using sctest::runCommand;
using sctest::TempDir;
inline std::string lowerHex(ByteView bytes) {
    return sctest::toHex(bytes);
}

std::filesystem::path netsimBinary();

// A node as `m2m provision --export-keys` would export it.
struct TestNode {
    Bytes nodeId;
    std::string iccid = "8988211000000000001";
    std::uint32_t kmrIndex = 1;
    Bytes kmr;
    Bytes kmsa;
    Bytes kbs;
    Bytes kiv;
    // The USIM's subscription (GBA): exported when `imsi` is set.
    std::string imsi;
    Bytes usimK;
    Bytes usimOpc;
    // The IV-SED's attestation public key (PEM): exported as iv_attestation_public_key when set.
    std::string attestationKeyPem;

    static TestNode random(std::uint8_t seed);
    [[nodiscard]] std::string nodeHex() const { return lowerHex(nodeId); }
    [[nodiscard]] std::string kbsIdentity() const { return nodeHex() + ".bootstrap"; }
    [[nodiscard]] std::string identity(std::uint32_t index) const {
        return nodeHex() + "." + std::to_string(index);
    }
    [[nodiscard]] std::string exportJson() const;
    [[nodiscard]] std::vector<std::string> keyHexes() const;  // every key, both cases
};

struct ServerOptions {
    std::vector<std::string> extraArgs;  // e.g. {"--registration-lifetime", "2"}
    // `serve` runs under this command, looked up on PATH (e.g. {"prlimit", "--as=N", "--"}); it
    // must exec the server in its own process, so that pid() is the server's.
    std::vector<std::string> launcher{};
    // The store's directory and files are handed to this user and group before `serve` starts
    // (for a launcher that drops to that user).
    std::optional<std::pair<uid_t, gid_t>> storeOwner{};
};

// `m2m-netsim serve` on 127.0.0.1 port 0 ×3, over a store in a fresh directory.
class NetsimServer {
public:
    explicit NetsimServer(const std::vector<TestNode>& nodes, ServerOptions options = {},
                          bool withoutKmr = false);
    NetsimServer(const NetsimServer&) = delete;
    NetsimServer& operator=(const NetsimServer&) = delete;
    ~NetsimServer();

    [[nodiscard]] std::uint16_t msbf() const { return msbf_; }
    [[nodiscard]] std::uint16_t connection() const { return connection_; }
    [[nodiscard]] std::uint16_t mid() const { return mid_; }
    [[nodiscard]] const std::filesystem::path& db() const { return db_; }
    [[nodiscard]] int pid() const { return pid_; }
    // With --bsf: the Ub ports, and osmo-hlr's pid when it is the AuC (0 otherwise).
    [[nodiscard]] std::uint16_t bsf() const { return bsf_; }
    [[nodiscard]] std::uint16_t bsfHttps() const { return bsfHttps_; }
    [[nodiscard]] int hlrPid() const { return hlrPid_; }
    [[nodiscard]] const TempDir& dir() const { return dir_; }

    // `m2m-netsim ARGS... --db DB`.
    CommandResult netsim(std::vector<std::string> args) const;
    nlohmann::json show() const;
    nlohmann::json nodeState(const TestNode& node) const;
    // SIGTERM and wait; returns the exit status (128 + N: killed by signal N). Idempotent.
    int stop();
    // Whether the server process is still there (not exited, not killed).
    [[nodiscard]] bool running();
    // Everything the server wrote to stderr so far.
    [[nodiscard]] std::string log() const;

private:
    TempDir dir_;
    std::filesystem::path db_;
    int pid_ = -1;
    int status_ = -1;
    std::uint16_t msbf_ = 0, connection_ = 0, mid_ = 0, bsf_ = 0, bsfHttps_ = 0;
    int hlrPid_ = 0;
};

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;
    [[nodiscard]] std::string header(const std::string& name) const;
};

// A TLS 1.2 PSK client connection, with the client's own exporter for comparisons.
class PskClient {
public:
    PskClient(std::uint16_t port, std::string identity, Bytes key,
              std::string cipherList =
                  "PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256:"
                  "PSK-AES128-CBC-SHA");
    PskClient(const PskClient&) = delete;
    PskClient& operator=(const PskClient&) = delete;
    ~PskClient();

    [[nodiscard]] bool connected() const { return ssl_ != nullptr && handshakeOk_; }
    // The OpenSSL reason of a failed handshake, e.g. "tlsv1 alert unknown psk identity".
    [[nodiscard]] const std::string& handshakeError() const { return handshakeError_; }
    [[nodiscard]] Bytes exporter(const std::string& label) const;
    [[nodiscard]] std::string cipher() const;

    bool send(const std::string& raw);
    // Bytes straight onto the socket, under TLS (a forged or partial record).
    bool sendRaw(std::string_view bytes);
    // Reads one response; nullopt if the connection closed before a complete one.
    std::optional<HttpResponse> receive(
        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    std::optional<HttpResponse> request(const std::string& method, const std::string& path,
                                        const std::string& body = {},
                                        const std::string& extraHeaders = {});
    // True if the server closed the connection (EOF or error) within `timeout`.
    bool closedByPeer(std::chrono::milliseconds timeout);

private:
    static unsigned int pskCallback(SSL* ssl, const char* hint, char* identity,
                                    unsigned int maxIdentity, unsigned char* psk,
                                    unsigned int maxPsk);
    long readSome(char* buffer, std::size_t size, std::chrono::milliseconds timeout);

    std::string identity_;
    Bytes key_;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    int fd_ = -1;
    bool handshakeOk_ = false;
    std::string handshakeError_;
    std::string pending_;
};

inline constexpr const char* kConnectionLabel = "EXPORTER-ETSI-TC-M2M-Connection";

// A service connection with Kmr (POST /m2m/connection); returns the new Kmc (the client's
// exporter) and the parameters. std::runtime_error if it does not succeed.
std::pair<Bytes, provisioning::ConnectionParamSet> connect(const NetsimServer& server,
                                                           const TestNode& node, const Bytes& kmr,
                                                           std::uint32_t kmrIndex);

// OpenSSL's reason on the client when the server does not know its PSK identity.
inline constexpr const char* kUnknownPsk = "tlsv1 alert unknown psk identity";

// A counter of `show`, once it has reached `expected` (or after `timeout`): the server counts a
// connection it closed only after the client has seen the close.
nlohmann::json counterOnceAt(const NetsimServer& server, const std::string& endpoint,
                             const std::string& name, int expected,
                             std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Key check value as `show` reports it: first 3 bytes of AES-256-ECB(key, 0^16), uppercase hex.
std::string kcv(ByteView key);

// Open file descriptors, threads and resident memory of a process (from /proc).
std::size_t openFds(int pid);
std::size_t threads(int pid);
std::size_t rssKiB(int pid);

// A plain TCP connection to 127.0.0.1:port that says nothing unless told (no TLS): an idle or
// trickling client. Closed on destruction.
class RawConnection {
public:
    explicit RawConnection(std::uint16_t port);
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;
    ~RawConnection();
    [[nodiscard]] bool connected() const { return fd_ >= 0; }
    bool send(std::string_view bytes);
    // True if the peer closed (EOF or reset) within `timeout`.
    bool closedByPeer(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
};

}  // namespace nstest
