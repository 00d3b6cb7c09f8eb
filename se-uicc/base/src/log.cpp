#include "base/log.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/text.hpp"

namespace base::log {

namespace {

constexpr const char* kEnvironmentVariable = "M2M_LOG";
constexpr spdlog::level::level_enum kDefaultLevel = spdlog::level::info;

// A parsed spec: the level of each category named, and of the rest ("*").
struct LevelSpec {
    std::array<std::optional<spdlog::level::level_enum>, kCategories.size()> named;
    spdlog::level::level_enum rest = kDefaultLevel;

    spdlog::level::level_enum levelOf(const Category& c) const {
        return named[c.index()].value_or(rest);
    }
};

std::string knownNames() {
    std::string names;
    for (const Category& c : kCategories) {
        names += names.empty() ? "" : ", ";
        names += c.name();
    }
    return names;
}

spdlog::level::level_enum parseLevel(std::string_view text, std::string_view entry) {
    // spdlog's from_str() maps unknown words to "off", so "off" is checked for separately.
    const std::string word(text);
    const auto level = spdlog::level::from_str(word);
    if (level == spdlog::level::off && word != "off") {
        throw Error(fmt::format(
            "log spec entry \"{}\": unknown level \"{}\" (use trace, debug, info, warn, error, "
            "critical or off)",
            entry, text));
    }
    return level;
}

LevelSpec parseSpec(std::string_view spec) {
    LevelSpec levels;
    while (!spec.empty()) {
        const auto comma = spec.find(',');
        const std::string_view entry = trim(spec.substr(0, comma));
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        if (entry.empty()) {
            continue;
        }
        const auto equals = entry.find('=');
        if (equals == std::string_view::npos) {
            levels.rest = parseLevel(entry, entry);
            continue;
        }
        const std::string_view name = trim(entry.substr(0, equals));
        const auto level = parseLevel(trim(entry.substr(equals + 1)), entry);
        if (name == "*") {
            levels.rest = level;
            continue;
        }
        const auto it = std::find_if(kCategories.begin(), kCategories.end(),
                                     [name](const Category& c) { return c.name() == name; });
        if (it == kCategories.end()) {
            throw Error(fmt::format("log spec entry \"{}\": unknown category \"{}\" (use {} or *)",
                                    entry, name, knownNames()));
        }
        levels.named[it->index()] = level;
    }
    return levels;
}

// The loggers of all categories and their shared sinks.
class Registry {
public:
    Registry() : sinks_{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()} {
        // The pattern belongs to the stderr sink, not to the loggers: a logger's set_pattern()
        // would overwrite the format of every sink added with addSink().
        sinks_.front()->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
        if (const char* env = std::getenv(kEnvironmentVariable)) {
            try {
                levels_ = parseSpec(env);
            } catch (const Error& e) {
                // A bad environment must not stop the program; say so once and use defaults.
                fmt::print(stderr, "{}: ignored: {}\n", kEnvironmentVariable, e.what());
            }
        }
        for (const Category& c : kCategories) {
            loggers_[c.index()] = std::make_unique<spdlog::logger>(std::string(c.name()),
                                                                   sinks_.begin(), sinks_.end());
            loggers_[c.index()]->set_level(levels_.levelOf(c));
        }
    }

    spdlog::logger& logger(const Category& c) { return *loggers_[c.index()]; }

    void configure(const LevelSpec& levels) {
        const std::lock_guard lock(mutex_);
        levels_ = levels;
        for (const Category& c : kCategories) {
            loggers_[c.index()]->set_level(levels_.levelOf(c));
        }
    }

    void addSink(spdlog::sink_ptr sink) {
        const std::lock_guard lock(mutex_);
        sinks_.push_back(sink);
        for (auto& logger : loggers_) {
            logger->sinks().push_back(sink);
        }
    }

    void removeSink(const spdlog::sink_ptr& sink) {
        const std::lock_guard lock(mutex_);
        std::erase(sinks_, sink);
        for (auto& logger : loggers_) {
            std::erase(logger->sinks(), sink);
        }
    }

private:
    std::mutex mutex_;
    std::vector<spdlog::sink_ptr> sinks_;
    LevelSpec levels_;
    std::array<std::unique_ptr<spdlog::logger>, kCategories.size()> loggers_;
};

Registry& registry() {
    static Registry instance;
    return instance;
}

}  // namespace

spdlog::logger& Category::operator*() const {
    return registry().logger(*this);
}

void configure(std::string_view spec) {
    registry().configure(parseSpec(spec));
}

void addSink(spdlog::sink_ptr sink) {
    registry().addSink(std::move(sink));
}

void removeSink(const spdlog::sink_ptr& sink) {
    registry().removeSink(sink);
}

}  // namespace base::log
