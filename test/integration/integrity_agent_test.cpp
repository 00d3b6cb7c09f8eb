// Integrity validation end to end (security profile §7): a card provisioned with its IV-SED by
// `personalise` ([iv_sed]: SP key and certificate, the NSCL's policy key, the first manifest, all
// made by the test), m2m-netsim appraising the agent's reports, and `m2m agent run` measuring,
// reporting, acting on the decision. One measured file is changed under the running agent and the
// manifest's recovery action for it runs: quarantine, rollback, halt; the NSCL's verdict follows
// its policy; a remediation order is fetched, installed in the card and reported on again.
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "agent_fixture.hpp"
#include "integrity/certificate.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"
#include "integrity/measure.hpp"
#include "m2m_cli.hpp"
#include "securechannel/crypto.hpp"

using namespace testsupport;
using namespace std::chrono_literals;

namespace {

const std::string kPlugin = "plugins/plugin.bin";

void writeBytes(const std::filesystem::path& path, std::string_view content) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

base::Bytes digestOf(std::string_view content) {
    return securechannel::sha256(base::asBytes(content));
}

// The SP's key and manifests, the integrity root, and the profile's [iv_sed] for one card.
struct IntegritySetup {
    integrity::RecoveryAction pluginAction = integrity::RecoveryAction::Report;
    std::filesystem::path dir;
    std::optional<integrity::PrivateKey> sp;

    std::filesystem::path root() const { return dir / "root"; }
    std::filesystem::path plugin() const { return root() / kPlugin; }

    base::Bytes manifest(std::uint32_t version, std::string_view pluginContent) const {
        integrity::Manifest m;
        m.version = version;
        const std::string agent = AgentLab::m2mBinary();
        m.objects.push_back({"@agent", *integrity::sha256OfFile(std::filesystem::canonical(agent)),
                             true, integrity::RecoveryAction::Report});
        m.objects.push_back({kPlugin, digestOf(pluginContent), true, pluginAction});
        return integrity::CoseSign1::sign(*sp, m.encodePayload(), std::nullopt).encode();
    }

    // For PersonalisedCard: everything the [iv_sed] section names, written into `cardDir`.
    std::string operator()(const std::filesystem::path& cardDir) {
        dir = cardDir;
        sp = integrity::PrivateKey::generate();
        const base::Bytes certificate = integrity::issueCertificate(
            {"test SP reference values", false, 30}, sp->publicKey(), *sp);
        writeBytes(dir / "sp.pem", integrity::certificateToPem(certificate));
        // The NSCL's policy key: the lab network's own, made before its store exists.
        std::filesystem::create_directories(dir / "lab");
        const std::string policyPem =
            runNetsim({"policy-key", "--db", (dir / "lab" / "lab.db").string()});
        writeBytes(dir / "policy.pem", policyPem);
        writeBytes(plugin(), "plugin v1");
        const base::Bytes first = manifest(1, "plugin v1");
        writeBytes(dir / "manifest-1.cose",
                   {reinterpret_cast<const char*>(first.data()), first.size()});
        return "[iv_sed]\nkmsa_iv = \"generate\"\nreference_key = \"sp.pem\"\n"
               "policy_key = \"policy.pem\"\nmanifest = \"manifest-1.cose\"\n";
    }

    static std::string runNetsim(const std::vector<std::string>& args) {
        std::string command = netsimBinary();
        for (const auto& a : args) {
            command += " '" + a + "'";
        }
        std::string out;
        FILE* pipe = ::popen(command.c_str(), "r");
        REQUIRE(pipe != nullptr);
        char buffer[512];
        while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
            out += buffer;
        }
        REQUIRE(::pclose(pipe) == 0);
        return out;
    }
};

// Constructed before AgentLab (base classes in order): the card's personalisation calls it.
struct SetupHolder {
    IntegritySetup setup_;
};

class IntegrityLab : private SetupHolder, public AgentLab {
public:
    explicit IntegrityLab(integrity::RecoveryAction action)
        : SetupHolder{IntegritySetup{action, {}, std::nullopt}},
          AgentLab(false, [this](const std::filesystem::path& dir) { return setup_(dir); }) {}

    IntegritySetup& setup() { return setup_; }

    // The node's policy at the NSCL, the card imported, the network up with short registrations
    // (a refresh, and so a report, every second).
    void startNetwork(const std::string& onFail, std::vector<std::string> allow = {}) {
        importCard();
        std::vector<std::string> args{
            nodeId(), "--manifest", (setup_.dir / "manifest-1.cose").string(), "--on-fail", onFail};
        for (const auto& a : allow) {
            args.insert(args.end(), {"--allow", a});
        }
        network().control("policy", args);
        LabNetwork::Options options;
        options.serveArgs = {"--registration-lifetime", "2"};
        network().start(options);
    }

    void writeIntegrityConfig() {
        AgentSettings s;
        s.reportIntervalMs = 300;
        s.extra = "[integrity]\nenabled = true\nroot = \"" + setup_.root().string() +
                  "\"\nkmsa_iv_file = \"" + card_.kmsaIvFile().string() + "\"\nmanifest = \"" +
                  (setup_.dir / "manifest-1.cose").string() + "\"\n";
        writeConfig(s);
    }
};

