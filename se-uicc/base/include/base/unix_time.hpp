// Unix seconds as the project's time points. std::chrono::system_clock counts nanoseconds in
// 64 bits: it holds about 1677-09-21 to 2262-04-11, and converting a number of seconds outside
// that range overflows (undefined behaviour). Seconds that come from outside (a card, a document,
// a file) become time points only through here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace base {

// The earliest and the latest whole second system_clock can hold.
inline constexpr std::int64_t kMinUnixSeconds =
    std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::time_point::min())
        .time_since_epoch()
        .count();
inline constexpr std::int64_t kMaxUnixSeconds =
    std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::time_point::max())
        .time_since_epoch()
        .count();

// `seconds` since 1970-01-01T00:00:00Z as a time point; nullopt outside the clock's range.
[[nodiscard]] inline std::optional<std::chrono::system_clock::time_point> timeFromUnixSeconds(
    std::int64_t seconds) {
    if (seconds < kMinUnixSeconds || seconds > kMaxUnixSeconds) {
        return std::nullopt;
    }
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(seconds)));
}

}  // namespace base
