// Every PC/SC code maps to a name, an explanation and the right exception class.
#include <winscard.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "seuicc/errors.hpp"

using namespace seuicc;

namespace {

// Throws through the library's one mapping function and returns what was caught.
template <typename Check>
void caught(long code, Check&& check) {
    try {
        throwPcscError(code, "SCardTest");
    } catch (const PcscError& e) {
        check(e);
        return;
    }
    FAIL("throwPcscError did not throw a PcscError");
}

// The SCARD_[EWFP]_* definitions of pcsclite.h, read from the installed header so that a code
// added by a newer pcsc-lite shows up here as unmapped.
std::vector<std::pair<std::string, long>> codesInHeader() {
    std::ifstream header(SEUICC_PCSCLITE_H);
    REQUIRE(header);
    std::stringstream text;
    text << header.rdbuf();
    const std::string s = text.str();
    const std::regex define(R"(\n#define\s+(SCARD_[EWFP]_\w+)\s+\(\(LONG\)(0x[0-9A-Fa-f]+)\))");
    std::vector<std::pair<std::string, long>> codes;
    for (auto it = std::sregex_iterator(s.begin(), s.end(), define); it != std::sregex_iterator();
         ++it) {
        codes.emplace_back((*it)[1].str(), std::stol((*it)[2].str(), nullptr, 16));
    }
    return codes;
}

}  // namespace

TEST_CASE("every SCARD_E/W/F/P code in pcsclite.h has a name and an explanation", "[pcsc]") {
    const auto codes = codesInHeader();
    CHECK(codes.size() >= 60);  // pcsc-lite 1.9.9 defines 61 of them
    for (const auto& [name, code] : codes) {
        INFO(name);
        caught(code, [&](const PcscError& e) {
            CHECK(e.code() == code);
            // pcsc-lite gives SCARD_E_UNEXPECTED the value of SCARD_E_UNSUPPORTED_FEATURE.
            CHECK(e.name() ==
                  (name == "SCARD_E_UNEXPECTED" ? "SCARD_E_UNSUPPORTED_FEATURE" : name));
            CHECK(e.explanation().size() > 20);
            CHECK_THAT(e.what(),
                       Catch::Contains("SCardTest") && Catch::Contains(std::string(e.name())));
        });
    }
}

TEST_CASE("PC/SC codes raise the class callers catch", "[pcsc]") {
    const auto raise = [](long code) { throwPcscError(code, "SCardTest"); };
    CHECK_THROWS_AS(raise(SCARD_E_NO_SERVICE), PcscServiceUnavailable);
    CHECK_THROWS_AS(raise(SCARD_E_SERVICE_STOPPED), PcscServiceUnavailable);
    CHECK_THROWS_AS(raise(SCARD_E_NO_READERS_AVAILABLE), PcscNoReaders);
    CHECK_THROWS_AS(raise(SCARD_E_UNKNOWN_READER), PcscReaderNotFound);
    CHECK_THROWS_AS(raise(SCARD_E_READER_UNAVAILABLE), PcscReaderNotFound);
    CHECK_THROWS_AS(raise(SCARD_E_NO_SMARTCARD), PcscNoCard);
    CHECK_THROWS_AS(raise(SCARD_W_REMOVED_CARD), PcscCardRemoved);
    CHECK_THROWS_AS(raise(SCARD_W_RESET_CARD), PcscCardReset);
    CHECK_THROWS_AS(raise(SCARD_W_UNPOWERED_CARD), PcscCardReset);
    CHECK_THROWS_AS(raise(SCARD_E_TIMEOUT), PcscTimeout);
    CHECK_THROWS_AS(raise(SCARD_F_WAITED_TOO_LONG), PcscTimeout);
    CHECK_THROWS_AS(raise(SCARD_E_SHARING_VIOLATION), PcscSharingViolation);
    CHECK_THROWS_AS(raise(SCARD_E_NOT_TRANSACTED), PcscTransmitFailed);
    CHECK_THROWS_AS(raise(SCARD_F_COMM_ERROR), PcscTransmitFailed);
    CHECK_THROWS_AS(raise(SCARD_E_COMM_DATA_LOST), PcscTransmitFailed);
    CHECK_THROWS_AS(raise(SCARD_E_NOT_READY), PcscTransmitFailed);
    CHECK_THROWS_AS(raise(SCARD_E_INSUFFICIENT_BUFFER), PcscTransmitFailed);
    // A removed card is not a reset card: callers react differently (wait vs reconnect).
    try {
        raise(SCARD_W_REMOVED_CARD);
    } catch (const PcscCardReset&) {
        FAIL("a removed card raised PcscCardReset");
    } catch (const PcscError&) {
    }
}

TEST_CASE("codes without a specific class raise plain PcscError", "[pcsc]") {
    for (const long code : {SCARD_E_INVALID_HANDLE, SCARD_E_PROTO_MISMATCH,
                            SCARD_W_UNRESPONSIVE_CARD, SCARD_E_CANCELLED, SCARD_F_INTERNAL_ERROR}) {
        caught(code, [&](const PcscError& e) { CHECK(typeid(e) == typeid(PcscError)); });
    }
}

TEST_CASE("pcscd not running explains how to start it", "[pcsc]") {
    caught(SCARD_E_NO_SERVICE, [](const PcscError& e) {
        CHECK(e.name() == "SCARD_E_NO_SERVICE");
        CHECK_THAT(std::string(e.explanation()),
                   Catch::Contains("pcscd is not running") && Catch::Contains("systemctl start"));
        CHECK_THAT(e.what(), Catch::Contains("0x8010001D"));
    });
}

TEST_CASE("an unknown code is still a PcscError with advice", "[pcsc]") {
    caught(0x80100999L, [](const PcscError& e) {
        CHECK(e.name() == "unknown PC/SC error");
        CHECK_FALSE(e.explanation().empty());
        CHECK_THAT(e.what(), Catch::Contains("0x80100999"));
    });
}

TEST_CASE("checkPcsc passes success through", "[pcsc]") {
    CHECK_NOTHROW(checkPcsc(SCARD_S_SUCCESS, "SCardTest"));
    CHECK_THROWS_AS(checkPcsc(SCARD_W_REMOVED_CARD, "SCardTest"), PcscCardRemoved);
}
