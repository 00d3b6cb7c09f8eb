#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "agent/config.hpp"
#include "message_matches.hpp"

using agent::ConfigError;
using agent::loadAgentConfig;
using agent::parseAgentConfig;

namespace {

std::filesystem::path writeConfig(const std::string& name, const std::string& text) {
    const auto dir = std::filesystem::temp_directory_path() / "m2m-agent-config-test";
    std::filesystem::create_directories(dir);
    const auto path = dir / name;
    std::ofstream(path) << text;
    return path;
}

const std::string kMinimal =
    "[card]\nkmsa_file = \"kmsa.key\"\n"
    "[network]\nmsbf = \"https://msbf.lab.m2m:8441\"\nconnection = \"https://nscl.lab.m2m:8442\"\n";

}  // namespace

TEST_CASE("the lab configuration in testdata loads with every field", "[config]") {
    const auto c = loadAgentConfig("agent/lab.toml");
    CHECK(c.reader == "Virtual PCD 00 00");
    CHECK(c.kmsaFile.filename() == "kmsa.key");
    CHECK(c.kmsaFile.parent_path().filename() == "agent");  // relative to the file
    CHECK(c.msbfUrl == "https://msbf.lab.m2m:8441");
    CHECK(c.connectionUrl == "https://nscl.lab.m2m:8442");
    CHECK(c.midUrl.empty());
    CHECK(c.resolve.size() == 4);
    CHECK(c.gba.bsfUrl == "http://bsf.lab.m2m:8440/");
    CHECK(c.gba.msbfFqdn == "msbf.lab.m2m");
    CHECK(c.reportInterval == std::chrono::milliseconds(2000));
    CHECK(c.retry.initial == std::chrono::milliseconds(500));
    CHECK(c.retry.cap == std::chrono::milliseconds(60000));
    CHECK(c.retry.maxAttempts == 0);
}

TEST_CASE("defaults apply to what a minimal configuration leaves out", "[config]") {
    const auto c = loadAgentConfig(writeConfig("minimal.toml", kMinimal));
    CHECK_FALSE(c.reader.has_value());
    CHECK(c.retry.multiplier == 2.0);
    CHECK(c.applicationId == "telemetry");
}

TEST_CASE("a misspelt or unknown key is refused, not ignored", "[config]") {
    CHECK_THROWS_AS(
        loadAgentConfig(writeConfig("typo.toml", kMinimal + "[retry]\ninital_ms = 5\n")),
        ConfigError);
    // A key pasted into the configuration is not an option of any section.
    CHECK_THROWS_WITH(loadAgentConfig(writeConfig(
                          "key.toml",
                          "[card]\nkmsa = \"00112233\"\nkmsa_file = \"k\"\n[network]\nmsbf = "
                          "\"https://m\"\nconnection = \"https://n\"\n")),
                      Catch::Contains("unknown key 'card.kmsa'") && !Catch::Contains("00112233"));
    CHECK_THROWS_AS(loadAgentConfig(writeConfig("section.toml", kMinimal + "[secrets]\na = 1\n")),
                    ConfigError);
}

TEST_CASE("bad values are refused with the field named", "[config]") {
    CHECK_THROWS_WITH(
        loadAgentConfig(writeConfig("http.toml",
                                    "[card]\nkmsa_file = \"k\"\n[network]\nmsbf = "
                                    "\"http://msbf\"\nconnection = \"https://nscl\"\n")),
        Catch::Contains("network.msbf"));
    CHECK_THROWS_WITH(
        loadAgentConfig(writeConfig("range.toml", kMinimal + "[retry]\njitter = 5.0\n")),
        Catch::Contains("retry.jitter"));
    CHECK_THROWS_WITH(loadAgentConfig(writeConfig(
                          "cap.toml", kMinimal + "[retry]\ninitial_ms = 5000\ncap_ms = 100\n")),
                      Catch::Contains("retry.cap_ms"));
    CHECK_THROWS_AS(loadAgentConfig(writeConfig("syntax.toml", "[card\n")), ConfigError);
    CHECK_THROWS_AS(loadAgentConfig("/nonexistent/agent.toml"), ConfigError);
}

