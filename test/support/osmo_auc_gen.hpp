// osmo-auc-gen (Debian libosmocore-utils): a MILENAGE AuC nobody here wrote, for checking the
// project's Milenage (secure-channel unit tests) and the USIM applet (integration tests) against
// it. Missing is a failure, not a skip: the cross-check is the point (tools/scripts/setup.sh
// installs libosmocore-utils).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "child_process.hpp"
#include "emulated_card.hpp"

namespace testsupport {

// Runs `osmo-auc-gen -3 -a milenage <args>`: its "NAME: value" lines by name, and its exit code
// under "exit".
inline std::map<std::string, std::string> osmoAucGen(std::vector<std::string> args) {
    args.insert(args.begin(), {"osmo-auc-gen", "-3", "-a", "milenage"});
    static int run = 0;
    const auto log = runDir() / ("osmo-auc-gen-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(run++) + ".log");
    ChildProcess p(args, log);
    const auto code = p.wait(std::chrono::seconds(10));
    REQUIRE(code.has_value());
    INFO("osmo-auc-gen did not run (Debian libosmocore-utils; tools/scripts/setup.sh installs it): "
         << p.output());
    REQUIRE(*code != 127);
    std::map<std::string, std::string> out;
    std::istringstream lines(p.output());
    std::string line;
    const std::regex field(R"(^([A-Za-z. ]+):\s+(\S+)\s*$)");
    while (std::getline(lines, line)) {
        std::smatch m;
        if (std::regex_match(line, m, field)) {
            out[m[1]] = m[2];
        }
    }
    out["exit"] = std::to_string(*code);
    return out;
}

// SQN (6 bytes, big-endian) as the number osmo-auc-gen's -s takes and SQN.MS prints, and back.
inline std::uint64_t sqnValue(base::ByteView sqn6) {
    std::uint64_t value = 0;
    for (const std::uint8_t b : sqn6) {
        value = (value << 8) | b;
    }
    return value;
}

inline base::Bytes sqnBytes(std::uint64_t value) {
    base::Bytes sqn(6);
    for (int i = 5; i >= 0; --i) {
        sqn[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value & 0xFF);
        value >>= 8;
    }
    return sqn;
}

// Lower-case hex, as osmo-auc-gen prints it.
inline std::string lower(base::ByteView b) {
    std::string s = base::toHex(b);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

}  // namespace testsupport
