#include "agent/config.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <system_error>

#include "base/scope_exit.hpp"
#include "provisioning/gba_bootstrap.hpp"

namespace agent {

namespace {

// What a message calls the configuration: "configuration" for a text, "configuration 'FILE'" for
// a file.
using Source = std::string;

[[noreturn]] void fail(const Source& source, const std::string& problem) {
    throw ConfigError(source + ": " + problem);
}

// At most this much is read: a configuration is a few hundred bytes; anything near this is not one.
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// Refuses every key of `table` that is not in `known`: a typo must not fall back to a default.
void onlyKnown(const Source& source, const toml::table& table, std::string_view where,
               const std::set<std::string_view>& known) {
    for (const auto& [key, value] : table) {
        if (!known.contains(key.str())) {
            fail(source, "unknown key '" + std::string(where) + std::string(key.str()) + "'");
        }
    }
}

const toml::table* section(const Source& source, const toml::table& root, std::string_view name) {
    const auto* node = root.get(name);
    if (node == nullptr) {
        return nullptr;
    }
    if (!node->is_table()) {
        fail(source, "[" + std::string(name) + "] must be a table");
    }
    return node->as_table();
}

std::string string(const Source& source, const toml::table* t, std::string_view where,
                   std::string_view key, std::string fallback) {
    if (t == nullptr || !t->contains(key)) {
        return fallback;
    }
    const auto value = (*t)[key].value<std::string>();
    if (!value) {
        fail(source, std::string(where) + "." + std::string(key) + " must be a string");
    }
    return *value;
}

long long integer(const Source& source, const toml::table* t, std::string_view where,
                  std::string_view key, long long fallback, long long min, long long max) {
    if (t == nullptr || !t->contains(key)) {
        return fallback;
    }
    // value_exact: an integer node only. toml++'s value<integer>() converts a float node, and a
    // float out of the integer's range (1e300) is undefined behaviour inside that conversion.
    const auto value = (*t)[key].value_exact<std::int64_t>();
    if (!value || *value < min || *value > max) {
        fail(source, std::string(where) + "." + std::string(key) + " must be an integer in " +
                         std::to_string(min) + ".." + std::to_string(max));
    }
    return *value;
}

// TOML has nan and inf: neither is ever a valid setting, and NaN would pass any range check.
double number(const Source& source, const toml::table* t, std::string_view where,
              std::string_view key, double fallback, double min, double max) {
    if (t == nullptr || !t->contains(key)) {
        return fallback;
    }
    const auto value = (*t)[key].value<double>();
    if (!value || !std::isfinite(*value) || *value < min || *value > max) {
        fail(source, fmt::format("{}.{} must be a finite number in {}..{}", where, key, min, max));
    }
    return *value;
}

bool boolean(const Source& source, const toml::table* t, std::string_view where,
             std::string_view key, bool fallback) {
    if (t == nullptr || !t->contains(key)) {
        return fallback;
    }
    const auto value = (*t)[key].value_exact<bool>();
    if (!value) {
        fail(source, std::string(where) + "." + std::string(key) + " must be true or false");
    }
    return *value;
}

// A list of strings, or nullopt when the key is absent.
std::optional<std::vector<std::string>> strings(const Source& source, const toml::table* t,
                                                std::string_view where, std::string_view key) {
    if (t == nullptr || !t->contains(key)) {
        return std::nullopt;
    }
    const std::string name = std::string(where) + "." + std::string(key);
    const auto* list = (*t)[key].as_array();
    if (list == nullptr) {
        fail(source, name + " must be an array of strings");
    }
    std::vector<std::string> out;
    for (const auto& entry : *list) {
        const auto value = entry.value<std::string>();
        if (!value) {
            fail(source, name + " must be an array of strings");
        }
        out.push_back(*value);
    }
    return out;
}

// "gba" / "tls" (and "none" where `allowNone`) into methods, in order; nullopt for "none".
template <typename Method>
std::optional<Method> method(const Source& source, const std::string& key, const std::string& value,
                             bool allowNone) {
    if (value == "gba") {
        return Method::Gba;
    }
    if (value == "tls") {
        return Method::Tls;
    }
    if (allowNone && value == "none") {
        return std::nullopt;
    }
    fail(source, key + " must be " +
                     (allowNone ? "\"gba\", \"tls\" or \"none\"" : "\"gba\" or \"tls\"") +
                     ", not \"" + value + "\"");
}

// `first` (a method, or "none" where allowed) followed by `fallback`, each method once.
template <typename Method>
std::vector<Method> order(const Source& source, const toml::table* t, std::string_view key,
                          bool allowNone) {
    const std::string where = "agent." + std::string(key);
    std::vector<Method> methods;
    const std::string first = string(source, t, "agent", key, "tls");
    if (const auto m = method<Method>(source, where, first, allowNone)) {
        methods.push_back(*m);
    }
    const std::string fallbackKey = std::string(key) + "_fallback";
    if (const auto list = strings(source, t, "agent", fallbackKey)) {
        if (methods.empty() && !list->empty()) {
            fail(source, "agent." + fallbackKey + " needs agent." + std::string(key) +
                             " other than \"none\"");
        }
        for (const std::string& value : *list) {
            const auto m = method<Method>(source, "agent." + fallbackKey, value, false);
            if (std::find(methods.begin(), methods.end(), *m) != methods.end()) {
                fail(source, "agent." + fallbackKey + " names \"" + value +
                                 "\" twice (or the method agent." + std::string(key) +
                                 " already names)");
            }
            methods.push_back(*m);
        }
    }
    return methods;
}

// The Ua suites this agent can offer (the TLS profile's PSK list, security-profile.md §3).
std::uint16_t uaCipher(const Source& source, const std::string& name) {
    if (name == "PSK-AES128-CBC-SHA256") {
        return 0x00AE;
    }
    if (name == "PSK-AES128-GCM-SHA256") {
        return 0x00A8;
    }
    if (name == "PSK-AES128-CBC-SHA") {
        return 0x008C;
    }
    fail(source,
         "gba.ua_cipher must be PSK-AES128-CBC-SHA256, PSK-AES128-GCM-SHA256 or "
         "PSK-AES128-CBC-SHA, not \"" +
             name + "\"");
}

std::filesystem::path relativeTo(const std::filesystem::path& baseDir, const std::string& value) {
    const std::filesystem::path p(value);
    return p.is_absolute() ? p : baseDir / p;
}

// The whole file, or a ConfigError that says why not: a directory or a device is refused as
// such, not read as an empty configuration.
std::string readConfigFile(const std::filesystem::path& path, const Source& source) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        const int error = errno;
        fail(source, "cannot be read: " + std::system_category().message(error));
    }
    const base::ScopeExit closeFd([fd] { ::close(fd); });
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int error = errno;
        fail(source, "cannot be examined: " + std::system_category().message(error));
    }
    if (S_ISDIR(info.st_mode)) {
        fail(source, "is a directory; --config takes the configuration file (TOML) itself");
    }
    if (!S_ISREG(info.st_mode)) {
        fail(source, "is not a regular file");
    }
    if (static_cast<std::uintmax_t>(info.st_size) > kMaxConfigBytes) {
        fail(source, "is too large for a configuration (" + std::to_string(info.st_size) +
                         " bytes; at most " + std::to_string(kMaxConfigBytes) + ")");
    }
    std::string text(static_cast<std::size_t>(info.st_size), '\0');
    std::size_t count = 0;
    while (count < text.size()) {
        const ssize_t got = ::read(fd, text.data() + count, text.size() - count);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            const int error = errno;
            fail(source, "cannot be read: " + std::system_category().message(error));
        }
        if (got == 0) {
            break;  // it shrank while being read: parse what is there
        }
        count += static_cast<std::size_t>(got);
    }
    text.resize(count);
    return text;
}

