// The `m2m` command as a person or a script runs it: output shape and stable exit codes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "m2m_cli.hpp"
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
    // its three records (test applet, M2M-SED, USIM).
    CHECK(j["counters"]["apdus"] == 7);
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
