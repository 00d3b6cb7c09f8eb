// Log categories (libcamera style) over spdlog: each area of the code logs to a named category
// ("pcsc", "apdu", "card", and whatever later layers add), and each category has its own level.
//
// Levels come from the environment variable M2M_LOG, read on first use, or from configure():
//   M2M_LOG="apdu=trace,pcsc=debug,*=info"
// A bare level ("debug") is the same as "*=debug". Categories not named take the "*" level, or
// info. Output goes to stderr.
#pragma once

#include <spdlog/logger.h>
#include <memory>
#include <string_view>

namespace seuicc::log {

// The logger of category `name`, created on first use with the level the current spec gives.
std::shared_ptr<spdlog::logger> category(std::string_view name);

// Replaces the level spec (including what M2M_LOG said) and applies it to every category,
// existing and future. Throws seuicc::Error on an unknown level or a malformed entry.
void configure(std::string_view spec);

// Adds or removes an output next to stderr for every category (a file, journald, a test's
// capture). Not thread-safe against concurrent logging: call at startup, or in tests.
void addSink(spdlog::sink_ptr sink);
void removeSink(const spdlog::sink_ptr& sink);

}  // namespace seuicc::log
