// Test support for m2m-netsim (see netsim_support.hpp).
#include "netsim_support.hpp"

#include "securechannel/crypto.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace nstest {

namespace {

Bytes pseudoRandom(std::size_t n, std::uint8_t seed, std::uint8_t salt) {
    // Fixed per test run and distinct per key, so a leak check can grep for each of them.
    Bytes out(n);
    std::uint32_t state = 0x9E3779B9U * (seed + 1U) ^ (salt * 0x85EBCA6BU);
    for (auto& b : out) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        b = static_cast<std::uint8_t>(state);
    }
    return out;
}

}  // namespace

std::string kcv(ByteView key) {
    return base::toHex(securechannel::keyCheckValue(key));
}

namespace {

// A TCP connection to 127.0.0.1:port; -1 (errno set) if it fails. A write to a connection the
// server has closed is then an error return, not the test's death.
int connectLoopback(std::uint16_t port) {
    ::signal(SIGPIPE, SIG_IGN);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        const int error = errno;
        ::close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

// A wait status as a shell shows it: the exit code, or 128 + the signal that killed it.
int exitStatus(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::size_t entriesIn(const std::filesystem::path& directory) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) {
        ++n;
    }
    return n;
}

}  // namespace

std::size_t openFds(int pid) {
    return entriesIn("/proc/" + std::to_string(pid) + "/fd");
}

std::size_t threads(int pid) {
    return entriesIn("/proc/" + std::to_string(pid) + "/task");
}

std::size_t rssKiB(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stoul(line.substr(6));
        }
    }
    throw std::runtime_error("no VmRSS for pid " + std::to_string(pid));
}

RawConnection::RawConnection(std::uint16_t port) : fd_(connectLoopback(port)) {}

RawConnection::~RawConnection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool RawConnection::send(std::string_view bytes) {
    return fd_ >= 0 && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                           static_cast<ssize_t>(bytes.size());
}

bool RawConnection::closedByPeer(std::chrono::milliseconds timeout) {
    if (fd_ < 0) {
        return true;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count()))) <= 0) {
            return false;
        }
        char buffer[4096];
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0) {
            return true;  // EOF, or reset
        }
        // The server's bytes (a TLS alert): keep reading for the close.
    }
}

std::filesystem::path netsimBinary() {
    const char* path = std::getenv("M2M_NETSIM");
    if (path == nullptr || *path == '\0') {
        throw std::runtime_error("M2M_NETSIM is not set (meson test sets it)");
    }
    return path;
}

TestNode TestNode::random(std::uint8_t seed) {
    TestNode n;
    n.nodeId = pseudoRandom(16, seed, 1);
    n.iccid = "89882110000000000" + std::to_string(10 + seed);
    n.kmr = pseudoRandom(32, seed, 2);
    n.kmsa = pseudoRandom(16, seed, 3);
    n.kbs = pseudoRandom(32, seed, 4);
    n.kiv = pseudoRandom(32, seed, 5);
    return n;
}

std::string TestNode::exportJson() const {
    // The form provisioning/src/personalisation.cpp writeExport produces: uppercase hex.
    nlohmann::ordered_json doc = {{"iccid", iccid},          {"node_id", base::toHex(nodeId)},
                                  {"kmr_index", kmrIndex},   {"kmr_expiry_unix", 4102444800LL},
                                  {"kmr", base::toHex(kmr)}, {"kmsa", base::toHex(kmsa)}};
    if (!kbs.empty()) {
        doc["kbs"] = base::toHex(kbs);
    }
    if (!kiv.empty()) {
        doc["kiv"] = base::toHex(kiv);
    }
    if (!imsi.empty()) {
        doc["imsi"] = imsi;
        doc["usim_k"] = base::toHex(usimK);
        doc["usim_opc"] = base::toHex(usimOpc);
    }
    if (!attestationKeyPem.empty()) {
        doc["iv_attestation_public_key"] = attestationKeyPem;
    }
    return doc.dump(2) + "\n";
}

std::vector<std::string> TestNode::keyHexes() const {
    std::vector<std::string> out;
    for (const Bytes* k : {&kmr, &kmsa, &kbs, &kiv, &usimK, &usimOpc}) {
        if (!k->empty()) {
            out.push_back(lowerHex(*k));
            out.push_back(base::toHex(*k));
        }
    }
    return out;
}

