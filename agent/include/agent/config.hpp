// The agent's configuration (TOML; testdata/agent/lab.toml shows every field). It holds no secret:
// the terminal's Kmsa is a key file named by path (0600/0400, refused otherwise), or the systemd
// credential "kmsa" ($CREDENTIALS_DIRECTORY/kmsa, LoadCredential=) when no path is given.
// Unknown keys are refused, so a misspelt option (or a pasted key) does not pass silently.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "securechannel/errors.hpp"

namespace agent {

class ConfigError : public securechannel::Error {
public:
    using securechannel::Error::Error;
};

struct RetryPolicy {
    std::chrono::milliseconds initial{500};
    std::chrono::milliseconds cap{60000};
    double multiplier = 2.0;
    double jitter = 0.2;       // each delay is scaled by a random factor in [1-j, 1+j]
    unsigned maxAttempts = 0;  // per procedure before the agent gives up; 0: never
};

// [card] kind: a UICC (CardSession) or a software-only card (SoftwareCard, GATEWAY.md §5: a
// device without a card behind a gateway; its keys in process memory, no secured environment).
enum class CardKind { Uicc, Software };
[[nodiscard]] constexpr std::string_view toString(CardKind kind) {
    return kind == CardKind::Software ? "software" : "uicc";
}

// How the agent gets Kmr (security-profile.md §4) and Kmc (§5).
enum class BootstrapMethod { Gba, Tls };   // §4.2 GBA-based, §4.3 TLS-based with Kbs
enum class ConnectionMethod { Gba, Tls };  // §5.2 GBA-based, §5.1 TLS-PSK with Kmr
std::string_view toString(BootstrapMethod method);
std::string_view toString(ConnectionMethod method);

// [gba]: Ub with the BSF and Ua with the MSBF / NSCL as NAFs.
struct GbaConfig {
    std::string bsfUrl;  // http(s)://host[:port][/path]
    std::string impi;    // empty: from the USIM's EF_IMSI (gba::impiFromImsi with mncDigits)
    int mncDigits = 2;
    std::string msbfFqdn;  // the MSBF's NAF_Id FQDN; default: the host of network.msbf
    std::string nsclFqdn;  // the NSCL's; default: the host of network.connection
    // The one PSK suite Ua offers (it is part of the NAF_Id): default PSK-AES128-CBC-SHA256.
    std::uint16_t uaCipherSuite = 0x00AE;
    std::chrono::seconds expiryMargin{300};  // a B-TID is reused until its lifetime minus this
    bool tolerateMissingRspauth = false;
    bool writeGbaBp = true;  // EF_GBABP after each new bootstrap
    std::string caFile;      // an https BSF's CA certificates (PEM); empty: the system's
};

// [integrity]: integrity validation (security profile §7). The NSCL's policy key is on the card.
struct IntegrityConfig {
    bool enabled = false;
    std::filesystem::path root;        // what manifest names other than @agent/@config are under
    std::filesystem::path kmsaIvFile;  // the terminal's Kmsa_iv (0600): the IV-SED's channel
    // The manifest as provisioned (COSE_Sign1); the agent keeps newer ones in state_dir.
    std::filesystem::path manifestFile;
    // The container, beside the readings under the agent's application, that gets a maintenance
    // record after a report under partial or halt, and when the verdict or the actions change.
    std::string maintenanceContainerId = "maintenance";
};

// [time]: where secure time comes from (GATEWAY.md §4).
enum class TimeSource { Network, Chrony, Local };
std::string_view toString(TimeSource source);

struct TimeConfig {
    TimeSource source = TimeSource::Network;
    std::chrono::seconds tolerance{60};  // a local clock further off is not trusted
    std::chrono::seconds resync{3600};   // GET {nscl}/time (and chronyc) this often
    // Not in the file: the program and its deadline (tests point them elsewhere).
    std::filesystem::path chronyc = "chronyc";
    std::chrono::milliseconds chronycTimeout{2000};
};

// [gateway]: gateway mode, the dIa side (agent/GATEWAY.md §6). Paths only: the devices file and
// the policy key are read (and their 0600 mode checked) when the gateway starts.
struct GatewayConfig {
    bool enabled = false;
    std::string listen = "127.0.0.1";  // numeric address of both dIa listeners
    std::uint16_t connectionPort = 0;  // 0: the OS picks
    std::uint16_t midPort = 0;
    std::filesystem::path devicesFile;    // provisioning/device_records.hpp
    std::filesystem::path policyKeyFile;  // P-256 PEM private key: signs the decisions
    std::string onFail = "deny";          // "deny" or "partial"
    std::vector<std::string> allowed;     // partial: paths below the device's SCL
    std::string unattested = "deny";      // "full", "partial" or "deny"
    std::chrono::seconds deviceKmcLifetime{3600};
    std::chrono::seconds deviceRegistrationLifetime{3600};
    std::chrono::milliseconds relayTimeout{10000};
};

struct AgentConfig {
    // [card]
    CardKind cardKind = CardKind::Uicc;
    std::optional<std::string> reader;  // empty: the first reader with a card
    std::filesystem::path kmsaFile;     // resolved: the path, or the systemd credential (uicc)
    // kind "software": the device's record (0600/0400; software_card.hpp). Such a configuration
    // has bootstrap "none", connection "tls" only, network.mid, no [integrity] and no [gateway].
    std::filesystem::path keyFile;
    // [network]
    std::string msbfUrl;               // MSBF base URL (TLS-based bootstrap, §4.3)
    std::string connectionUrl;         // NSCL connection endpoint base URL (§5.1)
    std::string midUrl;                // NSCL mId base URI; empty: the card's first NSCL
    std::vector<std::string> resolve;  // "host:port:address" (the lab names on loopback)
    std::chrono::milliseconds connectTimeout{5000};
    std::chrono::milliseconds requestTimeout{15000};
    // [agent] bootstrap / bootstrap_fallback, connection / connection_fallback: the methods in
    // the order they are tried. No bootstrap method ("none"): Kmr must be pre-provisioned.
    std::vector<BootstrapMethod> bootstrapOrder{BootstrapMethod::Tls};
    std::vector<ConnectionMethod> connectionOrder{ConnectionMethod::Tls};
    GbaConfig gba;                   // [gba]; needed when usesGba()
    std::filesystem::path stateDir;  // status.json lands here
    std::string applicationId = "telemetry";
    std::string containerId = "readings";
    std::chrono::milliseconds reportInterval{10000};
    // Renew Kmc this long before its expiry, so a request never starts on a key about to lapse.
    std::chrono::seconds kmcRenewMargin{5};
    // [retry]
    RetryPolicy retry;
    IntegrityConfig integrity;
    TimeConfig time;
    GatewayConfig gateway;
    // The file this configuration came from (loadAgentConfig): the "@config" object measured.
    std::filesystem::path configFile;

    // Whether "gba" is among the bootstrap or the connection methods.
    [[nodiscard]] bool usesGba() const;
};

// Parses and checks the text of a configuration. Relative paths inside are relative to `baseDir`.
// Messages name the key at fault ("configuration: retry.jitter must be ...").
AgentConfig parseAgentConfig(std::string_view toml, const std::filesystem::path& baseDir);

// Reads `path` (a regular file of at most 1 MiB) and parses it, relative paths inside being
// relative to the file's folder. A missing, unreadable or non-regular path (a directory, say) is
// refused for what it is; messages name the file.
AgentConfig loadAgentConfig(const std::filesystem::path& path);

}  // namespace agent
