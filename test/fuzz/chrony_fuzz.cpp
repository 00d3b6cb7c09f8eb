// chronyc's CSV (agent/src/chrony.cpp): `chronyc -c -n tracking` before the first blank line,
// `authdata` after it. Anything malformed must be a ChronyOutputError; what parses is judged
// without fault, and trusted only with an NTS source named by tracking.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "agent/chrony.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    const std::string_view input = fuzz::text(data, size);
    const auto blank = input.find("\n\n");
    const std::string_view tracking = input.substr(0, blank);
    const std::string_view authdata =
        blank == std::string_view::npos ? std::string_view{} : input.substr(blank + 2);
    std::optional<agent::ChronyTracking> t;
    std::optional<std::vector<agent::ChronyAuthSource>> sources;
    try {
        t = agent::parseChronyTracking(tracking);
    } catch (const agent::ChronyOutputError&) {
    }
    try {
        sources = agent::parseChronyAuthdata(authdata);
    } catch (const agent::ChronyOutputError&) {
    }
    if (t && sources) {
        const agent::ChronyState state = agent::judgeChrony(*t, *sources);
        if (state.trusted && (!t->synchronised() || t->address.empty())) {
            throw std::logic_error("chrony: trusted without a synchronised NTP reference");
        }
    }
    return 0;
}
