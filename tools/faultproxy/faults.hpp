// The faults the proxy injects and the control lines that ask for them (README.md): what a
// fault is, how one connection counts its way to the point where a fault acts, and the board
// that holds the armed fault for every connection to see.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls_records.hpp"

namespace faultproxy {

enum class Direction { FromClient, FromServer };

struct FaultSpec {
    enum class Kind {
        Reset,     // RST both sockets
        Truncate,  // FIN both sockets (the server's data ends early, cleanly)
        Delay,     // hold this direction's data for `delay` from then on
    };
    Kind kind = Kind::Reset;
    Direction direction = Direction::FromServer;
    // It acts at the first counted byte past this many: that byte and the rest are not
    // forwarded (Reset, Truncate) or are held (Delay).
    std::uint64_t after = 0;
    std::chrono::milliseconds delay{0};
    bool dataOnly = false;  // count only TLS application-data bytes (tls_records.hpp)
    unsigned times = 1;     // how many connections it acts on before it is spent

    [[nodiscard]] std::string text() const;  // the control line that arms it
};

struct Command {
    enum class Kind { Pass, Refuse, Cut, Arm, Status };
    Kind kind = Kind::Status;
    FaultSpec fault;  // with Arm
};

// One control line (README.md); std::invalid_argument says what is wrong with it.
[[nodiscard]] Command parseCommand(std::string_view line);

// The fault as a connection sees it: the spec and the arming it belongs to.
struct ArmedFault {
    FaultSpec spec;
    std::uint64_t generation = 0;
};

// How far one connection, in one direction, has come towards the armed fault: counted bytes
// since that fault was armed (a new arming starts the count again).
class FaultCounter {
public:
    // The offset in the chunk described by `spans` at which `fault` acts, if it does in it.
    std::optional<std::size_t> advance(const ArmedFault& fault, const std::vector<Span>& spans);

private:
    std::uint64_t generation_ = 0;
    std::uint64_t counted_ = 0;
};

// The armed fault and what the faults did, shared by every connection (thread-safe).
class FaultBoard {
public:
    void arm(const FaultSpec& spec);
    void clear();
    [[nodiscard]] std::optional<ArmedFault> current() const;
    // A connection reached the fault of `generation`: true if it is still to act (it then
    // counts as one of its `times`), false if other connections spent it meanwhile.
    bool claim(std::uint64_t generation);

    struct Counters {
        std::uint64_t resets = 0, truncations = 0, delays = 0;
    };
    [[nodiscard]] Counters counters() const;
    // The armed fault's control line and how many connections it may still act on.
    [[nodiscard]] std::optional<std::pair<std::string, unsigned>> describe() const;

private:
    mutable std::mutex mutex_;
    std::optional<FaultSpec> armed_;
    std::uint64_t generation_ = 0;
    unsigned remaining_ = 0;
    Counters counters_;
};

}  // namespace faultproxy