TEST_CASE("an integer setting given as a float is refused, also far out of range",
          "[config][neg]") {
    // toml++ would convert a float node to an integer; 1e300 is undefined behaviour there.
    for (const char* number : {"1e300", "-1e300", "1500.0", "nan"}) {
        INFO(number);
        CHECK_THROWS_MATCHES(
            parseAgentConfig(kMinimal + "timeout_ms = " + number + "\n", "/etc"),  // in [network]
            ConfigError,
            Catch::Message("configuration: network.timeout_ms must be an integer in "
                           "100..600000"));
    }
}

TEST_CASE("NaN and infinities are refused for every floating-point setting, by key",
          "[config][neg]") {
    // NaN compares false with everything, so a range check alone lets it through.
    for (const char* key : {"multiplier", "jitter"}) {
        for (const char* value : {"nan", "+nan", "-nan", "inf", "+inf", "-inf"}) {
            INFO(key << " = " << value);
            CHECK_THROWS_MATCHES(
                parseAgentConfig(kMinimal + "[retry]\n" + key + " = " + value + "\n", "/etc"),
                ConfigError,
                Catch::Message("configuration: retry." + std::string(key) +
                               " must be a finite number in " +
                               (std::string(key) == "multiplier" ? "1..10" : "0..0.9")));
        }
    }
    // Finite values at the bounds still pass.
    const auto c = parseAgentConfig(kMinimal + "[retry]\nmultiplier = 10.0\njitter = 0.0\n", "/");
    CHECK(c.retry.multiplier == 10.0);
    CHECK(c.retry.jitter == 0.0);
}

TEST_CASE("a configuration parsed from text resolves its relative paths against the base folder",
          "[config]") {
    const auto c = parseAgentConfig(kMinimal + "[agent]\nstate_dir = \"state\"\n", "/etc/m2m");
    CHECK(c.kmsaFile == "/etc/m2m/kmsa.key");
    CHECK(c.stateDir == "/etc/m2m/state");
    const auto absolute = parseAgentConfig(
        "[card]\nkmsa_file = \"/run/k\"\n" + kMinimal.substr(kMinimal.find("[network]")),
        "/etc/m2m");
    CHECK(absolute.kmsaFile == "/run/k");
    CHECK_THROWS_MATCHES(parseAgentConfig("[card\n", "/"), ConfigError,
                         sctest::MessageMatches(Catch::StartsWith("configuration: ")));
}

TEST_CASE("a directory or an unreadable path given as the configuration says so", "[config][neg]") {
    const auto dir = std::filesystem::temp_directory_path() / "m2m-agent-config-test" / "a-dir";
    std::filesystem::create_directories(dir);
    CHECK_THROWS_MATCHES(
        loadAgentConfig(dir), ConfigError,
        sctest::MessageMatches(Catch::Contains("'" + dir.string() + "'") &&
                               Catch::Contains("is a directory") && !Catch::Contains("kmsa_file")));
    CHECK_THROWS_MATCHES(
        loadAgentConfig("/nonexistent/agent.toml"), ConfigError,
        sctest::MessageMatches(Catch::Contains("'/nonexistent/agent.toml'") &&
                               Catch::Contains("cannot be read") && !Catch::Contains("kmsa_file")));
    CHECK_THROWS_MATCHES(loadAgentConfig("/dev/null"), ConfigError,
                         sctest::MessageMatches(Catch::Contains("not a regular file")));
}

