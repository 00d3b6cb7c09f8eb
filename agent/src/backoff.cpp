#include "agent/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace agent {

Backoff::Backoff(RetryPolicy policy, std::function<double()> uniform)
    : policy_(policy), uniform_(std::move(uniform)) {
    if (!uniform_) {
        auto engine = std::make_shared<std::mt19937>(std::random_device{}());
        uniform_ = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
    }
}

std::chrono::milliseconds Backoff::next() {
    const double cap = static_cast<double>(policy_.cap.count());
    // Past ~60 doublings the power overflows to inf; min() with the cap keeps it finite.
    const double exponent = std::min<double>(attempts_, 64);
    const double base = std::min(
        cap, static_cast<double>(policy_.initial.count()) * std::pow(policy_.multiplier, exponent));
    const double factor = 1.0 + policy_.jitter * (2.0 * uniform_() - 1.0);
    ++attempts_;
    return std::chrono::milliseconds(static_cast<long long>(std::min(cap, base * factor)));
}

}  // namespace agent