NetsimServer::NetsimServer(const std::vector<TestNode>& nodes, ServerOptions options,
                           bool withoutKmr)
    : db_(dir_ / "netsim.db") {
    for (const TestNode& node : nodes) {
        const auto keys = dir_ / (node.nodeHex() + ".json");
        sctest::writeFile(keys, std::string_view(node.exportJson()));
        std::vector<std::string> args = {"import", keys.string()};
        if (withoutKmr) {
            args.push_back("--without-kmr");
        }
        const CommandResult imported = netsim(args);
        if (imported.exitCode != 0) {
            throw std::runtime_error("import failed: " + imported.err);
        }
    }
    const auto ready = dir_ / "ready.json";
    if (options.storeOwner) {
        const auto [uid, gid] = *options.storeOwner;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
            ::chown(entry.path().c_str(), uid, gid);
        }
        ::chown(dir_.path().c_str(), uid, gid);
    }
    std::vector<std::string> argv = options.launcher;
    const std::vector<std::string> serve = {
        netsimBinary().string(), "serve",        "--db",        db_.string(), "--msbf",
        "127.0.0.1:0",           "--connection", "127.0.0.1:0", "--mid",      "127.0.0.1:0",
        "--ready-file",          ready.string()};
    argv.insert(argv.end(), serve.begin(), serve.end());
    argv.insert(argv.end(), options.extraArgs.begin(), options.extraArgs.end());
    const auto logPath = dir_ / "server.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, logPath.c_str(), O_WRONLY | O_APPEND, 0600);
    std::vector<char*> args;
    for (std::string& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        throw std::runtime_error("cannot start m2m-netsim");
    }
    posix_spawn_file_actions_destroy(&actions);
    pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!std::filesystem::exists(ready)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("m2m-netsim serve exited (status " +
                                     std::to_string(exitStatus(status)) + "): " + log());
        }
        if (std::chrono::steady_clock::now() > deadline) {
            stop();  // the destructor will not run
            throw std::runtime_error("m2m-netsim serve did not get ready: " + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto ports = nlohmann::json::parse(readText(ready));
    msbf_ = ports.at("msbf").get<std::uint16_t>();
    connection_ = ports.at("connection").get<std::uint16_t>();
    mid_ = ports.at("mid").get<std::uint16_t>();
    if (ports.contains("bsf")) {
        bsf_ = ports.at("bsf").get<std::uint16_t>();
        bsfHttps_ =
            ports.at("bsf_https").is_null() ? 0 : ports.at("bsf_https").get<std::uint16_t>();
        hlrPid_ = ports.value("hlr_pid", 0);
    }
}

NetsimServer::~NetsimServer() {
    stop();
}

int NetsimServer::stop() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        status_ = exitStatus(status);
        pid_ = -1;
    }
    return status_;
}

bool NetsimServer::running() {
    if (pid_ <= 0) {
        return false;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = exitStatus(status);
        pid_ = -1;
        return false;
    }
    return true;
}

CommandResult NetsimServer::netsim(std::vector<std::string> args) const {
    args.insert(args.begin(), netsimBinary().string());
    args.push_back("--db");
    args.push_back(db_.string());
    return runCommand(args);
}

nlohmann::json NetsimServer::show() const {
    const CommandResult r = netsim({"show", "--json"});
    if (r.exitCode != 0) {
        throw std::runtime_error("show failed: " + r.err);
    }
    return nlohmann::json::parse(r.out);
}

nlohmann::json NetsimServer::nodeState(const TestNode& node) const {
    const nlohmann::json shown = show();
    for (const auto& n : shown.at("nodes")) {
        if (n.at("node_id") == node.nodeHex()) {
            return n;
        }
    }
    throw std::runtime_error("node not in show");
}

std::string NetsimServer::log() const {
    return readText(dir_ / "server.log");
}

nlohmann::json counterOnceAt(const NetsimServer& server, const std::string& endpoint,
                             const std::string& name, int expected,
                             std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        nlohmann::json value = server.show()["counters"][endpoint][name];
        if (value == expected || std::chrono::steady_clock::now() > deadline) {
            return value;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

std::string HttpResponse::header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
}

PskClient::PskClient(std::uint16_t port, std::string identity, Bytes key, std::string cipherList)
    : identity_(std::move(identity)), key_(std::move(key)) {
    fd_ = connectLoopback(port);
    if (fd_ < 0) {
        handshakeError_ = std::string("connect: ") + std::strerror(errno);
        return;
    }
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx_, cipherList.c_str());
    SSL_CTX_set_psk_client_callback(ctx_, &PskClient::pskCallback);
    ssl_ = SSL_new(ctx_);
    SSL_set_app_data(ssl_, this);
    SSL_set_fd(ssl_, fd_);
    ERR_clear_error();
    if (SSL_connect(ssl_) == 1) {
        handshakeOk_ = true;
    } else {
        const unsigned long code = ERR_get_error();
        handshakeError_ = code != 0 ? ERR_reason_error_string(code) : "handshake failed";
        ERR_clear_error();
    }
}

