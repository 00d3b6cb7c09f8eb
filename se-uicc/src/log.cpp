#include "seuicc/log.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "seuicc/errors.hpp"

namespace seuicc::log {

namespace {

constexpr const char* kEnvironmentVariable = "M2M_LOG";
constexpr std::string_view kWildcard = "*";
constexpr spdlog::level::level_enum kDefaultLevel = spdlog::level::info;

// Levels per category name; "*" for the rest.
using LevelSpec = std::map<std::string, spdlog::level::level_enum, std::less<>>;

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t");
    return s.substr(first, last - first + 1);
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
            levels[std::string(kWildcard)] = parseLevel(entry, entry);
            continue;
        }
        const std::string_view name = trim(entry.substr(0, equals));
        if (name.empty()) {
            throw Error(fmt::format("log spec entry \"{}\" has no category name", entry));
        }
        levels[std::string(name)] = parseLevel(trim(entry.substr(equals + 1)), entry);
    }
    return levels;
}

// All categories, their shared sinks and the level spec, behind one mutex.
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
    }

    std::shared_ptr<spdlog::logger> category(std::string_view name) {
        const std::lock_guard lock(mutex_);
        if (const auto it = loggers_.find(name); it != loggers_.end()) {
            return it->second;
        }
        auto logger =
            std::make_shared<spdlog::logger>(std::string(name), sinks_.begin(), sinks_.end());
        logger->set_level(levelFor(name));
        loggers_.emplace(std::string(name), logger);
        return logger;
    }

    void configure(LevelSpec levels) {
        const std::lock_guard lock(mutex_);
        levels_ = std::move(levels);
        for (auto& [name, logger] : loggers_) {
            logger->set_level(levelFor(name));
        }
    }

    void addSink(spdlog::sink_ptr sink) {
        const std::lock_guard lock(mutex_);
        sinks_.push_back(sink);
        for (auto& [name, logger] : loggers_) {
            logger->sinks().push_back(sink);
        }
    }

    void removeSink(const spdlog::sink_ptr& sink) {
        const std::lock_guard lock(mutex_);
        std::erase(sinks_, sink);
        for (auto& [name, logger] : loggers_) {
            std::erase(logger->sinks(), sink);
        }
    }

private:
    spdlog::level::level_enum levelFor(std::string_view name) const {
        if (const auto it = levels_.find(name); it != levels_.end()) {
            return it->second;
        }
        if (const auto it = levels_.find(kWildcard); it != levels_.end()) {
            return it->second;
        }
        return kDefaultLevel;
    }

    std::mutex mutex_;
    std::vector<spdlog::sink_ptr> sinks_;
    LevelSpec levels_;
    std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers_;
};

Registry& registry() {
    static Registry instance;
    return instance;
}

}  // namespace

std::shared_ptr<spdlog::logger> category(std::string_view name) {
    return registry().category(name);
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

}  // namespace seuicc::log