void requireHttps(const Source& source, std::string_view key, const std::string& url) {
    if (url.rfind("https://", 0) != 0) {
        fail(source, std::string(key) + " must be an https:// URL");
    }
}

// [time] (GATEWAY.md §4, §6).
TimeConfig timeConfig(const Source& source, const toml::table* t) {
    if (t != nullptr) {
        onlyKnown(source, *t, "time.", {"source", "tolerance_s", "resync_s"});
    }
    TimeConfig c;
    const std::string name = string(source, t, "time", "source", "network");
    if (name == "network") {
        c.source = TimeSource::Network;
    } else if (name == "chrony") {
        c.source = TimeSource::Chrony;
    } else if (name == "local") {
        c.source = TimeSource::Local;
    } else {
        fail(source,
             "time.source must be \"network\", \"chrony\" or \"local\", not \"" + name + "\"");
    }
    c.tolerance = std::chrono::seconds(integer(source, t, "time", "tolerance_s", 60, 1, 86400));
    c.resync = std::chrono::seconds(integer(source, t, "time", "resync_s", 3600, 10, 604800));
    return c;
}

// What a software card cannot do (GATEWAY.md §5): it has no Kbs (no bootstrap), no USIM (no
// GBA), no IV-SED (no integrity validation) and no NSCL list (network.mid names the gateway's
// dIa mId endpoint); and a gateway keeps its keys in a card.
void requireSoftwareCardFits(const Source& source, const AgentConfig& c) {
    if (!c.bootstrapOrder.empty()) {
        fail(source,
             "agent.bootstrap must be \"none\" with card.kind \"software\" (no Kbs: Kmr "
             "comes from card.key_file)");
    }
    if (c.connectionOrder != std::vector<ConnectionMethod>{ConnectionMethod::Tls}) {
        fail(source,
             "agent.connection must be \"tls\" without fallback with card.kind "
             "\"software\" (no USIM for GBA)");
    }
    if (c.integrity.enabled) {
        fail(source, "integrity.enabled must be false with card.kind \"software\" (no IV-SED)");
    }
    if (c.midUrl.empty()) {
        fail(source, "network.mid is missing (card.kind \"software\" has no NSCL list)");
    }
    if (c.gateway.enabled) {
        fail(source,
             "gateway.enabled must be false with card.kind \"software\" (a gateway keeps its "
             "keys and its devices' in a UICC)");
    }
}

