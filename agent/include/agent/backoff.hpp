// Exponential backoff with jitter and a cap (security-profile.md §5.3): delay n is
// min(cap, initial * multiplier^n), scaled by a random factor in [1 - jitter, 1 + jitter] and
// capped again, so that many devices that lost the network together do not return together.
#pragma once

#include <chrono>
#include <functional>

#include "agent/config.hpp"

namespace agent {

class Backoff {
public:
    // `uniform` returns a number in [0, 1); empty: a per-object std::mt19937 seeded randomly.
    explicit Backoff(RetryPolicy policy, std::function<double()> uniform = {});

    // The delay before the next attempt; counts the attempt.
    std::chrono::milliseconds next();
    void reset() { attempts_ = 0; }
    [[nodiscard]] unsigned attempts() const { return attempts_; }
    // True once maxAttempts delays were handed out (never with maxAttempts 0).
    [[nodiscard]] bool exhausted() const {
        return policy_.maxAttempts != 0 && attempts_ >= policy_.maxAttempts;
    }

private:
    RetryPolicy policy_;
    std::function<double()> uniform_;
    unsigned attempts_ = 0;
};

}  // namespace agent
