// `openssl s_server` as an independent TLS peer, started and stopped by a test: the Debian
// OpenSSL command knows nothing of this project's code, so a handshake with it checks the
// card-held-PSK client against the standard. Header-only: the integration tests use it too.
//
// Without -www, s_server answers nothing by itself; autoReply() makes it send a canned HTTP
// response after each handshake (it prints "Keying material" only in that mode).
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tlstest {

// A TCP port on 127.0.0.1 that nothing listens on right now.
inline int freeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        throw std::runtime_error("socket() failed");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        throw std::runtime_error("bind() on 127.0.0.1:0 failed");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

class OpensslServer {
public:
    // `args` follow "openssl s_server"; "-accept 127.0.0.1:PORT" is added. Returns once the
    // server listens ("ACCEPT"); throws if it does not start within a few seconds.
    explicit OpensslServer(std::vector<std::string> args, std::string openssl = "openssl") {
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = freeLoopbackPort();
            start(args, openssl);
            if (waitFor("ACCEPT", std::chrono::seconds(10))) {
                return;
            }
            const std::string out = output();
            stop();
            if (out.find("bind") == std::string::npos) {  // not a port race: give up
                throw std::runtime_error("openssl s_server did not start: " + out);
            }
        }
        throw std::runtime_error("openssl s_server: no free port");
    }
    ~OpensslServer() { stop(); }
    OpensslServer(const OpensslServer&) = delete;
    OpensslServer& operator=(const OpensslServer&) = delete;

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string url(std::string_view path = "/") const {
        return "https://127.0.0.1:" + std::to_string(port_) + std::string(path);
    }

    // stdout and stderr so far.
    [[nodiscard]] std::string output() const {
        const std::lock_guard lock(mutex_);
        return output_;
    }

    bool waitFor(std::string_view text, std::chrono::milliseconds timeout) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] {
            return output_.find(text) != std::string::npos || finished_;
        }) && output_.find(text) != std::string::npos;
    }

    // After every "CIPHER is" line (one per handshake), `reply` goes to s_server's stdin and
    // from there to the client.
    void autoReply(std::string reply) {
        const std::lock_guard lock(mutex_);
        reply_ = std::move(reply);
        replyIfDue();
    }

    // The last "Keying material: HEX" s_server printed (-keymatexport), uppercase hex.
    [[nodiscard]] std::optional<std::string> keyingMaterial() const {
        return lastMatch(R"(Keying material: ([0-9A-F]+))");
    }
    // The last "Shared ciphers:..." line: the client's offer, intersected with s_server's.
    [[nodiscard]] std::optional<std::string> sharedCiphers() const {
        return lastMatch(R"(Shared ciphers:(\S+))");
    }

private:
    std::optional<std::string> lastMatch(const char* pattern) const {
        const std::string out = output();
        const std::regex re(pattern);
        std::optional<std::string> last;
        for (auto it = std::sregex_iterator(out.begin(), out.end(), re);
             it != std::sregex_iterator(); ++it) {
            last = (*it)[1].str();
        }
        return last;
    }

    void start(const std::vector<std::string>& args, const std::string& openssl) {
        std::vector<std::string> argv{openssl, "s_server"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.push_back("-accept");
        argv.push_back("127.0.0.1:" + std::to_string(port_));
        std::vector<char*> cargv;
        for (auto& a : argv) {
            cargv.push_back(a.data());
        }
        cargv.push_back(nullptr);

        int in[2];
        int out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe() failed");
        }
        {
            const std::lock_guard lock(mutex_);
            output_.clear();
            finished_ = false;
            replies_ = 0;
        }
        pid_ = ::fork();
        if (pid_ < 0) {
            throw std::runtime_error("fork() failed");
        }
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            ::dup2(out[1], 2);
            ::execvp(cargv[0], cargv.data());
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        stdin_ = in[1];
        reader_ = std::thread([this, fd = out[0]] { readLoop(fd); });
    }

    void readLoop(int fd) {
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            const std::lock_guard lock(mutex_);
            if (n <= 0) {
                finished_ = true;
                changed_.notify_all();
                break;
            }
            output_.append(buffer, static_cast<std::size_t>(n));
            replyIfDue();
            changed_.notify_all();
        }
        ::close(fd);
    }

    // Under mutex_.
    void replyIfDue() {
        if (reply_.empty() || stdin_ < 0) {
            return;
        }
        std::size_t handshakes = 0;
        for (auto at = output_.find("CIPHER is"); at != std::string::npos;
             at = output_.find("CIPHER is", at + 1)) {
            ++handshakes;
        }
        for (; replies_ < handshakes; ++replies_) {
            std::size_t written = 0;
            while (written < reply_.size()) {
                const ssize_t n = ::write(stdin_, reply_.data() + written, reply_.size() - written);
                if (n <= 0) {
                    return;
                }
                written += static_cast<std::size_t>(n);
            }
        }
    }

    void stop() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
        {
            const std::lock_guard lock(mutex_);
            if (stdin_ >= 0) {
                ::close(stdin_);
                stdin_ = -1;
            }
        }
        if (reader_.joinable()) {
            reader_.join();
        }
    }

    int port_ = 0;
    pid_t pid_ = -1;
    int stdin_ = -1;
    std::thread reader_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::string output_;
    bool finished_ = false;
    std::string reply_;
    std::size_t replies_ = 0;
};

// An HTTP/1.1 response for autoReply(): the connection closes after it (s_server cannot parse
// requests, so it cannot keep one alive).
inline std::string httpReply(std::string_view body = "ok") {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

}  // namespace tlstest
