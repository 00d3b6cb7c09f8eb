// osmo-hlr started, provisioned over its VTY and stopped (see osmo_hlr.hpp).
#include "osmo_hlr.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "base/log.hpp"
#include "base/scope_exit.hpp"
#include "base/secret.hpp"

namespace netsim {

namespace {

using namespace std::chrono_literals;

int connectTo(const std::string& address, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &to.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// An address of 127.0.0.0/8 where osmo-hlr's fixed ports and the VTY port are free. The third
// octet comes from the process id so that parallel lab networks start apart.
std::string pickAddress(std::uint16_t vtyPort) {
    const unsigned base = static_cast<unsigned>(::getpid());
    for (unsigned i = 0; i < 64; ++i) {
        const std::string address = "127.42." + std::to_string((base + i) % 250 + 1) + "." +
                                    std::to_string((base / 250 + i) % 250 + 1);
        if (loopbackPortFree(address, kOsmoHlrGsupPort) &&
            loopbackPortFree(address, kOsmoHlrCtrlPort) && loopbackPortFree(address, vtyPort)) {
            return address;
        }
    }
    throw AucUnreachable("no loopback address with ports 4222, 4259 and " +
                         std::to_string(vtyPort) + " free for osmo-hlr");
}

// What one VTY answer may take: osmo-hlr's answers to the commands below are a few lines.
constexpr std::size_t kVtyAnswerBytes = 16 * 1024;

// The VTY's telnet session: everything up to `prompt` (option negotiation bytes included, which
// are ignored), read straight into `into`, because the VTY echoes every command line, the one with
// the keys too. A view of `into`, valid until the next read; empty on a timeout, a closed
// connection or an answer longer than `into`.
std::string_view readUntil(int fd, std::string_view prompt, std::chrono::milliseconds timeout,
                           base::SecretBuffer& into) {
    std::size_t used = 0;
    const auto got = [&] {
        return std::string_view(reinterpret_cast<const char*>(into.data()), used);
    };
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got().find(prompt) == std::string_view::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (used == into.size() || left.count() <= 0 ||
            ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            return {};
        }
        const ssize_t n = ::read(fd, into.data() + used, into.size() - used);
        if (n <= 0) {
            return {};
        }
        used += static_cast<std::size_t>(n);
    }
    return got();
}

// One VTY command (it may hold keys: sent from a SecretBuffer) and osmo-hlr's answer up to the
// next prompt, in `answer` (see readUntil). AucError if it never comes.
std::string_view command(int fd, base::ByteView line, base::SecretBuffer& answer) {
    if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()) ||
        ::send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
        throw AucUnreachable("osmo-hlr VTY: write failed");
    }
    const std::string_view got = readUntil(fd, "OsmoHLR# ", 5s, answer);
    if (got.empty()) {
        throw AucUnreachable("osmo-hlr VTY: no prompt after a command");
    }
    return got;
}

std::string_view command(int fd, std::string_view line, base::SecretBuffer& answer) {
    return command(fd,
                   base::ByteView(reinterpret_cast<const std::uint8_t*>(line.data()), line.size()),
                   answer);
}

// Appends `text` to a secret line.
void append(base::SecretBuffer& line, std::size_t& used, std::string_view text) {
    std::memcpy(line.data() + used, text.data(), text.size());
    used += text.size();
}

// Appends `key` as lowercase hex, written straight into the secret line.
void appendHex(base::SecretBuffer& line, std::size_t& used, base::ByteView key) {
    static constexpr char kDigits[] = "0123456789abcdef";
    for (const std::uint8_t b : key) {
        line.data()[used++] = static_cast<std::uint8_t>(kDigits[b >> 4]);
        line.data()[used++] = static_cast<std::uint8_t>(kDigits[b & 0x0F]);
    }
}

}  // namespace

bool loopbackPortFree(const std::string& address, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    const base::ScopeExit closeIt([fd] { ::close(fd); });
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &at.sin_addr) != 1) {
        return false;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    return ::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0;
}

