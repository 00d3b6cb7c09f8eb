#include <filesystem>
#include <fstream>

#include "agent/status.hpp"
#include "provisioning/psk_identity.hpp"

TEST_CASE("PSK identities follow the profile: lowercase hex, a dot, decimal index", "[status]") {
    seuicc::NodeId id{};
    for (std::size_t i = 0; i < id.size(); ++i) {
        id[i] = static_cast<std::uint8_t>(0xA0 + i);
    }
    CHECK(provisioning::kmrIdentity(id, 7) == "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf.7");
    CHECK(provisioning::kmcIdentity(id, 4294967295u) ==
          "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf.4294967295");
    CHECK(provisioning::kbsIdentity(id) == "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf.bootstrap");
}

TEST_CASE("the status document has the fields m2m agent status promises", "[status]") {
    agent::AgentStatus s;
    s.state = agent::AgentState::Registered;
    s.kmcIdentity = "00.3";
    s.tlsHandshakes = 3;
    s.procedures["connection"].runs = 1;
    seuicc::SedStatus card;
    card.kmcIndex = 3;
    card.kcv.kmc = seuicc::KeyCheckValue{0x12, 0x34, 0x56};
    s.card = card;
    const auto j = agent::toJson(s);
    CHECK(j["state"] == "registered");
    CHECK(j["kmc_index"] == 3);
    CHECK(j["kmc_kcv"] == "123456");
    CHECK(j["psk_identities"]["kmc"] == "00.3");
    CHECK(j["counters"]["tls_handshakes"] == 3);
    CHECK(j["counters"]["procedures"]["connection"]["runs"] == 1);
    CHECK(j["counters"].contains("card"));
    CHECK(j["last_error"].is_null());
}

TEST_CASE("the status says which card: a software one with its warning", "[status]") {
    agent::AgentStatus s;
    CHECK(agent::toJson(s)["card"]["kind"] == "uicc");
    CHECK(agent::toJson(s)["card"]["warning"].is_null());
    s.cardKind = agent::CardKind::Software;
    const auto j = agent::toJson(s);
    CHECK(j["card"]["kind"] == "software");
    CHECK(j["card"]["warning"] == "no secured environment: keys in process memory");
}

TEST_CASE("the status file is replaced whole and readable by everyone", "[status]") {
    const auto dir = std::filesystem::temp_directory_path() / "m2m-agent-status-test";
    std::filesystem::remove_all(dir);
    const auto file = dir / "status.json";
    agent::writeStatusFile(file, {{"state", "starting"}});
    agent::writeStatusFile(file, {{"state", "registered"}});
    std::ifstream in(file);
    CHECK(nlohmann::json::parse(in)["state"] == "registered");
    CHECK_FALSE(std::filesystem::exists(dir / "status.json.tmp"));
    const auto perms = std::filesystem::status(file).permissions();
    CHECK((perms & std::filesystem::perms::others_read) != std::filesystem::perms::none);
}

TEST_CASE("sd_notify without NOTIFY_SOCKET does nothing", "[status]") {
    ::unsetenv("NOTIFY_SOCKET");
    agent::notifySystemd("READY=1");  // must neither throw nor block
    ::setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
    agent::notifySystemd("READY=1");
    ::unsetenv("NOTIFY_SOCKET");
}
