// osmo-hlr as the lab network's AuC: `m2m-netsim serve --auc osmo-hlr` starts it as a child with
// a configuration and a database of its own (in --hlr-dir, kept across restarts so the SQNs
// are), on a loopback address of its own, and stops it at exit. A subscriber's K and OPc reach it
// through its VTY (telnet on loopback), never through a file or a log.
//
// osmo-hlr 1.5 listens for GSUP on port 4222 and for its control interface on 4259, neither of
// which it lets one configure: two lab networks on one machine (parallel tests) therefore each
// run theirs on another address of 127.0.0.0/8; the VTY port is configurable.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "auc.hpp"
#include "base/bytes.hpp"

namespace netsim {

inline constexpr std::uint16_t kOsmoHlrGsupPort = 4222;  // fixed in osmo-hlr 1.5
inline constexpr std::uint16_t kOsmoHlrCtrlPort = 4259;  // fixed in osmo-hlr 1.5
inline constexpr std::uint16_t kOsmoHlrVtyPort = 4258;

struct OsmoHlrOptions {
    std::filesystem::path binary = "osmo-hlr";  // looked up on PATH
    std::filesystem::path dir;                  // osmo-hlr.cfg, hlr.db, osmo-hlr.log
    std::string address;                        // empty: a free one of 127.0.0.0/8 is picked
    std::uint16_t vtyPort = kOsmoHlrVtyPort;
};

class OsmoHlr {
public:
    // Writes the configuration, starts osmo-hlr (it dies with this process: PR_SET_PDEATHSIG)
    // and waits until its VTY answers. AucUnreachable if it does not start.
    explicit OsmoHlr(OsmoHlrOptions options);
    OsmoHlr(const OsmoHlr&) = delete;
    OsmoHlr& operator=(const OsmoHlr&) = delete;
    // SIGTERM, then SIGKILL after 3 s; reaped.
    ~OsmoHlr();

    [[nodiscard]] const std::string& address() const { return options_.address; }
    [[nodiscard]] std::uint16_t gsupPort() const { return kOsmoHlrGsupPort; }
    [[nodiscard]] std::uint16_t vtyPort() const { return options_.vtyPort; }
    [[nodiscard]] pid_t pid() const { return pid_; }

    // Creates the subscriber if osmo-hlr does not have it; sets its Milenage K and OPc
    // (ind-bitlen 5) if it was created now or `update` is set (a card personalised again).
    // Returns whether the keys were written. AucError on a VTY refusal.
    bool provision(const std::string& imsi, base::ByteView k, base::ByteView opc, bool update);

private:
    void start();
    void stopChild();

    OsmoHlrOptions options_;
    pid_t pid_ = -1;
};

// Whether `address:port` can be bound now (nothing listens there).
[[nodiscard]] bool loopbackPortFree(const std::string& address, std::uint16_t port);

}  // namespace netsim
