// The agent with GBA end to end on the real stack (security-profile.md §4.2, §5.2): the emulated
// UICC with a USIM behind pcscd, m2m-netsim with its BSF and osmo-hlr as the AuC, `m2m agent run`.
// Ub with Digest AKA, SET KEY FROM GBA into the pending key, Ua with PSK = Ks_ext_NAF, ACTIVATE KEY
// with the NAF's parameters; the keys the card ends up with are checked against the lab network's
// and against what this test computes from the exported K/OPc, and no log line carries them.
#include <algorithm>

#include "agent_fixture.hpp"
#include "base/base64.hpp"
#include "m2m_cli.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/gba_kdf.hpp"
#include "securechannel/milenage.hpp"
#include "seuicc/usim_client.hpp"

using namespace testsupport;
using namespace std::chrono_literals;

namespace {

nlohmann::json labNode(LabNetwork& lab, const std::string& nodeId) {
    const auto shown = lab.show();  // kept: the loop must not run over a temporary's member
    for (const auto& n : shown.at("nodes")) {
        if (n.value("node_id", "") == nodeId) {
            return n;
        }
    }
    return nlohmann::json::object();
}

std::string upper(std::string hex) {
    for (auto& c : hex) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return hex;
}

std::string kcv(const nlohmann::json& value) {
    return upper(value.is_string() ? value.get<std::string>() : std::string("(none)"));
}

bool registeredWith(const nlohmann::json& s, std::uint64_t instances) {
    return s.value("state", "") == "registered" &&
           s.value("content_instances", std::uint64_t{0}) >= instances;
}

std::uint64_t gbaCounter(const nlohmann::json& s, const char* name) {
    return s.contains("gba") && s["gba"].is_object() ? s["gba"].value(name, std::uint64_t{0}) : 0;
}

// What the card and the BSF derived for the B-TID in the status, computed here from the exported
// USIM keys: Ks = CK || IK, RES, and the NAF keys for `fqdn` with the Ua suite 0x00AE.
struct GbaKeys {
    base::Bytes res, ks, ksExt, ksInt;
};
GbaKeys expectedKeys(const std::filesystem::path& keysFile, const std::string& btid,
                     const std::string& impi, const std::string& fqdn) {
    const auto keys = nlohmann::json::parse(std::ifstream(keysFile));
    securechannel::milenage::Keys k{
        base::SecretBuffer::copyOf(base::fromHex(keys["usim_k"].get<std::string>())),
        base::SecretBuffer::copyOf(base::fromHex(keys["usim_opc"].get<std::string>()))};
    const auto rand = base::base64Decode(btid.substr(0, btid.find('@')));
    REQUIRE(rand.has_value());
    const auto out =
        securechannel::milenage::compute(k, *rand, base::Bytes(6, 0), base::Bytes(2, 0));
    GbaKeys g;
    g.res = base::Bytes(out.res.view().begin(), out.res.view().end());
    g.ks = base::concat({base::Bytes(out.ck.view().begin(), out.ck.view().end()),
                         base::Bytes(out.ik.view().begin(), out.ik.view().end())});
    const auto nafId = securechannel::gba::tlsPskNafId(fqdn, 0x00AE);
    const auto ext = securechannel::gba::ksExtNaf(g.ks, *rand, impi, nafId);
    const auto in = securechannel::gba::ksIntNaf(g.ks, *rand, impi, nafId);
    g.ksExt.assign(ext.view().begin(), ext.view().end());
    g.ksInt.assign(in.view().begin(), in.view().end());
    return g;
}

// No 8 bytes of any key, in upper or lower case hex, in `text`.
void checkNoKey(const std::string& text, const std::vector<base::Bytes>& secrets) {
    const std::string up = upper(text);
    for (const auto& secret : secrets) {
        for (std::size_t i = 0; i + 8 <= secret.size(); i += 4) {
            const base::Bytes piece(secret.begin() + static_cast<long>(i),
                                    secret.begin() + static_cast<long>(i + 8));
            CHECK(up.find(base::toHex(piece)) == std::string::npos);
        }
    }
}

AgentSettings gbaSettings(const std::string& bootstrap, const std::string& connection) {
    AgentSettings s;
    s.bootstrap = bootstrap;
    s.connection = connection;
    s.timeoutMs = 10000;
    return s;
}

}  // namespace

