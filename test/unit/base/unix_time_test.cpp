#include <catch2/catch.hpp>

#include "base/unix_time.hpp"

using namespace std::chrono;

TEST_CASE("Unix seconds become time points inside the clock's range only", "[unix-time]") {
    // 2262-04-11T23:47:16Z and 1677-09-21T00:12:44Z: the last and first whole seconds of a
    // 64-bit nanosecond clock.
    CHECK(base::kMaxUnixSeconds == 9223372036);
    CHECK(base::kMinUnixSeconds == -9223372036);
    CHECK(base::timeFromUnixSeconds(0) == system_clock::time_point{});
    CHECK(base::timeFromUnixSeconds(base::kMaxUnixSeconds)->time_since_epoch() ==
          seconds(base::kMaxUnixSeconds));
    CHECK(base::timeFromUnixSeconds(base::kMinUnixSeconds)->time_since_epoch() ==
          seconds(base::kMinUnixSeconds));
    CHECK_FALSE(base::timeFromUnixSeconds(base::kMaxUnixSeconds + 1));
    CHECK_FALSE(base::timeFromUnixSeconds(base::kMinUnixSeconds - 1));
    CHECK_FALSE(base::timeFromUnixSeconds(253402300799));  // 9999-12-31T23:59:59Z
    CHECK_FALSE(base::timeFromUnixSeconds(INT64_MAX));
    CHECK_FALSE(base::timeFromUnixSeconds(INT64_MIN));
}