// A relative path (a path within the allowed list) below the device's SCL: no empty segment,
// no "." or "..", no query.
bool relativePath(const std::string& path) {
    if (path.empty() || path.size() > 256 || path.front() == '/' || path.back() == '/' ||
        path.find_first_of("?#% ") != std::string::npos) {
        return false;
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        const std::string segment = path.substr(start, slash - start);
        if (segment.empty() || segment == "." || segment == "..") {
            return false;
        }
        start = slash + 1;
    }
    return true;
}

GatewayConfig parseGateway(const Source& source, const toml::table* t,
                           const std::filesystem::path& baseDir) {
    GatewayConfig g;
    if (t == nullptr) {
        return g;
    }
    onlyKnown(source, *t, "gateway.",
              {"enabled", "listen", "connection_port", "mid_port", "devices", "policy_key",
               "on_fail", "allowed", "unattested", "device_kmc_lifetime_s",
               "device_registration_lifetime_s", "relay_timeout_ms"});
    g.enabled = boolean(source, t, "gateway", "enabled", false);
    g.listen = string(source, t, "gateway", "listen", g.listen);
    in_addr v4{};
    in6_addr v6{};
    if (inet_pton(AF_INET, g.listen.c_str(), &v4) != 1 &&
        inet_pton(AF_INET6, g.listen.c_str(), &v6) != 1) {
        fail(source, "gateway.listen must be a numeric IPv4 or IPv6 address");
    }
    g.connectionPort =
        static_cast<std::uint16_t>(integer(source, t, "gateway", "connection_port", 0, 0, 65535));
    g.midPort = static_cast<std::uint16_t>(integer(source, t, "gateway", "mid_port", 0, 0, 65535));
    if (g.connectionPort != 0 && g.connectionPort == g.midPort) {
        fail(source, "gateway.connection_port and gateway.mid_port must differ");
    }
    for (const char* key : {"devices", "policy_key"}) {
        if (g.enabled && string(source, t, "gateway", key, "").empty()) {
            fail(source, std::string("gateway.") + key + " is missing (gateway.enabled is true)");
        }
    }
    const std::string devices = string(source, t, "gateway", "devices", "");
    const std::string policyKey = string(source, t, "gateway", "policy_key", "");
    g.devicesFile = devices.empty() ? std::filesystem::path() : relativeTo(baseDir, devices);
    g.policyKeyFile = policyKey.empty() ? std::filesystem::path() : relativeTo(baseDir, policyKey);
    g.onFail = string(source, t, "gateway", "on_fail", g.onFail);
    if (g.onFail != "deny" && g.onFail != "partial") {
        fail(source, "gateway.on_fail must be \"deny\" or \"partial\"");
    }
    g.unattested = string(source, t, "gateway", "unattested", g.unattested);
    if (g.unattested != "deny" && g.unattested != "partial" && g.unattested != "full") {
        fail(source, "gateway.unattested must be \"full\", \"partial\" or \"deny\"");
    }
    g.allowed = strings(source, t, "gateway", "allowed").value_or(std::vector<std::string>{});
    for (const std::string& path : g.allowed) {
        if (!relativePath(path)) {
            fail(source,
                 "gateway.allowed entries must be paths relative to the device's SCL "
                 "(segments without '.', '..', '?', '#', '%' or spaces)");
        }
    }
    g.deviceKmcLifetime = std::chrono::seconds(
        integer(source, t, "gateway", "device_kmc_lifetime_s", 3600, 60, 30 * 86400));
    g.deviceRegistrationLifetime = std::chrono::seconds(
        integer(source, t, "gateway", "device_registration_lifetime_s", 3600, 2, 30 * 86400));
    g.relayTimeout = std::chrono::milliseconds(
        integer(source, t, "gateway", "relay_timeout_ms", 10000, 100, 600000));
    return g;
}

