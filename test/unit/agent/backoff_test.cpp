#include "agent/backoff.hpp"

using agent::Backoff;
using agent::RetryPolicy;
using namespace std::chrono_literals;

namespace {

RetryPolicy policy(unsigned maxAttempts = 0) {
    RetryPolicy p;
    p.initial = 100ms;
    p.cap = 1000ms;
    p.multiplier = 2.0;
    p.jitter = 0.2;
    p.maxAttempts = maxAttempts;
    return p;
}

}  // namespace

TEST_CASE("backoff doubles up to the cap without jitter at the midpoint", "[backoff]") {
    Backoff b(policy(), [] { return 0.5; });  // factor 1.0
    CHECK(b.next() == 100ms);
    CHECK(b.next() == 200ms);
    CHECK(b.next() == 400ms);
    CHECK(b.next() == 800ms);
    CHECK(b.next() == 1000ms);
    CHECK(b.next() == 1000ms);
    CHECK(b.attempts() == 6);
    b.reset();
    CHECK(b.next() == 100ms);
}

TEST_CASE("jitter spreads each delay by at most the configured fraction", "[backoff]") {
    Backoff low(policy(), [] { return 0.0; });
    Backoff high(policy(), [] { return 0.999999; });
    CHECK(low.next() == 80ms);
    CHECK(high.next() == 119ms);
    // Never above the cap, even with the largest factor.
    for (int i = 0; i < 10; ++i) {
        CHECK(high.next() <= 1000ms);
    }
    Backoff random(policy());
    for (int i = 0; i < 100; ++i) {
        const auto d = random.next();
        CHECK(d >= 80ms);
        CHECK(d <= 1000ms);
    }
}

TEST_CASE("a bounded policy is exhausted after maxAttempts, an unbounded one never", "[backoff]") {
    Backoff bounded(policy(3), [] { return 0.5; });
    CHECK_FALSE(bounded.exhausted());
    bounded.next();
    bounded.next();
    CHECK_FALSE(bounded.exhausted());
    bounded.next();
    CHECK(bounded.exhausted());
    Backoff unbounded(policy(0), [] { return 0.5; });
    for (int i = 0; i < 1000; ++i) {
        unbounded.next();
    }
    CHECK_FALSE(unbounded.exhausted());
    CHECK(unbounded.next() == 1000ms);  // the exponent does not overflow into nonsense
}
