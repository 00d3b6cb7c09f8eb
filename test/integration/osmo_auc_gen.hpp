// osmo-auc-gen (Debian libosmocore-utils): a MILENAGE AuC nobody here wrote, for checking the
// USIM applet against it.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "child_process.hpp"
#include "emulated_card.hpp"

namespace testsupport {

// osmo-auc-gen (libosmocore-utils), an AuC nobody here wrote: its "NAME: value" lines.
inline std::map<std::string, std::string> osmoAucGen(std::vector<std::string> args) {
    args.insert(args.begin(), {"osmo-auc-gen", "-3", "-a", "milenage"});
    static int run = 0;
    const auto log = runDir() / ("osmo-auc-gen-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(run++) + ".log");
    ChildProcess p(args, log);
    const auto code = p.wait(std::chrono::seconds(10));
    REQUIRE(code.has_value());
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

// Lower-case hex, as osmo-auc-gen prints it.
inline std::string lower(base::ByteView b) {
    std::string s = base::toHex(b);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

}  // namespace testsupport