AgentConfig parseConfig(std::string_view text, const std::filesystem::path& baseDir,
                        const Source& source) {
    toml::table root;
    try {
        root = toml::parse(text);
    } catch (const toml::parse_error& e) {
        fail(source, std::string(e.description()) + " (line " +
                         std::to_string(e.source().begin.line) + ")");
    }
    onlyKnown(source, root, "",
              {"card", "network", "agent", "retry", "gba", "integrity", "gateway", "time"});
    const auto* integrity = section(source, root, "integrity");
    if (integrity != nullptr) {
        onlyKnown(source, *integrity, "integrity.",
                  {"enabled", "root", "kmsa_iv_file", "manifest", "maintenance_container"});
    }
    const auto* card = section(source, root, "card");
    const auto* network = section(source, root, "network");
    const auto* agentSection = section(source, root, "agent");
    const auto* retry = section(source, root, "retry");
    const auto* gba = section(source, root, "gba");
    if (card != nullptr) {
        onlyKnown(source, *card, "card.", {"kind", "reader", "kmsa_file", "key_file"});
    }
    if (network != nullptr) {
        onlyKnown(source, *network, "network.",
                  {"msbf", "connection", "mid", "resolve", "connect_timeout_ms", "timeout_ms"});
    }
    if (agentSection != nullptr) {
        onlyKnown(
            source, *agentSection, "agent.",
            {"state_dir", "application", "container", "report_interval_ms", "kmc_renew_margin_s",
             "bootstrap", "bootstrap_fallback", "connection", "connection_fallback"});
    }
    if (gba != nullptr) {
        onlyKnown(source, *gba, "gba.",
                  {"bsf", "impi", "mnc_digits", "msbf_fqdn", "nscl_fqdn", "ua_cipher",
                   "expiry_margin_s", "tolerate_missing_rspauth", "write_gbabp", "ca_file"});
    }
    if (retry != nullptr) {
        onlyKnown(source, *retry, "retry.",
                  {"initial_ms", "cap_ms", "multiplier", "jitter", "max_attempts"});
    }

    AgentConfig c;
    if (const std::string kind = string(source, card, "card", "kind", "uicc"); kind == "software") {
        c.cardKind = CardKind::Software;
    } else if (kind != "uicc") {
        fail(source, "card.kind must be \"uicc\" or \"software\"");
    }
    const std::string keyFile = string(source, card, "card", "key_file", "");
    if (c.cardKind == CardKind::Software) {
        if (keyFile.empty()) {
            fail(source, "card.key_file is missing (card.kind is \"software\")");
        }
        for (const char* cardOnly : {"reader", "kmsa_file"}) {
            if (card->contains(cardOnly)) {
                fail(source, std::string("card.") + cardOnly +
                                 " has no use with card.kind \"software\" (there is no card)");
            }
        }
        c.keyFile = relativeTo(baseDir, keyFile);
    } else if (!keyFile.empty()) {
        fail(source, "card.key_file is for card.kind \"software\" (a UICC holds its own keys)");
    }
    if (auto reader = string(source, card, "card", "reader", ""); !reader.empty()) {
        c.reader = reader;
    }
    if (c.cardKind == CardKind::Software) {
        // No card: no terminal secured environment either.
    } else if (auto kmsa = string(source, card, "card", "kmsa_file", ""); !kmsa.empty()) {
        c.kmsaFile = relativeTo(baseDir, kmsa);
    } else if (const char* credentials = std::getenv("CREDENTIALS_DIRECTORY")) {
        c.kmsaFile = std::filesystem::path(credentials) / "kmsa";
    } else {
        fail(source,
             "card.kmsa_file is missing (or run under systemd with LoadCredential=kmsa:...)");
    }

    c.msbfUrl = string(source, network, "network", "msbf", "");
    c.connectionUrl = string(source, network, "network", "connection", "");
    c.midUrl = string(source, network, "network", "mid", "");
    // No MSBF for a node that never bootstraps (a device behind a gateway, GATEWAY.md §1): it is
    // required below only when a bootstrap method is configured.
    if (!c.msbfUrl.empty()) {
        requireHttps(source, "network.msbf", c.msbfUrl);
    }
    requireHttps(source, "network.connection", c.connectionUrl);
    if (!c.midUrl.empty()) {
        requireHttps(source, "network.mid", c.midUrl);
    }
    if (network != nullptr && network->contains("resolve")) {
        const auto* list = (*network)["resolve"].as_array();
        if (list == nullptr) {
            fail(source, "network.resolve must be an array of \"host:port:address\" strings");
        }
        for (const auto& entry : *list) {
            const auto value = entry.value<std::string>();
            if (!value) {
                fail(source, "network.resolve must be an array of \"host:port:address\" strings");
            }
            c.resolve.push_back(*value);
        }
    }
    c.connectTimeout = std::chrono::milliseconds(
        integer(source, network, "network", "connect_timeout_ms", 5000, 100, 600000));
    c.requestTimeout = std::chrono::milliseconds(
        integer(source, network, "network", "timeout_ms", 15000, 100, 600000));

    c.stateDir = relativeTo(baseDir, string(source, agentSection, "agent", "state_dir", "."));
    c.applicationId = string(source, agentSection, "agent", "application", c.applicationId);
    c.containerId = string(source, agentSection, "agent", "container", c.containerId);
    c.reportInterval = std::chrono::milliseconds(
        integer(source, agentSection, "agent", "report_interval_ms", 10000, 10, 86400000));
    c.kmcRenewMargin = std::chrono::seconds(
        integer(source, agentSection, "agent", "kmc_renew_margin_s", 5, 0, 86400));

    c.bootstrapOrder =
        order<BootstrapMethod>(source, agentSection, "bootstrap", /*allowNone=*/true);
    c.connectionOrder =
        order<ConnectionMethod>(source, agentSection, "connection", /*allowNone=*/false);
    if (c.msbfUrl.empty() && !c.bootstrapOrder.empty()) {
        fail(source, "network.msbf is missing (needed unless agent.bootstrap is \"none\")");
    }
    const bool gbaUsed = c.usesGba();
    c.gba.bsfUrl = string(source, gba, "gba", "bsf", "");
    if (gbaUsed && c.gba.bsfUrl.empty()) {
        fail(source, "gba.bsf is missing (\"gba\" is among the bootstrap or connection methods)");
    }
    if (!c.gba.bsfUrl.empty() && c.gba.bsfUrl.rfind("http://", 0) != 0 &&
        c.gba.bsfUrl.rfind("https://", 0) != 0) {
        fail(source, "gba.bsf must be an http:// or https:// URL");
    }
    c.gba.impi = string(source, gba, "gba", "impi", "");
    c.gba.mncDigits = static_cast<int>(integer(source, gba, "gba", "mnc_digits", 2, 2, 3));
    c.gba.msbfFqdn = string(source, gba, "gba", "msbf_fqdn", provisioning::urlHost(c.msbfUrl));
    c.gba.nsclFqdn =
        string(source, gba, "gba", "nscl_fqdn", provisioning::urlHost(c.connectionUrl));
    if (gbaUsed && (c.gba.msbfFqdn.empty() || c.gba.nsclFqdn.empty())) {
        fail(source, "gba.msbf_fqdn and gba.nscl_fqdn must not be empty");
    }
    c.gba.uaCipherSuite =
        uaCipher(source, string(source, gba, "gba", "ua_cipher", "PSK-AES128-CBC-SHA256"));
    c.gba.expiryMargin =
        std::chrono::seconds(integer(source, gba, "gba", "expiry_margin_s", 300, 0, 86400));
    c.gba.tolerateMissingRspauth = boolean(source, gba, "gba", "tolerate_missing_rspauth", false);
    c.gba.writeGbaBp = boolean(source, gba, "gba", "write_gbabp", true);
    if (auto ca = string(source, gba, "gba", "ca_file", ""); !ca.empty()) {
        c.gba.caFile = relativeTo(baseDir, ca).string();
    }

    c.retry.initial =
        std::chrono::milliseconds(integer(source, retry, "retry", "initial_ms", 500, 1, 3600000));
    c.retry.cap =
        std::chrono::milliseconds(integer(source, retry, "retry", "cap_ms", 60000, 1, 86400000));
    if (c.retry.cap < c.retry.initial) {
        fail(source, "retry.cap_ms must not be below retry.initial_ms");
    }
    c.retry.multiplier = number(source, retry, "retry", "multiplier", 2.0, 1.0, 10.0);
    c.retry.jitter = number(source, retry, "retry", "jitter", 0.2, 0.0, 0.9);
    c.retry.maxAttempts =
        static_cast<unsigned>(integer(source, retry, "retry", "max_attempts", 0, 0, 1000000));

    c.integrity.enabled = boolean(source, integrity, "integrity", "enabled", false);
    if (c.integrity.enabled) {
        for (const char* key : {"root", "kmsa_iv_file", "manifest"}) {
            if (string(source, integrity, "integrity", key, "").empty()) {
                fail(source,
                     std::string("integrity.") + key + " is missing (integrity.enabled is true)");
            }
        }
        c.integrity.root = relativeTo(baseDir, string(source, integrity, "integrity", "root", ""));
        c.integrity.kmsaIvFile =
            relativeTo(baseDir, string(source, integrity, "integrity", "kmsa_iv_file", ""));
        c.integrity.manifestFile =
            relativeTo(baseDir, string(source, integrity, "integrity", "manifest", ""));
        c.integrity.maintenanceContainerId =
            string(source, integrity, "integrity", "maintenance_container",
                   c.integrity.maintenanceContainerId);
    }
    c.time = timeConfig(source, section(source, root, "time"));
    c.gateway = parseGateway(source, section(source, root, "gateway"), baseDir);
    if (c.cardKind == CardKind::Software) {
        requireSoftwareCardFits(source, c);
    }
    return c;
}

}  // namespace

