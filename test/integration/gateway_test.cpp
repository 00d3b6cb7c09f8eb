// Gateway mode end to end (agent/GATEWAY.md): a gateway agent with its own emulated UICC in slot 0
// (bootstrap, connection, integrity reports signed by its IV-SED with its devices as `submods`)
// serves two devices on dIa: one with its own emulated UICC in slot 1 (Kmr and Kmc in its M2M-SED,
// reports signed by its IV-SED under the gateway's policy key) and one software-only device (keys
// in process memory, no attestation). All three are `m2m agent run` processes; the NSCL is
// m2m-netsim, which knows only the gateway. The carded device's measured file changes: at its
// next report the gateway cuts it off while the other device's readings keep flowing; the file
// restored, it is let back in.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "agent_fixture.hpp"
#include "integrity/cose.hpp"
#include "integrity/manifest.hpp"
#include "integrity/measure.hpp"
#include "m2m_cli.hpp"
#include "securechannel/crypto.hpp"

using namespace testsupport;
using namespace std::chrono_literals;

namespace {

const std::string kGatewayNode = "0A0B0C0D0E0F10111213141516171819";
const std::string kDeviceNode = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF";
const std::string kSoftNode = "5050505050505050505050505050AB01";

std::string lower(std::string s) {
    for (auto& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

void writeText(const std::filesystem::path& path, std::string_view content) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

void writeBytes(const std::filesystem::path& path, const base::Bytes& bytes) {
    writeText(path, {reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

std::string run(const std::string& command) {
    const CliRun r = runCommand(command + " 2>&1");
    if (r.exitCode != 0) {
        throw std::runtime_error(command + " failed: " + r.out);
    }
    return r.out;
}

std::string m2m() {
    return AgentLab::m2mBinary();
}

// One card's [iv_sed]: an SP key of its own, the policy key of whoever appraises it (the NSCL's
// for the gateway, the gateway's for its device), a first manifest over the agent and, for the
// device, a plug-in whose failure is reported (the gateway's policy decides what follows).
struct IvSetup {
    std::filesystem::path policyPem;  // written before the card is personalised
    bool withPlugin = false;
    std::filesystem::path dir;

    std::filesystem::path root() const { return dir / "root"; }
    std::filesystem::path plugin() const { return root() / "plugins" / "plugin.bin"; }
    std::filesystem::path manifest() const { return dir / "manifest-1.cose"; }

    std::string operator()(const std::filesystem::path& cardDir) {
        dir = cardDir;
        const auto sp = integrity::PrivateKey::generate();
        writeText(dir / "sp.pem", sp.publicKey().pem());
        integrity::Manifest m;
        m.version = 1;
        m.objects.push_back({"@agent", *integrity::sha256OfFile(std::filesystem::canonical(m2m())),
                             true, integrity::RecoveryAction::Report});
        std::filesystem::create_directories(root());
        if (withPlugin) {
            writeText(plugin(), "plugin v1");
            m.objects.push_back(
                {"plugins/plugin.bin",
                 securechannel::sha256(base::asBytes(std::string_view("plugin v1"))), true,
                 integrity::RecoveryAction::Report});
        }
        writeBytes(manifest(),
                   integrity::CoseSign1::sign(sp, m.encodePayload(), std::nullopt).encode());
        return "[iv_sed]\nkmsa_iv = \"generate\"\nreference_key = \"sp.pem\"\npolicy_key = \"" +
               policyPem.string() + "\"\nmanifest = \"manifest-1.cose\"\n";
    }
};

std::filesystem::path labDir() {
    return runDir() / ("gateway-" + std::to_string(::getpid()));
}

// What exists before the cards: the lab network's policy key (the gateway's IV-SED holds it) and
// the gateway's own policy key (the device's IV-SED holds its public half).
struct Keys {
    std::filesystem::path dir = labDir();
    std::filesystem::path nsclPolicy = dir / "nscl-policy.pem";
    std::filesystem::path gatewayPolicyKey = dir / "gateway-policy.key";
    std::filesystem::path gatewayPolicyPem = dir / "gateway-policy.pem";
    Keys() {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir / "lab");
        writeText(nsclPolicy, run("'" + netsimBinary() + "' policy-key --db '" +
                                  (dir / "lab" / "lab.db").string() + "'"));
        const auto key = integrity::PrivateKey::generate();
        key.writePemFile(gatewayPolicyKey.string());
        writeText(gatewayPolicyPem, key.publicKey().pem());
    }
};

class GatewayLab {
public:
    GatewayLab()
        : gatewayIv_{keys_.nsclPolicy, false, {}},
          deviceIv_{keys_.gatewayPolicyPem, true, {}},
          gatewayCard_(true, false, std::ref(gatewayIv_),
                       {0, kGatewayNode, "m2m:scl/gateway-0001"}),
          deviceCard_(true, false, std::ref(deviceIv_),
                      {1, kDeviceNode, "m2m:scl/" + lower(kDeviceNode), true}),
          network_(keys_.dir / "lab") {}

    ~GatewayLab() {
        for (auto* p : {&softAgent_, &deviceAgent_, &gatewayAgent_}) {
            if (*p) {
                (*p)->stop();
            }
        }
    }

    void startNetwork() {
        network_.import(gatewayCard_.kmsaFile().parent_path() / "keys.json",
                        {"--scl-id", "m2m:scl/gateway-0001"});
        LabNetwork::Options options;
        options.serveArgs = {"--registration-lifetime", "4"};
        network_.start(options);
    }

    // The gateway's records of its two devices (0600), the software device's key file.
    void recordDevices() {
        run("'" + m2m() + "' soft-device create --out '" + softKey().string() +
            "' --scl-id 'm2m:scl/" + lower(kSoftNode) + "' --node-id " + kSoftNode);
        run("'" + m2m() + "' gateway add-device --devices '" + devices().string() + "' '" +
            (deviceCard_.kmsaFile().parent_path() / "keys.json").string() + "'");
        run("'" + m2m() + "' gateway add-device --devices '" + devices().string() + "' '" +
            softKey().string() + "'");
    }

    void startGateway() {
        const LabPorts& p = network_.ports();
        const auto path = keys_.dir / "gateway.toml";
        std::ofstream out(path);
        out << "[card]\nreader = \"" << gatewayCard_.card().readerName() << "\"\nkmsa_file = \""
            << gatewayCard_.kmsaFile().string() << "\"\n"
            << network("https://msbf.lab.m2m:" + std::to_string(p.msbf),
                       "https://nscl.lab.m2m:" + std::to_string(p.connection),
                       "https://nscl.lab.m2m:" + std::to_string(p.mid) + "/m2m",
                       {"msbf.lab.m2m:" + std::to_string(p.msbf),
                        "nscl.lab.m2m:" + std::to_string(p.connection),
                        "nscl.lab.m2m:" + std::to_string(p.mid)})
            << agentSection(keys_.dir / "gateway-state", "")
            << integritySection(gatewayIv_, gatewayCard_)
            << "[gateway]\nenabled = true\nlisten = \"127.0.0.1\"\ndevices = \""
            << devices().string() << "\"\npolicy_key = \"" << keys_.gatewayPolicyKey.string()
            << "\"\non_fail = \"deny\"\nunattested = \"full\"\n"
               "device_registration_lifetime_s = 2\nrelay_timeout_ms = 5000\n";
        out.close();
        gatewayAgent_ = start(path, "gateway");
    }

    void startDevices() {
        const auto ports = gatewayPorts();
        const std::string conn = "https://gw.lab.m2m:" + std::to_string(ports.first);
        const std::string mid = "https://gw.lab.m2m:" + std::to_string(ports.second) + "/m2m";
        const std::vector<std::string> resolve{"gw.lab.m2m:" + std::to_string(ports.first),
                                               "gw.lab.m2m:" + std::to_string(ports.second)};
        {
            const auto path = keys_.dir / "device.toml";
            std::ofstream out(path);
            out << "[card]\nreader = \"" << deviceCard_.card().readerName() << "\"\nkmsa_file = \""
                << deviceCard_.kmsaFile().string() << "\"\n"
                << network("https://msbf.lab.m2m:1", conn, mid, resolve)
                << agentSection(keys_.dir / "device-state", "bootstrap = \"none\"\n")
                << integritySection(deviceIv_, deviceCard_);
            out.close();
            deviceAgent_ = start(path, "device");
        }
        {
            const auto path = keys_.dir / "soft.toml";
            std::ofstream out(path);
            out << "[card]\nkind = \"software\"\nkey_file = \"" << softKey().string() << "\"\n"
                << network("https://msbf.lab.m2m:1", conn, mid, resolve)
                << agentSection(keys_.dir / "soft-state", "bootstrap = \"none\"\n");
            out.close();
            softAgent_ = start(path, "soft");
        }
    }

    nlohmann::json gatewayStatus() const {
        return readJsonObject(keys_.dir / "gateway-state" / "status.json");
    }
    nlohmann::json deviceStatus() const {
        return readJsonObject(keys_.dir / "device-state" / "status.json");
    }
    nlohmann::json softStatus() const {
        return readJsonObject(keys_.dir / "soft-state" / "status.json");
    }

    // The gateway's entry for `node` in its status (gateway.devices).
    nlohmann::json gatewayDevice(const std::string& node) const {
        const auto s = gatewayStatus();
        if (s.contains("gateway")) {
            for (const auto& d : s["gateway"].value("devices", nlohmann::json::array())) {
                if (d.value("node_id", "") == lower(node)) {
                    return d;
                }
            }
        }
        return nlohmann::json::object();
    }
    // The NSCL's entry for `node` behind the gateway (m2m-netsim show --json).
    nlohmann::json nsclDevice(const std::string& node) {
        const auto shown = network_.show();
        for (const auto& g : shown.value("gateways", nlohmann::json::array())) {
            for (const auto& d : g.value("devices", nlohmann::json::array())) {
                if (d.value("node_id", "") == lower(node)) {
                    return d;
                }
            }
        }
        return nlohmann::json::object();
    }
    std::int64_t storedFor(const std::string& node) {
        return nsclDevice(node).value("content_instances", std::int64_t{0});
    }

    IvSetup& deviceIv() { return deviceIv_; }
    LabNetwork& lab() { return network_; }

    std::string diagnostics() const {
        std::string out = "gateway status: " + gatewayStatus().dump(2) +
                          "\ndevice status: " + deviceStatus().dump(2) +
                          "\nsoft status: " + softStatus().dump(2);
        for (const auto* p : {&gatewayAgent_, &deviceAgent_, &softAgent_}) {
            if (*p) {
                out += "\n--- log " + (*p)->log().string() + ":\n" + (*p)->output();
            }
        }
        return out + "\n--- netsim:\n" + network_.serverLog();
    }

private:
    std::filesystem::path devices() const { return keys_.dir / "devices.json"; }
    std::filesystem::path softKey() const { return keys_.dir / "soft-device.json"; }

    std::pair<int, int> gatewayPorts() const {
        const auto g = gatewayStatus().value("gateway", nlohmann::json::object());
        return {g.value("connection_port", 0), g.value("mid_port", 0)};
    }

    static std::string network(const std::string& msbf, const std::string& connection,
                               const std::string& mid, const std::vector<std::string>& resolve) {
        std::string out = "[network]\nmsbf = \"" + msbf + "\"\nconnection = \"" + connection +
                          "\"\nmid = \"" + mid + "\"\nresolve = [";
        for (std::size_t i = 0; i < resolve.size(); ++i) {
            out += (i == 0 ? "\"" : ", \"") + resolve[i] + ":127.0.0.1\"";
        }
        return out + "]\nconnect_timeout_ms = 2000\ntimeout_ms = 8000\n";
    }
    static std::string agentSection(const std::filesystem::path& state, const std::string& extra) {
        return "[agent]\nstate_dir = \"" + state.string() +
               "\"\nreport_interval_ms = 300\nkmc_renew_margin_s = 1\n" + extra +
               "[retry]\ninitial_ms = 200\ncap_ms = 1000\n";
    }
    static std::string integritySection(const IvSetup& iv, PersonalisedCard& card) {
        return "[integrity]\nenabled = true\nroot = \"" + iv.root().string() +
               "\"\nkmsa_iv_file = \"" + card.kmsaIvFile().string() + "\"\nmanifest = \"" +
               iv.manifest().string() + "\"\n";
    }
    std::unique_ptr<ChildProcess> start(const std::filesystem::path& config,
                                        const std::string& name) {
        return std::make_unique<ChildProcess>(
            std::vector<std::string>{m2m(), "agent", "run", "--config", config.string()},
            keys_.dir / (name + ".log"));
    }

    Keys keys_;
    IvSetup gatewayIv_;
    IvSetup deviceIv_;
    PersonalisedCard gatewayCard_;
    PersonalisedCard deviceCard_;
    LabNetwork network_;
    std::unique_ptr<ChildProcess> gatewayAgent_, deviceAgent_, softAgent_;
};

#define REQUIRE_EVENTUALLY(lab, timeout, ...)                    \
    do {                                                         \
        if (!eventually([&] { return __VA_ARGS__; }, timeout)) { \
            FAIL((lab).diagnostics());                           \
        }                                                        \
    } while (false)

}  // namespace

TEST_CASE(
    "gateway: two devices behind it; one fails its report and is cut off, the other's data "
    "keeps flowing; restored, it is let back in",
    "[gateway]") {
    GatewayLab lab;
    lab.startNetwork();
    lab.recordDevices();
    lab.startGateway();
    REQUIRE_EVENTUALLY(lab, 60s,
                       lab.gatewayStatus().value("state", "") == "registered" &&
                           lab.gatewayStatus()["gateway"].value("mid_port", 0) > 0);
    lab.startDevices();

    // Both registered through the gateway, both storing readings at the NSCL.
    REQUIRE_EVENTUALLY(lab, 60s, lab.storedFor(kDeviceNode) >= 2 && lab.storedFor(kSoftNode) >= 2);
    {
        const auto carded = lab.gatewayDevice(kDeviceNode);
        CHECK(carded.value("verdict", "") == "full");
        CHECK(carded.value("attested", false));
        const auto soft = lab.gatewayDevice(kSoftNode);
        CHECK(soft.value("verdict", "") == "full");
        CHECK_FALSE(soft.value("attested", true));
        // The NSCL saw both in the gateway's own (card-signed) report.
        CHECK(lab.nsclDevice(kDeviceNode).value("verdict", "") == "full");
        CHECK(lab.nsclDevice(kSoftNode).value("attested", true) == false);
        // The software device says what it is.
        CHECK(lab.softStatus()["card"].value("kind", "") == "software");
        // The gateway judged by secure time learnt from the NSCL.
        CHECK(lab.gatewayStatus()["time"].value("synchronised", false));
    }

    // The carded device's measured plug-in changes: its next report fails; the gateway's policy
    // (on_fail = deny) cuts it off, and says so to the NSCL in its next report.
    writeText(lab.deviceIv().plugin(), "plugin v1, patched");
    REQUIRE_EVENTUALLY(lab, 30s,
                       lab.gatewayDevice(kDeviceNode).value("verdict", "") == "deny" &&
                           lab.nsclDevice(kDeviceNode).value("verdict", "") == "deny");
    const auto cutAt = lab.storedFor(kDeviceNode);
    const auto softAt = lab.storedFor(kSoftNode);
    // The other device's readings keep flowing; the cut-off device stores nothing more.
    REQUIRE_EVENTUALLY(lab, 20s, lab.storedFor(kSoftNode) >= softAt + 5);
    CHECK(lab.storedFor(kDeviceNode) == cutAt);
    CHECK_FALSE(lab.nsclDevice(kDeviceNode).value("registered", true));

    // Mended on its side: the next report passes, the gateway lets it back in.
    writeText(lab.deviceIv().plugin(), "plugin v1");
    REQUIRE_EVENTUALLY(lab, 40s,
                       lab.gatewayDevice(kDeviceNode).value("verdict", "") == "full" &&
                           lab.storedFor(kDeviceNode) >= cutAt + 2);
    // Longer than the NSCL's 4 s registrations: the gateway keeps its devices' registrations
    // there alive with their refreshes.
    REQUIRE_EVENTUALLY(lab, 40s, lab.storedFor(kSoftNode) >= softAt + 30);
    CHECK(lab.gatewayStatus().value("state", "") == "registered");
    const auto relayed = lab.gatewayDevice(kSoftNode)["relayed"].value("requests", 0);
    CHECK(relayed >= 5);
}
