// What chronyd says of the system clock (agent/GATEWAY.md §4, source "chrony"): the CSV of
// `chronyc -c -n tracking` (the reference the clock follows, whether it is synchronised) and
// `chronyc -c -n authdata` (how each source is authenticated). The clock counts as secure only
// while chronyd is synchronised to a source authenticated with NTS: an unauthenticated NTP answer
// can be forged by anyone on the path.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace agent {

// chronyc is missing, chronyd does not answer, or chronyc overran its deadline.
class ChronyUnavailable : public base::Error {
public:
    using base::Error::Error;
};

// chronyc's output is not the CSV it writes.
class ChronyOutputError : public base::Error {
public:
    using base::Error::Error;
};

// `chronyc -c -n tracking`: one line, 14 fields.
struct ChronyTracking {
    std::string refId;    // 8 hex digits
    std::string address;  // the reference's address (-n); empty for a local clock or none
    unsigned stratum = 0;
    double refTimeUnix = 0;     // when the reference was last updated
    double systemTime = 0;      // seconds, system clock minus true time as chronyd estimates
    double lastOffset = 0;      // seconds
    double rmsOffset = 0;       // seconds
    double rootDelay = 0;       // seconds
    double rootDispersion = 0;  // seconds
    std::string leap;           // Normal, Insert second, Delete second, Not synchronised
    [[nodiscard]] bool synchronised() const;
};

// One line of `chronyc -c -n authdata`.
struct ChronyAuthSource {
    std::string address;
    std::string mode;  // NTS, SK, "-" (none)
    std::uint32_t keyId = 0;
    unsigned keyLength = 0;                  // bits
    std::uint32_t lastKeyEstablishment = 0;  // seconds ago
    unsigned keAttempts = 0;
    unsigned naks = 0;
    unsigned cookies = 0;
};

// ChronyOutputError on anything else than the CSV above (a field missing or malformed).
[[nodiscard]] ChronyTracking parseChronyTracking(std::string_view csv);
[[nodiscard]] std::vector<ChronyAuthSource> parseChronyAuthdata(std::string_view csv);

// The judgement: trusted while synchronised to a reference authenticated with NTS.
struct ChronyState {
    bool trusted = false;
    std::string reason;                      // in words, for the status and the log
    std::chrono::nanoseconds uncertainty{};  // |system time| + root delay / 2 + root dispersion
};
[[nodiscard]] ChronyState judgeChrony(const ChronyTracking& tracking,
                                      const std::vector<ChronyAuthSource>& sources);

// Runs `chronyc -c -n <command>` (no shell) and returns its standard output. ChronyUnavailable
// when it cannot start, exits non-zero (chronyd not running) or overruns `deadline` (then it is
// killed).
[[nodiscard]] std::string runChronyc(const std::filesystem::path& chronyc, std::string_view command,
                                     std::chrono::milliseconds deadline);

// Both commands, judged.
[[nodiscard]] ChronyState readChrony(const std::filesystem::path& chronyc,
                                     std::chrono::milliseconds deadline);

}  // namespace agent