std::string verdictOf(const nlohmann::json& s) {
    const auto& i = s.value("integrity", nlohmann::json::object());
    return i.contains("verdict") && i["verdict"].is_string() ? i["verdict"].get<std::string>() : "";
}

bool hasAction(const nlohmann::json& s, const std::string& action, const std::string& outcome) {
    const auto& i = s.value("integrity", nlohmann::json::object());
    for (const auto& a : i.value("actions", nlohmann::json::array())) {
        if (a.value("action", "") == action &&
            a.value("outcome", "").find(outcome) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::uint64_t instances(const nlohmann::json& s) {
    return s.value("content_instances", std::uint64_t{0});
}

// What the NSCL stored in the container `containerId` (m2m-netsim show --json), oldest first.
std::vector<nlohmann::json> stored(LabNetwork& network, const std::string& containerId) {
    const auto shown = network.show();
    std::set<std::int64_t> ids;
    for (const auto& c : shown["containers"]) {
        if (c.value("container_id", "") == containerId) {
            ids.insert(c["id"].get<std::int64_t>());
        }
    }
    std::vector<nlohmann::json> out;
    for (const auto& i : shown["content_instances"]) {
        if (ids.count(i["container"].get<std::int64_t>()) != 0) {
            out.push_back(i);
        }
    }
    return out;
}

// A maintenance record as the NSCL stored it (the agent's JSON).
nlohmann::json record(const nlohmann::json& instance) {
    return nlohmann::json::parse(instance.value("content", "{}"));
}

std::string fileText(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("integrity: a good device reports, gets full access and stores data", "[integrity]") {
    IntegrityLab lab(integrity::RecoveryAction::Report);
    // The record carries the attestation key the card made (PEM SubjectPublicKeyInfo).
    const auto record = nlohmann::json::parse(fileText(lab.keysFile()));
    REQUIRE(record.contains("iv_attestation_public_key"));
    const auto key =
        integrity::PublicKey::fromPem(record["iv_attestation_public_key"].get<std::string>());
    REQUIRE(lab.card().result().ivSed);
    CHECK(lab.card().result().ivSed->status.manifestVersion == 1);

    lab.startNetwork("partial");
    lab.writeIntegrityConfig();
    lab.startAgent();
    REQUIRE_STATUS(lab, 40s, [](const auto& s) {
        return verdictOf(s) == "full" && instances(s) >= 2 &&
               s["integrity"].value("reports", 0) >= 2;
    });
    const auto s = lab.status();
    CHECK(s["integrity"]["last_report"]["passes"] == true);
    CHECK(s["integrity"]["last_report"]["manifest_version"] == 1);
    CHECK(s["integrity"]["halted"] == false);

    // A fresh report for a person: eat plus its claims, signed by the key of the record.
    lab.agent().stop();
    const auto run = runM2m("integrity report --json --config '" +
                            (lab.card().kmsaFile().parent_path() / "agent.toml").string() + "'");
    REQUIRE(run.exitCode == 0);
    const auto out = nlohmann::json::parse(run.out);
    CHECK(out["nonce_source"] == "local");
    CHECK(out["passes"] == true);
    const auto report =
        integrity::Report::decode(integrity::fromBase64Url(out["eat"].get<std::string>()));
    report.verifyWith(key);
    CHECK(out["claims"]["measres"].size() == 2);
}

TEST_CASE("integrity: a changed file under rollback is restored and the next report passes",
          "[integrity]") {
    IntegrityLab lab(integrity::RecoveryAction::Rollback);
    lab.startNetwork("partial");
    lab.writeIntegrityConfig();
    lab.startAgent();
    REQUIRE_STATUS(lab, 40s,
                   [](const auto& s) { return verdictOf(s) == "full" && instances(s) >= 1; });
    writeBytes(lab.setup().plugin(), "plugin tampered");
    REQUIRE_STATUS(lab, 40s, [](const auto& s) {
        return hasAction(s, "rollback", "restored the known-good copy") && verdictOf(s) == "full" &&
               s["integrity"]["last_report"]["passes"] == true;
    });
    CHECK(fileText(lab.setup().plugin()) == "plugin v1");
}

TEST_CASE(
    "integrity: a changed file under quarantine is taken out of use; partial access to the "
    "maintenance container only, full access again once a report passes",
    "[integrity]") {
    IntegrityLab lab(integrity::RecoveryAction::Quarantine);
    lab.startNetwork("partial", {"applications/telemetry/containers/maintenance"});
    lab.writeIntegrityConfig();
    lab.startAgent();
    REQUIRE_STATUS(lab, 40s, [](const auto& s) {
        return verdictOf(s) == "full" && instances(s) >= 1 &&
               s.value("maintenance_container", "").ends_with("/containers/maintenance");
    });
    writeBytes(lab.setup().plugin(), "plugin tampered");
    REQUIRE_STATUS(lab, 40s, [](const auto& s) {
        return hasAction(s, "quarantine", "moved to quarantine") && verdictOf(s) == "partial" &&
               s.value("readings_withheld", 0) >= 2 && s.value("maintenance_records", 0) >= 2;
    });
    CHECK_FALSE(std::filesystem::exists(lab.setup().plugin()));

    // At the NSCL: the maintenance container takes a record after every report, the readings
    // container (outside what partial allows) nothing.
    const auto readings = stored(lab.network(), "readings").size();
    const auto records = stored(lab.network(), "maintenance").size();
    std::this_thread::sleep_for(2500ms);
    CHECK(stored(lab.network(), "readings").size() == readings);
    const auto maintenance = stored(lab.network(), "maintenance");
    REQUIRE(maintenance.size() > records);
    const auto latest = record(maintenance.back());
    CHECK(maintenance.back().value("content_type", "") == "application/json");
    CHECK(latest["verdict"] == "partial");
    CHECK(latest["failed"] == nlohmann::json::array({kPlugin}));
    CHECK(latest["report"].get<std::uint64_t>() >= 2);
    bool quarantineTold = false;
    for (const auto& instance : maintenance) {
        const auto told = record(instance);  // kept: a loop over a temporary's member dangles
        for (const auto& a : told["actions"]) {
            quarantineTold = quarantineTold || a.value("action", "") == "quarantine";
        }
    }
    CHECK(quarantineTold);

    // Mended: the next report passes, full access returns and the readings flow again.
    const auto withheld = instances(lab.status());
    writeBytes(lab.setup().plugin(), "plugin v1");
    REQUIRE_STATUS(lab, 40s, [&](const auto& s) {
        return verdictOf(s) == "full" && instances(s) >= withheld + 2;
    });
    CHECK(stored(lab.network(), "readings").size() > readings);
    // The change back to full is told once in the maintenance container.
    CHECK(record(stored(lab.network(), "maintenance").back())["verdict"] == "full");
}

TEST_CASE("integrity: a changed file under halt stops mId data until a report passes",
          "[integrity]") {
    IntegrityLab lab(integrity::RecoveryAction::Halt);
    lab.startNetwork("partial", {"applications/telemetry/containers/readings"});
    lab.writeIntegrityConfig();
    lab.startAgent();
    REQUIRE_STATUS(lab, 40s,
                   [](const auto& s) { return verdictOf(s) == "full" && instances(s) >= 1; });
    writeBytes(lab.setup().plugin(), "plugin tampered");
    REQUIRE_STATUS(lab, 40s, [](const auto& s) {
        return s["integrity"].value("halted", false) && s.value("readings_withheld", 0) >= 2;
    });
    const auto stored = instances(lab.status());
    std::this_thread::sleep_for(1500ms);
    CHECK(instances(lab.status()) == stored);  // partial would allow it; halt holds it back
    // Mended: the next report passes and data flows again.
    writeBytes(lab.setup().plugin(), "plugin v1");
    REQUIRE_STATUS(lab, 40s, [&](const auto& s) {
        return !s["integrity"].value("halted", true) && instances(s) > stored;
    });
}

TEST_CASE("integrity: deny refuses the registration", "[integrity]") {
    IntegrityLab lab(integrity::RecoveryAction::Report);
    lab.startNetwork("deny");
    writeBytes(lab.setup().plugin(), "plugin tampered");
    lab.writeIntegrityConfig();
    lab.startAgent();
    REQUIRE_STATUS(lab, 40s, [](const auto& s) {
        const auto& error = s.value("last_error", nlohmann::json());
        return verdictOf(s) == "deny" && error.is_string() &&
               error.dump().find("integrity verdict deny") != std::string::npos;
    });
    CHECK(lab.status().value("registrations", 0) == 0);
    CHECK(instances(lab.status()) == 0);
}

TEST_CASE("integrity: remediation installs a new manifest and object, then full access",
          "[integrity]") {
    IntegrityLab lab(integrity::RecoveryAction::Report);
    lab.startNetwork("partial");
    lab.writeIntegrityConfig();
    lab.startAgent();
    REQUIRE_STATUS(lab, 40s,
                   [](const auto& s) { return verdictOf(s) == "full" && instances(s) >= 1; });
    const base::Bytes second = lab.setup().manifest(2, "plugin v2");
    writeBytes(lab.setup().dir / "manifest-2.cose",
               {reinterpret_cast<const char*>(second.data()), second.size()});
    writeBytes(lab.setup().dir / "plugin-v2.bin", "plugin v2");
    lab.network().control(
        "policy", {lab.nodeId(), "--remediate", (lab.setup().dir / "manifest-2.cose").string(),
                   "--object", kPlugin + "=" + (lab.setup().dir / "plugin-v2.bin").string()});
    REQUIRE_STATUS(lab, 40s, [](const auto& s) {
        return hasAction(s, "remediation", "manifest version 2 installed") &&
               s["integrity"]["last_report"]["manifest_version"] == 2 &&
               s["integrity"]["last_report"]["passes"] == true && verdictOf(s) == "full";
    });
    CHECK(fileText(lab.setup().plugin()) == "plugin v2");
}