bool AgentConfig::usesGba() const {
    return std::find(bootstrapOrder.begin(), bootstrapOrder.end(), BootstrapMethod::Gba) !=
               bootstrapOrder.end() ||
           std::find(connectionOrder.begin(), connectionOrder.end(), ConnectionMethod::Gba) !=
               connectionOrder.end();
}

std::string_view toString(BootstrapMethod method) {
    return method == BootstrapMethod::Gba ? "gba" : "tls";
}

std::string_view toString(ConnectionMethod method) {
    return method == ConnectionMethod::Gba ? "gba" : "tls";
}

std::string_view toString(TimeSource source) {
    switch (source) {
        case TimeSource::Network:
            return "network";
        case TimeSource::Chrony:
            return "chrony";
        case TimeSource::Local:
            return "local";
    }
    return "network";
}

AgentConfig parseAgentConfig(std::string_view toml, const std::filesystem::path& baseDir) {
    return parseConfig(toml, baseDir, "configuration");
}

AgentConfig loadAgentConfig(const std::filesystem::path& path) {
    const Source source = "configuration '" + path.string() + "'";
    AgentConfig c = parseConfig(readConfigFile(path, source), path.parent_path(), source);
    c.configFile = std::filesystem::absolute(path);
    return c;
}

}  // namespace agent
