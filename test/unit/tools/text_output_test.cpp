// What `m2m` prints of a card's or a peer's strings: escape sequences shown, never obeyed; JSON
// output escaped by the JSON library and safe for bytes that are not UTF-8. The card is an
// in-memory UICC whose EF_DIR labels carry escape sequences.
#include <catch2/catch.hpp>

#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "fake_uicc.hpp"
#include "provisioning/personalisation.hpp"
#include "seuicc/memory_transport.hpp"
#include "seuicc/sed_status.hpp"
#include "seuicc/tlv.hpp"
#include "seuicc/uicc.hpp"
#include "text_output.hpp"

using namespace m2m::cli;

namespace {

// Sets the window title and clears the screen when a terminal obeys it.
const std::string kHostile = "\x1b]0;owned\x07\x1b[2J";
const std::string kHostileShown = "\\x1B]0;owned\\x07\\x1B[2J";

bool hasControlBytes(const std::string& text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\n') || byte == 0x7F) {
            return true;
        }
    }
    return false;
}

// What `stream` received while `f` ran.
template <typename F>
std::string captured(std::ostream& stream, F&& f) {
    std::ostringstream capture;
    auto* previous = stream.rdbuf(capture.rdbuf());
    try {
        f();
    } catch (...) {
        stream.rdbuf(previous);
        throw;
    }
    stream.rdbuf(previous);
    return capture.str();
}

seuicc::CardInfo hostileCardInfo() {
    fake::Uicc::Options options;
    options.dirRecordLength = 48;
    options.dirRecords = {
        fake::efDirRecord(base::fromHex("A0000000871002FF33FF018900000100"), "USIM" + kHostile),
        fake::efDirRecord(base::fromHex("A0000000871004"), std::string("\xFF\xFE") + "ISIM"),
    };
    fake::Uicc uicc(options);
    seuicc::MemoryTransport card(
        base::fromHex(fake::kAtr), [&uicc](base::ByteView c) { return uicc(c); }, "fake");
    return seuicc::readCardInfo(card);
}

}  // namespace

TEST_CASE("m2m card info shows a card's escape sequences instead of sending them to the terminal",
          "[cli][printable]") {
    const seuicc::CardInfo info = hostileCardInfo();
    REQUIRE(info.applications.size() == 2);
    REQUIRE(info.applications[0].label == "USIM" + kHostile);  // as the card gave it

    std::ostringstream out;
    printCardInfo(out, "Reader\x1b[8m", info, "supported", 1.0);
    const std::string text = out.str();
    CHECK_FALSE(hasControlBytes(text));
    CHECK_THAT(text, Catch::Contains("USIM" + kHostileShown));
    CHECK_THAT(text, Catch::Contains("\\xFF\\xFEISIM"));
    CHECK_THAT(text, Catch::Contains("Reader:         Reader\\x1B[8m"));
    CHECK_THAT(text, Catch::Contains("ICCID:          8988211000000000018"));

    // --json: the JSON library escapes the control characters; bytes that are not UTF-8 become
    // U+FFFD instead of failing the command.
    CommonOptions json;
    json.json = true;
    nlohmann::ordered_json result;
    result["applications"] = nlohmann::ordered_json::array();
    for (const auto& app : info.applications) {
        result["applications"].push_back({{"label", app.label}});
    }
    const std::string printed = captured(std::cout, [&] { printResult(json, result, [] {}); });
    CHECK_FALSE(hasControlBytes(printed));
    CHECK_THAT(printed, Catch::Contains("\\u001b]0;owned\\u0007"));
    const auto parsed = nlohmann::json::parse(printed);
    CHECK(parsed["applications"][0]["label"] == "USIM" + kHostile);
    CHECK(parsed["applications"][1]["label"] == "\xEF\xBF\xBD\xEF\xBF\xBDISIM");
}

TEST_CASE("an ICCID is BCD digits whatever the card stores", "[cli][printable]") {
    // EF_ICCID holding the bytes of an escape sequence decodes to hex digits, not to control
    // characters: only the card's strings need printable(), the ICCID gets it all the same.
    const std::string iccid = seuicc::decodeIccid(base::asBytes("\x1b[2J\x07\x9b\x1b]0;"));
    CHECK(iccid == "B1B523A470B9B1D503B3");
}

TEST_CASE("m2m card status shows the M2M-SED's strings escaped", "[cli][printable]") {
    const base::Bytes getData = base::concat({
        seuicc::encodeTlv(0xC0, base::fromHex("07")),
        seuicc::encodeTlv(0xC4, base::asBytes("m2m:scl/" + kHostile)),
        seuicc::encodeTlv(0xC5, base::asBytes("https://a/" + kHostile + " https://b/\xff")),
        seuicc::encodeTlv(0xC6, base::asBytes("mas\x1b[1m.example")),
    });
    const auto status = seuicc::SedStatus::parse(getData);
    nlohmann::ordered_json result;
    result["iccid"] = "8988211000000000018";
    result.update(provisioning::statusJson(status));

    std::ostringstream out;
    printFields(out, result);
    const std::string text = out.str();
    CHECK_FALSE(hasControlBytes(text));
    CHECK_THAT(text, Catch::Contains("scl_id: m2m:scl/" + kHostileShown));
    CHECK_THAT(text, Catch::Contains("mas_fqdn: mas\\x1B[1m.example"));
    CHECK_THAT(text, Catch::Contains("nscl: [\"https://a/\\\\u001b]0;owned"));

    CommonOptions json;
    json.json = true;
    const std::string printed = captured(std::cout, [&] { printResult(json, result, [] {}); });
    CHECK_FALSE(hasControlBytes(printed));
    CHECK(nlohmann::json::parse(printed)["scl_id"] == "m2m:scl/" + kHostile);
}

TEST_CASE("m2m agent status shows a peer's strings escaped", "[cli][printable]") {
    const nlohmann::ordered_json status = {
        {"state", "backoff"},
        {"node_id", "000102030405060708090a0b0c0d0e0f"},
        {"registration", {{"location", "/m2m/scls/1" + kHostile}}},
        {"last_error", "the NSCL answered 500: " + kHostile},
        {"last_error_type", "ServerError"},
        {"last_error_state", "registering"},
        {"last_error_at", "2026-01-01T00:00:00Z"},
        {"counters", {{"apdus", 3}}},
    };
    std::ostringstream out;
    printAgentStatus(out, status, false);
    const std::string text = out.str();
    CHECK_FALSE(hasControlBytes(text));
    CHECK_THAT(text, Catch::Contains("state:            backoff (agent not running)"));
    CHECK_THAT(text, Catch::Contains("ServerError: the NSCL answered 500: " + kHostileShown +
                                     " (in registering, 2026-01-01T00:00:00Z; not recovered)"));
    CHECK_THAT(text, Catch::Contains("kmc expiry:       null"));  // absent fields say so
}

TEST_CASE("an error message quoting a card or a server is shown escaped", "[cli][printable]") {
    Failure f;
    f.message = "mId: the server said " + kHostile;
    f.code = "\x1b[5m";
    f.explanation = "see \x1b[0m";
    const std::string text = captured(std::cerr, [&] { printFailure(f); });
    CHECK_FALSE(hasControlBytes(text));
    CHECK_THAT(text, Catch::Contains("m2m: mId: the server said " + kHostileShown));
    CHECK_THAT(text, Catch::Contains("(\\x1B[5m)"));
}
