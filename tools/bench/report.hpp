// What a benchmark measured and how it is shown: per operation the card traffic of one run and
// the wall time of every run (min / median / max), side-by-side comparisons, and notes that
// say how to read the numbers. Text for people, --json for scripts.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "seuicc/card_channel.hpp"

namespace bench {

// One operation, run N times: the traffic of each run and its wall time.
struct Series {
    explicit Series(std::string name_, std::string unit_ = "run")
        : name(std::move(name_)), unit(std::move(unit_)) {}

    std::string name;
    std::string unit;  // what one sample is: a run, an APDU...
    std::vector<seuicc::ApduCounters> traffic;
    std::vector<double> ms;

    void add(const seuicc::ApduCounters& runTraffic, double runMs) {
        traffic.push_back(runTraffic);
        ms.push_back(runMs);
    }
    [[nodiscard]] double median() const;
    [[nodiscard]] nlohmann::ordered_json json() const;
};

// A figure computed from the operations (a ratio of medians, say): `key` in JSON, `label` in text.
struct Figure {
    std::string key;
    std::string label;
    nlohmann::ordered_json value;
};

struct Report {
    Report(std::string benchmark_, std::vector<Series> operations_)
        : benchmark(std::move(benchmark_)), operations(std::move(operations_)) {}

    std::string benchmark;
    std::vector<Series> operations;
    std::vector<Figure> comparison;
    std::vector<std::string> notes;

    [[nodiscard]] nlohmann::ordered_json json() const;
    void printText(std::ostream& out) const;
};

// The 1-minute load average (/proc/loadavg), if it can be read.
std::optional<std::string> loadAverage();

// Milliseconds since `start` on the steady clock.
double msSince(std::chrono::steady_clock::time_point start);

}  // namespace bench