PskClient::~PskClient() {
    if (ssl_ != nullptr) {
        if (handshakeOk_) {
            SSL_shutdown(ssl_);
        }
        SSL_free(ssl_);
    }
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

unsigned int PskClient::pskCallback(SSL* ssl, const char*, char* identity, unsigned int maxIdentity,
                                    unsigned char* psk, unsigned int maxPsk) {
    auto* self = static_cast<PskClient*>(SSL_get_app_data(ssl));
    if (self->identity_.size() + 1 > maxIdentity || self->key_.size() > maxPsk) {
        return 0;
    }
    std::memcpy(identity, self->identity_.c_str(), self->identity_.size() + 1);
    std::memcpy(psk, self->key_.data(), self->key_.size());
    return static_cast<unsigned int>(self->key_.size());
}

Bytes PskClient::exporter(const std::string& label) const {
    Bytes out(32);
    if (SSL_export_keying_material(ssl_, out.data(), out.size(), label.c_str(), label.size(),
                                   nullptr, 0, 0) != 1) {
        throw std::runtime_error("client exporter failed");
    }
    return out;
}

std::string PskClient::cipher() const {
    return SSL_get_cipher_name(ssl_);
}

bool PskClient::send(const std::string& raw) {
    if (!connected()) {
        return false;
    }
    std::size_t done = 0;
    while (done < raw.size()) {
        const int n = SSL_write(ssl_, raw.data() + done, static_cast<int>(raw.size() - done));
        if (n <= 0) {
            ERR_clear_error();
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool PskClient::sendRaw(std::string_view bytes) {
    return fd_ >= 0 && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                           static_cast<ssize_t>(bytes.size());
}

long PskClient::readSome(char* buffer, std::size_t size, std::chrono::milliseconds timeout) {
    if (SSL_pending(ssl_) == 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
            return -2;  // nothing within the timeout
        }
    }
    const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    if (n <= 0) {
        ERR_clear_error();
        return -1;
    }
    return n;
}

std::optional<HttpResponse> PskClient::receive(std::chrono::milliseconds timeout) {
    if (!connected()) {
        return std::nullopt;
    }
    char chunk[16384];
    auto fill = [&] {
        const long n = readSome(chunk, sizeof chunk, timeout);
        if (n <= 0) {
            return false;
        }
        pending_.append(chunk, static_cast<std::size_t>(n));
        return true;
    };
    std::size_t headEnd = 0;
    while ((headEnd = pending_.find("\r\n\r\n")) == std::string::npos) {
        if (!fill()) {
            return std::nullopt;
        }
    }
    HttpResponse r;
    std::istringstream head(pending_.substr(0, headEnd));
    std::string line;
    std::getline(head, line);
    r.status = std::stoi(line.substr(9, 3));
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        std::string name = line.substr(0, colon);
        for (char& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    pending_.erase(0, headEnd + 4);
    const std::size_t length =
        std::stoull(r.header("content-length").empty() ? "0" : r.header("content-length"));
    while (pending_.size() < length) {
        if (!fill()) {
            return std::nullopt;
        }
    }
    r.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return r;
}

std::optional<HttpResponse> PskClient::request(const std::string& method, const std::string& path,
                                               const std::string& body,
                                               const std::string& extraHeaders) {
    std::string raw = method + " " + path + " HTTP/1.1\r\nHost: lab.m2m\r\n";
    if (method == "POST" || method == "PUT" || !body.empty()) {
        raw += "Content-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n";
    }
    raw += extraHeaders + "\r\n" + body;
    if (!send(raw)) {
        return std::nullopt;
    }
    return receive();
}

bool PskClient::closedByPeer(std::chrono::milliseconds timeout) {
    if (!connected()) {
        return true;
    }
    char c = 0;
    return readSome(&c, 1, timeout) == -1;
}

std::pair<Bytes, provisioning::ConnectionParamSet> connect(const NetsimServer& server,
                                                           const TestNode& node, const Bytes& kmr,
                                                           std::uint32_t kmrIndex) {
    PskClient client(server.connection(), node.identity(kmrIndex), kmr);
    if (!client.connected()) {
        throw std::runtime_error("connection handshake failed: " + client.handshakeError());
    }
    const auto r = client.request("POST", "/m2m/connection");
    if (!r || r->status != 200) {
        throw std::runtime_error("POST /m2m/connection failed");
    }
    return {client.exporter(kConnectionLabel), provisioning::parseConnectionParamSet(r->body)};
}

}  // namespace nstest
