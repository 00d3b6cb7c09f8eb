#include "agent/config.hpp"

#include <toml++/toml.h>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace agent {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
    throw ConfigError(
        (path.empty() ? std::string("configuration") : "configuration '" + path.string() + "'") +
        ": " + problem);
}

// Refuses every key of `table` that is not in `known`: a typo must not fall back to a default.
void onlyKnown(const std::filesystem::path& path, const toml::table& table, std::string_view where,
               const std::set<std::string_view>& known) {
    for (const auto& [key, value] : table) {
        if (!known.contains(key.str())) {
            fail(path, "unknown key '" + std::string(where) + std::string(key.str()) + "'");
        }
    }
}

const toml::table* section(const std::filesystem::path& path, const toml::table& root,
                           std::string_view name) {
    const auto* node = root.get(name);
    if (node == nullptr) {
        return nullptr;
    }
    if (!node->is_table()) {
        fail(path, "[" + std::string(name) + "] must be a table");
    }
    return node->as_table();
}

std::string string(const std::filesystem::path& path, const toml::table* t, std::string_view where,
                   std::string_view key, std::string fallback) {
    if (t == nullptr || !t->contains(key)) {
        return fallback;
    }
    const auto value = (*t)[key].value<std::string>();
    if (!value) {
        fail(path, std::string(where) + "." + std::string(key) + " must be a string");
    }
    return *value;
}

long long integer(const std::filesystem::path& path, const toml::table* t, std::string_view where,
                  std::string_view key, long long fallback, long long min, long long max) {
    if (t == nullptr || !t->contains(key)) {
        return fallback;
    }
    const auto value = (*t)[key].value<long long>();
    if (!value || *value < min || *value > max) {
        fail(path, std::string(where) + "." + std::string(key) + " must be an integer in " +
                       std::to_string(min) + ".." + std::to_string(max));
    }
    return *value;
}

double number(const std::filesystem::path& path, const toml::table* t, std::string_view where,
              std::string_view key, double fallback, double min, double max) {
    if (t == nullptr || !t->contains(key)) {
        return fallback;
    }
    const auto value = (*t)[key].value<double>();
    if (!value || *value < min || *value > max) {
        fail(path, std::string(where) + "." + std::string(key) + " must be a number in " +
                       std::to_string(min) + ".." + std::to_string(max));
    }
    return *value;
}

std::filesystem::path relativeTo(const std::filesystem::path& baseDir, const std::string& value) {
    const std::filesystem::path p(value);
    return p.is_absolute() ? p : baseDir / p;
}

void requireHttps(const std::filesystem::path& path, std::string_view key, const std::string& url) {
    if (url.rfind("https://", 0) != 0) {
        fail(path, std::string(key) + " must be an https:// URL");
    }
}

// `path` names the document in messages (empty: text that came from no file).
AgentConfig parse(std::string_view toml, const std::filesystem::path& baseDir,
                  const std::filesystem::path& path) {
    toml::table root;
    try {
        root = toml::parse(toml, path.string());
    } catch (const toml::parse_error& e) {
        fail(path, std::string(e.description()) + " (line " +
                       std::to_string(e.source().begin.line) + ")");
    }
    onlyKnown(path, root, "", {"card", "network", "agent", "retry"});
    const auto* card = section(path, root, "card");
    const auto* network = section(path, root, "network");
    const auto* agentSection = section(path, root, "agent");
    const auto* retry = section(path, root, "retry");
    if (card != nullptr) {
        onlyKnown(path, *card, "card.", {"reader", "kmsa_file"});
    }
    if (network != nullptr) {
        onlyKnown(path, *network, "network.",
                  {"msbf", "connection", "mid", "resolve", "connect_timeout_ms", "timeout_ms"});
    }
    if (agentSection != nullptr) {
        onlyKnown(
            path, *agentSection, "agent.",
            {"state_dir", "application", "container", "report_interval_ms", "kmc_renew_margin_s"});
    }
    if (retry != nullptr) {
        onlyKnown(path, *retry, "retry.",
                  {"initial_ms", "cap_ms", "multiplier", "jitter", "max_attempts"});
    }

    AgentConfig c;
    if (auto reader = string(path, card, "card", "reader", ""); !reader.empty()) {
        c.reader = reader;
    }
    if (auto kmsa = string(path, card, "card", "kmsa_file", ""); !kmsa.empty()) {
        c.kmsaFile = relativeTo(baseDir, kmsa);
    } else if (const char* credentials = std::getenv("CREDENTIALS_DIRECTORY")) {
        c.kmsaFile = std::filesystem::path(credentials) / "kmsa";
    } else {
        fail(path, "card.kmsa_file is missing (or run under systemd with LoadCredential=kmsa:...)");
    }

    c.msbfUrl = string(path, network, "network", "msbf", "");
    c.connectionUrl = string(path, network, "network", "connection", "");
    c.midUrl = string(path, network, "network", "mid", "");
    requireHttps(path, "network.msbf", c.msbfUrl);
    requireHttps(path, "network.connection", c.connectionUrl);
    if (!c.midUrl.empty()) {
        requireHttps(path, "network.mid", c.midUrl);
    }
    if (network != nullptr && network->contains("resolve")) {
        const auto* list = (*network)["resolve"].as_array();
        if (list == nullptr) {
            fail(path, "network.resolve must be an array of \"host:port:address\" strings");
        }
        for (const auto& entry : *list) {
            const auto value = entry.value<std::string>();
            if (!value) {
                fail(path, "network.resolve must be an array of \"host:port:address\" strings");
            }
            c.resolve.push_back(*value);
        }
    }
    c.connectTimeout = std::chrono::milliseconds(
        integer(path, network, "network", "connect_timeout_ms", 5000, 100, 600000));
    c.requestTimeout = std::chrono::milliseconds(
        integer(path, network, "network", "timeout_ms", 15000, 100, 600000));

    c.stateDir = relativeTo(baseDir, string(path, agentSection, "agent", "state_dir", "."));
    c.applicationId = string(path, agentSection, "agent", "application", c.applicationId);
    c.containerId = string(path, agentSection, "agent", "container", c.containerId);
    c.reportInterval = std::chrono::milliseconds(
        integer(path, agentSection, "agent", "report_interval_ms", 10000, 10, 86400000));
    c.kmcRenewMargin = std::chrono::seconds(
        integer(path, agentSection, "agent", "kmc_renew_margin_s", 5, 0, 86400));

    c.retry.initial =
        std::chrono::milliseconds(integer(path, retry, "retry", "initial_ms", 500, 1, 3600000));
    c.retry.cap =
        std::chrono::milliseconds(integer(path, retry, "retry", "cap_ms", 60000, 1, 86400000));
    if (c.retry.cap < c.retry.initial) {
        fail(path, "retry.cap_ms must not be below retry.initial_ms");
    }
    c.retry.multiplier = number(path, retry, "retry", "multiplier", 2.0, 1.0, 10.0);
    c.retry.jitter = number(path, retry, "retry", "jitter", 0.2, 0.0, 0.9);
    c.retry.maxAttempts =
        static_cast<unsigned>(integer(path, retry, "retry", "max_attempts", 0, 0, 1000000));
    return c;
}

}  // namespace

AgentConfig parseAgentConfig(std::string_view toml, const std::filesystem::path& baseDir) {
    return parse(toml, baseDir, {});
}

AgentConfig loadAgentConfig(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) {
        fail(path, "cannot be read");
    }
    return parse(text.str(), path.parent_path(), path);
}

}  // namespace agent
