// Secure time (agent/GATEWAY.md §4): a time the agent can trust, and how far its local clock is
// off. Samples of the NSCL's time come over the mId link, authenticated by TLS-PSK with Kmc: the
// answer to GET {nscl}/time and the `iat` of every decision the card verified. A sample's offset
// is the server's time minus the local midpoint of the exchange; its uncertainty half the round
// trip plus the server's one-second resolution. With source "chrony" the local clock itself is
// secure while chronyd is synchronised to an NTS-authenticated source.
//
// The agent judges lifetimes (Kmr, Kmc, registration, challenge, decision) with now(), and waits
// on the local clock with deadlines converted by toLocal(): the local clock's progress is trusted,
// its reading is not.
//
// Thread-safe: the gateway's listeners read now() (as its SecureClock) while the agent's thread
// takes samples.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "agent/chrony.hpp"
#include "agent/clock.hpp"
#include "agent/config.hpp"
#include "agent/status.hpp"

namespace agent {

class SecureTime {
public:
    // Reads chronyd (source "chrony"); tests pass their own. Throws ChronyUnavailable or
    // ChronyOutputError.
    using ChronyReader = std::function<ChronyState()>;

    SecureTime(AgentClock& clock, TimeConfig config, ChronyReader chrony = {});

    // A sample of the server's time `server`, asked for at local `sent` and answered at local
    // `received` (both from the same AgentClock). `what` names it in the log ("mId time",
    // "decision iat"). A sample is taken unless the current one is more precise and younger than
    // resync_s.
    void sample(Clock::time_point server, Clock::time_point sent, Clock::time_point received,
                std::string_view what);
    // Source "chrony": asks chronyd now. Unavailable or not synchronised to an NTS source: the
    // network's samples decide (the status says why). No-op for the other sources.
    void checkChrony();
    // Whether the agent should ask the network for a sample: source network, or chrony not
    // trusted.
    [[nodiscard]] bool wantsNetworkSample() const;

    // A secure time is known (source network or chrony's fallback: a sample; chrony: an
    // NTS-synchronised chronyd). Never for source "local".
    [[nodiscard]] bool synchronised() const;
    // Secure time minus local time (zero when not synchronised or when chrony is trusted).
    [[nodiscard]] Clock::duration offset() const;
    [[nodiscard]] Clock::duration uncertainty() const;
    // Synchronised and |offset| <= tolerance_s.
    [[nodiscard]] bool localTrusted() const;
    // Secure time when synchronised, else the local clock.
    [[nodiscard]] Clock::time_point now() const;
    // Secure now in Unix seconds, only when synchronised (the `iat` of the agent's reports).
    [[nodiscard]] std::optional<Clock::time_point> secureNow() const;
    // A secure instant as the local clock will show it (for AgentClock::sleepUntil), and back.
    [[nodiscard]] Clock::time_point toLocal(Clock::time_point secure) const;
    [[nodiscard]] Clock::time_point toSecure(Clock::time_point local) const;

    [[nodiscard]] TimeStatus status() const;
    [[nodiscard]] const TimeConfig& config() const { return config_; }

private:
    // With mutex_ held.
    void judgeTrust();
    [[nodiscard]] bool isSynchronised() const;
    [[nodiscard]] Clock::duration currentOffset() const;
    [[nodiscard]] Clock::duration currentUncertainty() const;
    [[nodiscard]] bool trustedNow() const;

    mutable std::mutex mutex_;  // guards the samples, chrony's state and the trust logged
    AgentClock* clock_;
    TimeConfig config_;
    ChronyReader chrony_;
    // The network's best sample.
    struct Sample {
        Clock::duration offset{};
        Clock::duration uncertainty{};
        Clock::time_point takenLocal{};  // local clock at the answer
        Clock::time_point takenSecure{};
    };
    std::optional<Sample> network_;
    // Chrony's latest judgement.
    bool chronyTrusted_ = false;
    Clock::duration chronyUncertainty_{};
    std::optional<Clock::time_point> chronyCheckedAt_;
    std::string note_;             // why chrony is not used (status.time.note), empty when it is
    std::optional<bool> trusted_;  // the last trust logged
};

}  // namespace agent
