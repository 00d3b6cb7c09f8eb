// The `m2m` command as a person or a script runs it: output shape and stable exit codes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "m2m_cli.hpp"
#include "sed_fixture.hpp"
#include "seuicc/usim_client.hpp"
#include "shared_card.hpp"

using testsupport::sharedCard;

namespace {

testsupport::CliRun m2m(const std::string& args, const std::string& envPrefix = "") {
    return testsupport::runM2m(args, envPrefix);
}

std::string readerArg() {
    return "--reader '" + sharedCard().readerName() + "'";
}

}  // namespace

TEST_CASE("m2m card info --json names the ATR, ICCID, applications and secure channel",
          "[integration][cli]") {
    const auto r = m2m("card info --json " + readerArg());
    REQUIRE(r.exitCode == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["atr"] == "3B9A96803FC7888031E073FE211382900000");
    CHECK(j["iccid"] == testsupport::kDefaultIccid);
    REQUIRE(j["applications"].is_array());
    REQUIRE_FALSE(j["applications"].empty());
    CHECK(j["applications"][0]["aid"] == "F04D324D5445535401");
    CHECK(j["applications"][0]["label"] == "M2M test");
    CHECK(j["secure_channel"] == "supported");
    // EF_ICCID by path without FCP + READ BINARY, EF_DIR by path with FCP (+ GET RESPONSE), and
    // its four records (test applet, M2M-SED, USIM, IV-SED).
    CHECK(j["counters"]["apdus"] == 8);
}

TEST_CASE("m2m readers --json lists the emulated reader", "[integration][cli]") {
    sharedCard();
    const auto r = m2m("readers --json");
    REQUIRE(r.exitCode == 0);
    const auto j = nlohmann::json::parse(r.out);
    bool found = false;
    for (const auto& reader : j["readers"]) {
        found = found || (reader["name"] == sharedCard().readerName() && reader["card_present"]);
    }
    CHECK(found);
}

TEST_CASE("m2m apdu sends APDUs in one transaction and exits by status word",
          "[integration][cli]") {
    auto r = m2m("apdu --json " + readerArg() + " 00A4040009F04D324D5445535401 800100000301020300");
    REQUIRE(r.exitCode == 0);
    auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["exchanges"].size() == 2);
    CHECK(j["exchanges"][1]["response"] == "010203");
    CHECK(j["exchanges"][1]["sw"] == "9000");

    r = m2m("apdu " + readerArg() + " 00A4040005A000000000");
    CHECK(r.exitCode == 6);  // 6A82: the card refused
    r = m2m("apdu " + readerArg() + " 00A4XYZ");
    CHECK(r.exitCode == 2);  // not hex: usage
}

TEST_CASE("m2m exit codes: no pcscd, no such reader", "[integration][cli]") {
    sharedCard();
    auto r = m2m("card info --json", "PCSCLITE_CSOCK_NAME=/nonexistent/pcscd.comm");
    CHECK(r.exitCode == 3);
    CHECK(nlohmann::json::parse(r.out)["error"]["code"] == "SCARD_E_NO_SERVICE");
    r = m2m("card info --reader 'No Such Reader'");
    CHECK(r.exitCode == 4);
}

TEST_CASE("m2m doctor reports a healthy chain, and a missing daemon with advice",
          "[integration][cli]") {
    sharedCard();
    auto r = m2m("doctor --json");
    CHECK(r.exitCode == 0);
    CHECK(nlohmann::json::parse(r.out)["ok"] == true);
    r = m2m("doctor --json", "PCSCLITE_CSOCK_NAME=/nonexistent/pcscd.comm");
    CHECK(r.exitCode == 3);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["checks"][0]["check"] == "pcscd");
    CHECK(j["checks"][0]["ok"] == false);
    CHECK_FALSE(j["checks"][0]["advice"].get<std::string>().empty());
}

TEST_CASE("m2m card authenticate: RES/CK/IK of TS 35.208 set 1, then AUTS, then the MAC failure",
          "[integration][cli][usim]") {
    const auto set = testsupport::loadVectors("milenage.json")["sets"][0];
    auto hexOf = [&](const char* name) { return base::fromHex(set[name].get<std::string>()); };
    {
        const std::string reader = sharedCard().readerName();  // starts pcscd and the card first
        seuicc::PcscContext context;
        auto card = context.connect(reader);
        seuicc::Transaction tx(*card);
        seuicc::CardChannel basic(*card);
        seuicc::UsimClient usim(basic);
        usim.select(tx);
        usim.verifyAdmin(tx, base::fromHex("3132333435363738"));
        seuicc::UsimPersonalisation p;
        p.imsi = "001010123456789";
        p.k = base::SecretBuffer::copyOf(hexOf("K"));
        p.opc = base::SecretBuffer::copyOf(hexOf("OPc"));
        p.sqn = base::fromHex("ff9bb4d0b5e7");  // one SEQ below the set's SQN
        usim.personalise(tx, p);
    }
    const std::string args = "card authenticate --json " + readerArg() + " --rand " +
                             set["RAND"].get<std::string>() + " --autn ";
    const std::string autn = set["derived"]["AUTN"];
    auto r = m2m(args + autn);
    REQUIRE(r.exitCode == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["result"] == "ok");
    CHECK(j["res"] == base::toHex(hexOf("f2_RES")));
    CHECK(j["ck"] == base::toHex(hexOf("f3_CK")));
    CHECK(j["ik"] == base::toHex(hexOf("f4_IK")));

    r = m2m(args + autn);
    REQUIRE(r.exitCode == 0);
    j = nlohmann::json::parse(r.out);
    CHECK(j["result"] == "sync_failure");
    CHECK(j["auts"] ==
          base::toHex(base::fromHex(set["derived"]["AUTS_with_SQN_MS_eq_SQN"].get<std::string>())));

    std::string bad = autn;
    bad.back() = bad.back() == '0' ? '1' : '0';
    r = m2m(args + bad);
    CHECK(r.exitCode == 6);
    CHECK(nlohmann::json::parse(r.out)["result"] == "mac_failure");

    CHECK(m2m(args + autn + " --context 4g").exitCode == 2);
}