OsmoHlr::OsmoHlr(OsmoHlrOptions options) : options_(std::move(options)) {
    if (options_.address.empty()) {
        options_.address = pickAddress(options_.vtyPort);
    } else if (options_.address.rfind("127.", 0) != 0) {
        throw AucError("osmo-hlr must listen on loopback (127.0.0.0/8), not " + options_.address);
    }
    std::filesystem::create_directories(options_.dir);
    std::filesystem::permissions(options_.dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
    {
        std::ofstream cfg(options_.dir / "osmo-hlr.cfg", std::ios::trunc);
        const std::string& a = options_.address;
        cfg << "! written by m2m-netsim serve --auc osmo-hlr\n"
               "log stderr\n logging filter all 1\n logging color 0\n logging print category 1\n"
               " logging print extended-timestamp 1\n logging level set-all notice\n"
               "line vty\n bind "
            << a << " " << options_.vtyPort << "\nctrl\n bind " << a << "\nhlr\n gsup\n  bind ip "
            << a << "\n";
        if (!cfg) {
            throw AucError("cannot write " + (options_.dir / "osmo-hlr.cfg").string());
        }
    }
    start();
}

OsmoHlr::~OsmoHlr() {
    stopChild();
}

void OsmoHlr::start() {
    const std::string binary = options_.binary.string();
    const std::string cfg = (options_.dir / "osmo-hlr.cfg").string();
    const std::string db = (options_.dir / "hlr.db").string();
    const std::string log = (options_.dir / "osmo-hlr.log").string();
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
        throw AucUnreachable(std::string("fork for osmo-hlr: ") + std::strerror(errno));
    }
    if (pid_ == 0) {
        // The child: osmo-hlr dies with the lab network, takes signals again (serve blocks them
        // for sigwait) and sees none of the parent's descriptors.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        const int in = ::open("/dev/null", O_RDONLY);
        const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (in < 0 || out < 0) {
            ::_exit(127);
        }
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::close_range(3, ~0U, 0);
        ::execlp(binary.c_str(), binary.c_str(), "-c", cfg.c_str(), "-l", db.c_str(),
                 static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // Ready once its VTY accepts (it opens the database and the GSUP port before the VTY).
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw AucUnreachable("osmo-hlr (" + binary + ") exited at start; see " + log);
        }
        const int fd = connectTo(options_.address, options_.vtyPort);
        if (fd >= 0) {
            ::close(fd);
            base::log::kNetsim->info("osmo-hlr pid {}: GSUP {}:{}, VTY {}:{}, database {}", pid_,
                                     options_.address, kOsmoHlrGsupPort, options_.address,
                                     options_.vtyPort, db);
            return;
        }
        std::this_thread::sleep_for(50ms);
    }
    stopChild();
    throw AucUnreachable("osmo-hlr did not open its VTY within 10 s; see " + log);
}

void OsmoHlr::stopChild() {
    if (pid_ <= 0) {
        return;
    }
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(20ms);
    }
    pid_ = -1;
}

bool OsmoHlr::provision(const std::string& imsi, base::ByteView k, base::ByteView opc,
                        bool update) {
    if (imsi.size() < 6 || imsi.size() > 15 ||
        imsi.find_first_not_of("0123456789") != std::string::npos || k.size() != 16 ||
        opc.size() != 16) {
        throw AucError("a subscriber needs an IMSI of digits, K and OPc of 16 bytes");
    }
    const int fd = connectTo(options_.address, options_.vtyPort);
    if (fd < 0) {
        throw AucUnreachable("osmo-hlr VTY at " + options_.address + ":" +
                             std::to_string(options_.vtyPort) + " refused the connection");
    }
    const base::ScopeExit closeIt([fd] { ::close(fd); });
    base::SecretBuffer answer(kVtyAnswerBytes);
    if (readUntil(fd, "OsmoHLR> ", 5s, answer).empty()) {
        throw AucUnreachable("osmo-hlr VTY: no prompt");
    }
    command(fd, "enable", answer);
    const std::string_view created = command(fd, "subscriber imsi " + imsi + " create", answer);
    const bool isNew = created.find("% Created subscriber") != std::string_view::npos;
    if (!isNew && created.find("already exists") == std::string_view::npos) {
        throw AucError("osmo-hlr VTY refused to create subscriber " + imsi);
    }
    if (!isNew && !update) {
        return false;
    }
    // "subscriber imsi I update aud3g milenage k K opc OPC ind-bitlen 5" in locked memory.
    const std::string head = "subscriber imsi " + imsi + " update aud3g milenage k ";
    base::SecretBuffer line(head.size() + 32 + 5 + 32 + 13);
    std::size_t used = 0;
    append(line, used, head);
    appendHex(line, used, k);
    append(line, used, " opc ");
    appendHex(line, used, opc);
    append(line, used, " ind-bitlen 5");
    // The VTY echoes the line, keys included: read into `answer`, locked and wiped like `line`.
    if (command(fd, base::ByteView(line.data(), used), answer).find('%') !=
        std::string_view::npos) {
        throw AucError("osmo-hlr VTY refused the 3G keys of subscriber " + imsi);
    }
    base::log::kNetsim->info("osmo-hlr: subscriber {} {} (Milenage, ind-bitlen 5)", imsi,
                             isNew ? "created" : "keys updated");
    return true;
}

}  // namespace netsim
