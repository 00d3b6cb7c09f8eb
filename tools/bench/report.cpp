#include "report.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>

#include <fmt/format.h>

namespace bench {

namespace {

struct Stats {
    double min = 0;
    double median = 0;
    double p90 = 0;
    double max = 0;
};

Stats statsOf(std::vector<double> samples) {
    if (samples.empty()) {
        return {};
    }
    std::sort(samples.begin(), samples.end());
    const std::size_t n = samples.size();
    const double median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2.0;
    // Nearest rank: the smallest sample at or above 90 % of them (the max below 10 samples).
    const std::size_t rank = (9 * n + 9) / 10;
    return {samples.front(), median, samples[rank - 1], samples.back()};
}

// A run's traffic, or the mean when the runs differ (a retried command, a rekey).
nlohmann::ordered_json trafficJson(const std::vector<seuicc::ApduCounters>& traffic) {
    nlohmann::ordered_json j;
    const bool same =
        std::all_of(traffic.begin(), traffic.end(), [&](const seuicc::ApduCounters& t) {
            return t.apdus == traffic.front().apdus && t.bytesSent == traffic.front().bytesSent &&
                   t.bytesReceived == traffic.front().bytesReceived;
        });
    if (traffic.empty() || same) {
        const seuicc::ApduCounters t = traffic.empty() ? seuicc::ApduCounters{} : traffic.front();
        j["apdus"] = t.apdus;
        j["bytes_sent"] = t.bytesSent;
        j["bytes_received"] = t.bytesReceived;
        return j;
    }
    seuicc::ApduCounters sum;
    for (const auto& t : traffic) {
        sum += t;
    }
    const auto mean = [&](std::uint64_t total) {
        return static_cast<double>(total) / static_cast<double>(traffic.size());
    };
    j["apdus"] = mean(sum.apdus);
    j["bytes_sent"] = mean(sum.bytesSent);
    j["bytes_received"] = mean(sum.bytesReceived);
    j["traffic_varies"] = true;
    return j;
}

std::string number(const nlohmann::ordered_json& value) {
    return value.is_number_float() ? fmt::format("{:.1f}", value.get<double>()) : value.dump();
}

}  // namespace

double Series::median() const {
    return statsOf(ms).median;
}

nlohmann::ordered_json Series::json() const {
    const Stats s = statsOf(ms);
    nlohmann::ordered_json j;
    j["operation"] = name;
    j["per"] = unit;
    j.update(trafficJson(traffic));
    j["samples"] = ms.size();
    j["ms_min"] = s.min;
    j["ms_median"] = s.median;
    j["ms_p90"] = s.p90;
    j["ms_max"] = s.max;
    return j;
}

nlohmann::ordered_json Report::json() const {
    nlohmann::ordered_json j;
    j["benchmark"] = benchmark;
    j["operations"] = nlohmann::ordered_json::array();
    for (const auto& s : operations) {
        j["operations"].push_back(s.json());
    }
    if (!comparison.empty()) {
        j["comparison"] = nlohmann::ordered_json::object();
        for (const auto& figure : comparison) {
            j["comparison"][figure.key] = figure.value;
        }
    }
    if (!notes.empty()) {
        j["notes"] = notes;
    }
    return j;
}

void Report::printText(std::ostream& out) const {
    for (const auto& s : operations) {
        const auto j = s.json();
        out << s.name << '\n'
            << fmt::format("  card:  APDUs {}, sent {} B, received {} B per {}{}\n",
                           number(j["apdus"]), number(j["bytes_sent"]), number(j["bytes_received"]),
                           s.unit, j.contains("traffic_varies") ? " (mean: the runs differ)" : "")
            << fmt::format(
                   "  wall:  min {:.3f} ms, median {:.3f} ms, p90 {:.3f} ms, max {:.3f} ms per "
                   "{} ({} samples)\n",
                   j["ms_min"].get<double>(), j["ms_median"].get<double>(),
                   j["ms_p90"].get<double>(), j["ms_max"].get<double>(), s.unit, s.ms.size());
    }
    for (const auto& figure : comparison) {
        const auto& value = figure.value;
        out << figure.label << ": "
            << (value.is_number_float()
                    ? fmt::format("{:.3f}", value.get<double>())
                    : (value.is_string() ? value.get<std::string>() : value.dump()))
            << '\n';
    }
    for (const auto& note : notes) {
        out << "note: " << note << '\n';
    }
}

std::optional<std::string> loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string oneMinute;
    if (in >> oneMinute) {
        return oneMinute;
    }
    return std::nullopt;
}

double msSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

}  // namespace bench