TEST_CASE("GBA bootstrap: Ub with osmo-hlr, Ua with the MSBF, Kmr = Ks_int_NAF, registered",
          "[agent][gba]") {
    AgentLab lab(/*gba=*/true);
    lab.importCard({"--without-kmr"});  // the MSBF must give a new Kmr
    lab.network().start();
    lab.writeConfig(gbaSettings("gba", "tls"));
    auto& agent = lab.startAgent({}, {{"M2M_LOG", "trace"}});
    REQUIRE_STATUS(lab, 60s, [](const auto& s) { return registeredWith(s, 1); });
    const auto s = lab.status();
    CHECK(s["bootstrap"] == "gba");
    CHECK(s["connection"] == "tls");
    CHECK(s["counters"]["bootstraps"] == 1);
    CHECK(s["counters"]["procedures"]["bootstrap_gba"]["runs"] == 1);
    const auto& gba = s["gba"];
    REQUIRE(gba.is_object());
    const std::string btid = gba["btid"].get<std::string>();
    CHECK(btid.find("@") != std::string::npos);
    CHECK(gba["btid_expiry"].is_string());
    CHECK(gba["ub_runs"] == 1);
    // The empty Authorization, then the response (and two more after a resynchronisation).
    CHECK(gba["ub_requests"].get<int>() >= 2);
    // Kmr's lifetime is never beyond the B-TID's.
    CHECK(s["kmr_expiry"].get<std::string>() <= gba["btid_expiry"].get<std::string>());

    // The card's Kmr is the lab network's, and it is Ks_int_NAF of the MSBF's NAF_Id.
    const auto node = labNode(lab.network(), lab.nodeId());
    CHECK(kcv(node.value("kmr_kcv", nlohmann::json())) == kcv(s["kmr_kcv"]));
    const GbaKeys g = expectedKeys(lab.keysFile(), btid, gba["impi"], "msbf.lab.m2m");
    CHECK(kcv(s["kmr_kcv"]) == base::toHex(securechannel::keyCheckValue(g.ksInt)));

    // `m2m agent status --json` reports the method and the B-TID.
    const auto run =
        runM2m("agent status --json --state-dir '" + lab.statusFile().parent_path().string() + "'");
    REQUIRE(run.exitCode == 0);
    const auto shown = nlohmann::json::parse(run.out);
    CHECK(shown["bootstrap"] == "gba");
    CHECK(shown["gba"]["btid"] == btid);

    CHECK(agent.stop() == 0);
    // EF_GBABP on the USIM names the same bootstrap (TS 31.102 4.2.79).
    {
        seuicc::PcscContext context;
        auto pcsc = context.connect(lab.card().card().readerName());
        seuicc::Transaction tx(*pcsc);
        seuicc::CardChannel basic(*pcsc);
        seuicc::UsimClient usim(basic);
        usim.select(tx);
        const auto ef = usim.readGbaBp(tx);
        REQUIRE(ef.has_value());
        CHECK(ef->btid == btid);
        CHECK(ef->lifetime == gba["btid_expiry"].get<std::string>());
    }
    // Key audit: no line of the agent (trace level) or the lab network carries RES, Ks,
    // Ks_ext_NAF or Ks_int_NAF, nor K or OPc.
    const auto keys = nlohmann::json::parse(std::ifstream(lab.keysFile()));
    checkNoKey(agent.output() + lab.network().serverLog(),
               {g.res, g.ks, g.ksExt, g.ksInt, base::fromHex(keys["usim_k"].get<std::string>()),
                base::fromHex(keys["usim_opc"].get<std::string>())});
    CHECK(agent.output().find("0088008") != std::string::npos);  // the APDUs were traced
}