TEST_CASE("without kmsa_file the systemd credential is used, and nothing else", "[config]") {
    const std::string noKmsa =
        "[network]\nmsbf = \"https://msbf\"\nconnection = \"https://nscl\"\n";
    ::unsetenv("CREDENTIALS_DIRECTORY");
    CHECK_THROWS_WITH(loadAgentConfig(writeConfig("nokmsa.toml", noKmsa)),
                      Catch::Contains("LoadCredential"));
    ::setenv("CREDENTIALS_DIRECTORY", "/run/credentials/m2m-agent.service", 1);
    CHECK(loadAgentConfig(writeConfig("cred.toml", noKmsa)).kmsaFile ==
          "/run/credentials/m2m-agent.service/kmsa");
    ::unsetenv("CREDENTIALS_DIRECTORY");
}

TEST_CASE("bootstrap and connection methods: defaults, GBA with its [gba] section, fallbacks",
          "[config][gba]") {
    using agent::BootstrapMethod;
    using agent::ConnectionMethod;
    const auto base = parseAgentConfig(kMinimal, ".");
    CHECK(base.bootstrapOrder == std::vector{BootstrapMethod::Tls});
    CHECK(base.connectionOrder == std::vector{ConnectionMethod::Tls});

    const auto c = parseAgentConfig(
        kMinimal +
            "[agent]\nbootstrap = \"gba\"\nbootstrap_fallback = [\"tls\"]\n"
            "connection = \"gba\"\nconnection_fallback = [\"tls\"]\n"
            "[gba]\nbsf = \"http://bsf.lab.m2m:8080/\"\nexpiry_margin_s = 60\n"
            "ua_cipher = \"PSK-AES128-GCM-SHA256\"\ntolerate_missing_rspauth = true\n",
        ".");
    CHECK(c.bootstrapOrder == std::vector{BootstrapMethod::Gba, BootstrapMethod::Tls});
    CHECK(c.connectionOrder == std::vector{ConnectionMethod::Gba, ConnectionMethod::Tls});
    CHECK(c.gba.bsfUrl == "http://bsf.lab.m2m:8080/");
    CHECK(c.gba.impi.empty());  // from the USIM's IMSI
    CHECK(c.gba.mncDigits == 2);
    CHECK(c.gba.msbfFqdn == "msbf.lab.m2m");  // the hosts of network.msbf / network.connection
    CHECK(c.gba.nsclFqdn == "nscl.lab.m2m");
    CHECK(c.gba.uaCipherSuite == 0x00A8);
    CHECK(c.gba.expiryMargin == std::chrono::seconds(60));
    CHECK(c.gba.tolerateMissingRspauth);
    CHECK(c.gba.writeGbaBp);

    const auto none = parseAgentConfig(kMinimal + "[agent]\nbootstrap = \"none\"\n", ".");
    CHECK(none.bootstrapOrder.empty());

    // A node that never bootstraps (a device behind a gateway) needs no MSBF; one that does, does.
    const std::string noMsbf =
        "[card]\nkmsa_file = \"k\"\n[network]\nconnection = \"https://gw:1\"\n";
    CHECK(parseAgentConfig(noMsbf + "[agent]\nbootstrap = \"none\"\n", ".").msbfUrl.empty());
    CHECK_THROWS_WITH(parseAgentConfig(noMsbf, "."), Catch::Contains("network.msbf is missing"));

    const auto named = parseAgentConfig(
        kMinimal +
            "[agent]\nbootstrap = \"gba\"\n[gba]\nbsf = \"https://bsf:1\"\n"
            "impi = \"001010000000001@ims.mnc001.mcc001.3gppnetwork.org\"\n"
            "msbf_fqdn = \"msbf.example\"\nnscl_fqdn = \"nscl.example\"\nmnc_digits = 3\n",
        ".");
    CHECK(named.gba.impi == "001010000000001@ims.mnc001.mcc001.3gppnetwork.org");
    CHECK(named.gba.msbfFqdn == "msbf.example");
    CHECK(named.gba.mncDigits == 3);
}

