// ATRs: the emulated card's, and real UICCs/USIMs from the pcsc-tools list
// (/usr/share/pcsc/smartcard_list.txt), each with what it says.
#include <catch2/catch.hpp>

#include "seuicc/atr.hpp"
#include "seuicc/errors.hpp"

using namespace seuicc;

namespace {

bool anyLineContains(const std::vector<std::string>& lines, std::string_view text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("our emulated UICC's ATR advertises the TS 102 484 secure channel", "[atr]") {
    const Atr atr = Atr::parse(fromHex("3B9A96803FC7888031E073FE211382900000"));
    CHECK(atr.protocols == std::vector<int>{0, 15});
    CHECK(atr.ta1 == 0x96);
    CHECK(atr.uiccClassIndicator == 0xC7);  // TA3: clock stop no preference, classes A, B, C
    CHECK(atr.uiccGlobalByte == 0x88);      // TB3
    CHECK(atr.secureChannelSupported());
    CHECK_FALSE(atr.platformSecuredApduRequired());
    CHECK(atr.historical == fromHex("8031E073FE2113829000"));
    CHECK(atr.tck == 0x00);
    CHECK(atr.tckValid);
    CHECK(toHex(atr.raw) == "3B9A96803FC7888031E073FE211382900000");

    const auto lines = atr.describe();
    CHECK(anyLineContains(lines, "T=0, T=15"));
    CHECK(anyLineContains(lines, "Fi = 512, Di = 32"));
    CHECK(anyLineContains(lines, "secure channel supported (TS 102 484)"));
    CHECK(anyLineContains(lines, "classes A (5 V), B (3 V), C (1.8 V)"));
    CHECK(anyLineContains(lines, "TCK = 00 (valid)"));
}

TEST_CASE("global byte 8C: platform-to-platform secured APDUs required", "[atr]") {
    // Our ATR with TB3 = 8C and the TCK recomputed (88 ^ 8C = 04).
    const Atr atr = Atr::parse(fromHex("3B9A96803FC78C8031E073FE211382900004"));
    CHECK(atr.tckValid);
    CHECK(atr.secureChannelSupported());
    CHECK(atr.platformSecuredApduRequired());
    CHECK(anyLineContains(atr.describe(), "REQUIRED"));
}

TEST_CASE("real-world UICC ATRs", "[atr]") {
    SECTION("AT&T UICC with USIM: T=0 and T=15, TA3 but no TB3") {
        const Atr atr = Atr::parse(fromHex("3B9E95801FC78031E073FE211B66D0006C091A007C"));
        CHECK(atr.protocols == std::vector<int>{0, 15});
        CHECK(atr.ta1 == 0x95);
        CHECK(atr.uiccClassIndicator == 0xC7);
        CHECK_FALSE(atr.uiccGlobalByte);
        CHECK_FALSE(atr.secureChannelSupported());
        CHECK(atr.historical.size() == 14);
        CHECK(atr.tck == 0x7C);
        CHECK(atr.tckValid);
        CHECK(anyLineContains(atr.describe(), "not advertised"));
    }
    SECTION("sysmoUSIM-SJS1 (sysmocom)") {
        const Atr atr = Atr::parse(fromHex("3B9F96801FC78031A073BE21136743200718000001A5"));
        CHECK(atr.protocols == std::vector<int>{0, 15});
        CHECK(atr.ta1 == 0x96);
        CHECK(atr.historical.size() == 15);
        CHECK(atr.tckValid);
        CHECK_FALSE(atr.uiccGlobalByte);
    }
    SECTION("NTT docomo Xi LTE SIM: TB3 = A0, UICC-CLF interface (TS 102 613), no secure channel") {
        const Atr atr = Atr::parse(fromHex("3B9D95803FC7A08031A073BE21135105830590007C"));
        CHECK(atr.uiccGlobalByte == 0xA0);
        CHECK_FALSE(atr.secureChannelSupported());
        CHECK(atr.tckValid);
        CHECK(anyLineContains(atr.describe(), "UICC-CLF"));
    }
    SECTION("Comprion simulated card: TB3 = 90, low impedance I/O") {
        const Atr atr = Atr::parse(fromHex("3B9794803F44908031A073BE210095"));
        CHECK(atr.uiccClassIndicator == 0x44);  // clock stop in state L, class C
        CHECK(atr.uiccGlobalByte == 0x90);
        CHECK_FALSE(atr.secureChannelSupported());
        CHECK(atr.historical.size() == 7);
        CHECK(atr.tckValid);
        CHECK(anyLineContains(atr.describe(), "low impedance"));
    }
    SECTION("Thai GSM UICC: only T=0 (no TD1), hence no TCK") {
        const Atr atr = Atr::parse(fromHex("3B16959B0007011803"));
        CHECK(atr.protocols == std::vector<int>{0});
        CHECK(atr.ta1 == 0x95);
        CHECK(atr.historical == fromHex("9B0007011803"));
        CHECK_FALSE(atr.tck);
        CHECK(atr.tckValid);
        CHECK(anyLineContains(atr.describe(), "No TCK"));
    }
    SECTION("Elisa USIM (Finland): TA1 and TB1, 15 historical bytes, no TCK") {
        const Atr atr = Atr::parse(fromHex("3B3F9500 8069AF031B03B8FFFF060E833E9F16"));
        CHECK(atr.protocols == std::vector<int>{0});
        CHECK(atr.historical.size() == 15);
        CHECK_FALSE(atr.tck);
    }
    SECTION("jCardSim's default (JCOP31, T=1): a TB3 after T=1 is not a UICC global byte") {
        const Atr atr = Atr::parse(fromHex("3BFA1800008131FE454A434F5033315632333298"));
        CHECK(atr.protocols == std::vector<int>{1});
        CHECK(atr.ta1 == 0x18);
        CHECK_FALSE(atr.uiccGlobalByte);
        CHECK(std::string(atr.historical.begin(), atr.historical.end()) == "JCOP31V232");
        CHECK(atr.tck == 0x98);
        CHECK(atr.tckValid);
    }
}

TEST_CASE("a wrong TCK is reported, not thrown", "[atr]") {
    const Atr atr = Atr::parse(fromHex("3B9A96803FC7888031E073FE211382900001"));
    CHECK(atr.tck == 0x01);
    CHECK_FALSE(atr.tckValid);
    CHECK(anyLineContains(atr.describe(), "INVALID"));
}

TEST_CASE("malformed ATRs are rejected", "[atr]") {
    const char* bad = GENERATE("",                                        // empty
                               "3B",                                      // no T0
                               "3A9A96803FC7888031E073FE211382900000",    // TS not 3B/3F
                               "3B9A96",                                  // TD1 missing
                               "3B9A96803FC7888031E073FE21138290",        // historical cut
                               "3B9A96803FC7888031E073FE2113829000",      // TCK missing
                               "3B9A96803FC7888031E073FE21138290000000",  // a byte after TCK
                               "3B16959B000701180300");                   // a byte after hist.
    INFO(bad);
    CHECK_THROWS_AS(Atr::parse(fromHex(bad)), AtrError);
}