TEST_CASE("GBA-based service connection: Kmc = Ks_int_NAF of the NSCL, registered",
          "[agent][gba]") {
    AgentLab lab(/*gba=*/true);
    lab.importCard();
    lab.network().start();
    lab.writeConfig(gbaSettings("gba", "gba"));
    auto& agent = lab.startAgent();
    REQUIRE_STATUS(lab, 60s, [](const auto& s) { return registeredWith(s, 1); });
    const auto s = lab.status();
    CHECK(s["connection"] == "gba");
    CHECK(s["counters"]["procedures"]["connection_gba"]["runs"] == 1);
    CHECK(s["counters"]["bootstraps"] == 0);  // the provisioned Kmr was not needed
    const auto node = labNode(lab.network(), lab.nodeId());
    CHECK(kcv(node.value("kmc_kcv", nlohmann::json())) == kcv(s["kmc_kcv"]));
    CHECK(node.value("kmc_index", 0) == s["kmc_index"].get<int>());
    const GbaKeys g =
        expectedKeys(lab.keysFile(), s["gba"]["btid"], s["gba"]["impi"], "nscl.lab.m2m");
    CHECK(kcv(s["kmc_kcv"]) == base::toHex(securechannel::keyCheckValue(g.ksInt)));
    CHECK(agent.stop() == 0);
}

TEST_CASE("GBA: an expired B-TID means a new Ub run; one the NAF forgot is bootstrapped again",
          "[agent][gba]") {
    AgentLab lab(/*gba=*/true);
    lab.importCard();
    SECTION("the B-TID expires") {
        lab.network().start({{"--btid-lifetime", "6", "--kmc-lifetime", "3"}, {}});
        auto settings = gbaSettings("gba", "gba");
        settings.gbaExtra = "expiry_margin_s = 0\n";
        lab.writeConfig(settings);
        auto& agent = lab.startAgent();
        REQUIRE_STATUS(lab, 60s, [](const auto& s) {
            return s.value("state", "") == "registered" && gbaCounter(s, "ub_runs") >= 2;
        });
        const auto s = lab.status();
        // Each Kmc lives at most as long as its B-TID.
        CHECK(s["kmc_expiry"].get<std::string>() <= s["gba"]["btid_expiry"].get<std::string>());
        CHECK(gbaCounter(s, "btid_refusals") == 0);
        CHECK(agent.stop() == 0);
    }
    SECTION("the BSF forgot the B-TID: the NAF refuses it, the agent bootstraps again once") {
        lab.network().start({{"--kmc-lifetime", "3"}, {}});
        lab.writeConfig(gbaSettings("gba", "gba"));
        auto& agent = lab.startAgent();
        REQUIRE_STATUS(lab, 60s, [](const auto& s) { return registeredWith(s, 1); });
        const std::string first = lab.status()["gba"]["btid"];
        ChildProcess forget({"sqlite3", "-cmd", ".timeout 5000", lab.network().db().string(),
                             "DELETE FROM bootstraps;"},
                            lab.keysFile().parent_path() / "sqlite.log");
        REQUIRE(forget.wait(10s) == 0);
        REQUIRE_STATUS(lab, 30s, [&](const auto& s) {
            return s.value("state", "") == "registered" && gbaCounter(s, "btid_refusals") == 1 &&
                   s["gba"].value("btid", "") != first;
        });
        CHECK(gbaCounter(lab.status(), "ub_runs") == 2);
        CHECK(lab.network().show()["counters"]["connection"].value("btid_refused", 0) >= 1);
        CHECK(agent.stop() == 0);
    }
}

TEST_CASE("GBA bootstrap falls back to the TLS-based one when the BSF is unreachable",
          "[agent][gba]") {
    AgentLab lab(/*gba=*/true);
    lab.importCard({"--without-kmr"});
    lab.network().start();
    auto settings = gbaSettings("gba", "tls");
    settings.bootstrapFallback = "[\"tls\"]";
    LabPorts ports = lab.network().ports();
    ports.bsf = 1;  // nothing listens there
    settings.ports = ports;
    lab.writeConfig(settings);
    auto& agent = lab.startAgent();
    REQUIRE_STATUS(lab, 60s, [](const auto& s) { return registeredWith(s, 1); });
    const auto s = lab.status();
    CHECK(s["bootstrap"] == "tls");
    CHECK(s["counters"]["method_fallbacks"] == 1);
    CHECK(s["counters"]["procedures"]["bootstrap_gba"]["failures"] == 1);
    CHECK(s["counters"]["procedures"]["bootstrap"]["runs"] == 1);
    const auto node = labNode(lab.network(), lab.nodeId());
    CHECK(kcv(node.value("kmr_kcv", nlohmann::json())) == kcv(s["kmr_kcv"]));
    CHECK(agent.stop() == 0);
}