TEST_CASE("GBA settings that cannot work are refused with the key named", "[config][gba][neg]") {
    const auto refused = [](const std::string& extra, const std::string& message) {
        CHECK_THROWS_WITH(parseAgentConfig(kMinimal + extra, "."), Catch::Contains(message));
    };
    refused("[agent]\nbootstrap = \"gba\"\n", "gba.bsf is missing");
    refused("[agent]\nconnection = \"gba\"\n", "gba.bsf is missing");
    refused("[agent]\nbootstrap = \"eap\"\n", "agent.bootstrap must be");
    refused("[agent]\nconnection = \"none\"\n", "agent.connection must be");
    refused("[agent]\nbootstrap_fallback = [\"tls\"]\n", "twice");
    refused(
        "[agent]\nbootstrap = \"gba\"\nbootstrap_fallback = [\"none\"]\n[gba]\nbsf = "
        "\"http://b\"\n",
        "agent.bootstrap_fallback must be");
    refused("[agent]\nbootstrap = \"none\"\nbootstrap_fallback = [\"tls\"]\n",
            "needs agent.bootstrap");
    refused("[agent]\nbootstrap_fallback = \"gba\"\n", "must be an array");
    refused("[agent]\nbootstrap = \"gba\"\n[gba]\nbsf = \"ftp://bsf\"\n", "gba.bsf must be");
    refused("[agent]\nbootstrap = \"gba\"\n[gba]\nbsf = \"http://b\"\nua_cipher = \"ECDHE-RSA\"\n",
            "gba.ua_cipher must be");
    refused("[gba]\nmnc_digits = 4\n", "gba.mnc_digits");
    refused("[gba]\ntolerate_missing_rspauth = 1\n", "must be true or false");
    refused("[gba]\nbsf_url = \"http://b\"\n", "unknown key 'gba.bsf_url'");
}

TEST_CASE("[time] chooses the source of secure time, its tolerance and resync interval",
          "[config][time]") {
    const auto lab = loadAgentConfig("agent/lab.toml");
    CHECK(lab.time.source == agent::TimeSource::Network);
    CHECK(lab.time.tolerance == std::chrono::seconds(60));
    CHECK(lab.time.resync == std::chrono::seconds(3600));
    const auto defaults = loadAgentConfig(writeConfig("time-default.toml", kMinimal));
    CHECK(defaults.time.source == agent::TimeSource::Network);
    CHECK(defaults.time.tolerance == std::chrono::seconds(60));
    const auto chrony = loadAgentConfig(
        writeConfig("time-chrony.toml",
                    kMinimal + "[time]\nsource = \"chrony\"\ntolerance_s = 5\nresync_s = 60\n"));
    CHECK(chrony.time.source == agent::TimeSource::Chrony);
    CHECK(chrony.time.tolerance == std::chrono::seconds(5));
    CHECK(chrony.time.resync == std::chrono::seconds(60));
    CHECK(loadAgentConfig(writeConfig("time-local.toml", kMinimal + "[time]\nsource = \"local\"\n"))
              .time.source == agent::TimeSource::Local);
    CHECK_THROWS_WITH(
        loadAgentConfig(writeConfig("time-ntp.toml", kMinimal + "[time]\nsource = \"ntp\"\n")),
        Catch::Contains("time.source"));
    CHECK_THROWS_WITH(
        loadAgentConfig(writeConfig("time-tol.toml", kMinimal + "[time]\ntolerance_s = 0\n")),
        Catch::Contains("time.tolerance_s"));
    CHECK_THROWS_WITH(
        loadAgentConfig(writeConfig("time-resync.toml", kMinimal + "[time]\nresync_s = 1\n")),
        Catch::Contains("time.resync_s"));
    CHECK_THROWS_WITH(
        loadAgentConfig(writeConfig("time-key.toml", kMinimal + "[time]\nserver = \"x\"\n")),
        Catch::Contains("time.server"));
}

namespace {

// A software-only device (GATEWAY.md §5): what it must say, and what it cannot have.
const std::string kSoftwareCard = "[card]\nkind = \"software\"\nkey_file = \"device.json\"\n";
const std::string kSoftwareNetwork =
    "[network]\nmsbf = \"https://msbf.lab.m2m:8441\"\nconnection = \"https://gw.lab.m2m:8442\"\n"
    "mid = \"https://gw.lab.m2m:8443/m2m\"\n";
const std::string kSoftwareAgent = "[agent]\nbootstrap = \"none\"\n";

}  // namespace

TEST_CASE("card.kind software: the key file, bootstrap none, tls, an mId URL", "[config]") {
    const auto c = loadAgentConfig(
        writeConfig("soft.toml", kSoftwareCard + kSoftwareNetwork + kSoftwareAgent));
    CHECK(c.cardKind == agent::CardKind::Software);
    CHECK(c.keyFile.filename() == "device.json");
    CHECK(c.keyFile.is_absolute());  // relative to the configuration's folder
    CHECK(c.kmsaFile.empty());
    CHECK(c.bootstrapOrder.empty());
    CHECK(loadAgentConfig(writeConfig("uicc.toml", kMinimal)).cardKind == agent::CardKind::Uicc);
}

TEST_CASE("card.kind software: what it cannot do is refused", "[config][neg]") {
    const auto refused = [](const char* name, const std::string& text, const char* says) {
        INFO(name);
        CHECK_THROWS_WITH(loadAgentConfig(writeConfig(name, text)), Catch::Contains(says));
        CHECK_THROWS_AS(loadAgentConfig(writeConfig(name, text)), ConfigError);
    };
    refused("kind.toml", "[card]\nkind = \"hsm\"\n" + kSoftwareNetwork, "card.kind");
    refused("nokey.toml", "[card]\nkind = \"software\"\n" + kSoftwareNetwork + kSoftwareAgent,
            "card.key_file is missing");
    refused("keyuicc.toml", kMinimal + "[card]\nkey_file = \"device.json\"\n", "card");
    refused("keyuicc2.toml",
            "[card]\nkmsa_file = \"k\"\nkey_file = \"device.json\"\n" + kSoftwareNetwork,
            "card.key_file is for card.kind \"software\"");
    refused("kmsa.toml",
            "[card]\nkind = \"software\"\nkey_file = \"d.json\"\nkmsa_file = \"k\"\n" +
                kSoftwareNetwork + kSoftwareAgent,
            "card.kmsa_file has no use");
    refused("bootstrap.toml", kSoftwareCard + kSoftwareNetwork, "agent.bootstrap must be \"none\"");
    refused("bootstrapgba.toml",
            kSoftwareCard + kSoftwareNetwork +
                "[agent]\nbootstrap = \"tls\"\n[gba]\nbsf = \"http://bsf\"\n",
            "agent.bootstrap must be \"none\"");
    refused("connection.toml",
            kSoftwareCard + kSoftwareNetwork + kSoftwareAgent +
                "connection = \"gba\"\n[gba]\nbsf = \"http://bsf\"\n",
            "agent.connection must be \"tls\"");
    refused("fallback.toml",
            kSoftwareCard + kSoftwareNetwork + kSoftwareAgent +
                "connection_fallback = [\"gba\"]\n[gba]\nbsf = \"http://bsf\"\n",
            "agent.connection must be \"tls\"");
    refused("integrity.toml",
            kSoftwareCard + kSoftwareNetwork + kSoftwareAgent +
                "[integrity]\nenabled = true\nroot = \"/\"\nkmsa_iv_file = \"k\"\n"
                "manifest = \"m\"\n",
            "integrity.enabled must be false");
    refused("gateway.toml",
            kSoftwareCard + kSoftwareNetwork + kSoftwareAgent +
                "[gateway]\nenabled = true\ndevices = \"devices.json\"\n"
                "policy_key = \"policy.pem\"\n",
            "gateway.enabled must be false");
    refused("nomid.toml",
            kSoftwareCard + "[network]\nmsbf = \"https://m:1\"\nconnection = \"https://gw:2\"\n" +
                kSoftwareAgent,
            "network.mid is missing");
}
