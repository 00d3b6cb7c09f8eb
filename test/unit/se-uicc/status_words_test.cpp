#include <catch2/catch.hpp>

#include "seuicc/errors.hpp"

using namespace seuicc;

TEST_CASE("status words named in ISO 7816-4 and TS 102 221 have their own meaning", "[sw]") {
    const std::vector<std::pair<std::uint16_t, std::string_view>> expected{
        {0x9000, "normal ending"},
        {0x6110, "GET RESPONSE"},
        {0x6C0A, "wrong Le"},
        {0x62F1, "more data available"},
        {0x62F3, "response data available"},
        {0x63F1, "more data expected"},
        {0x6982, "security status not satisfied"},
        {0x6983, "blocked"},
        {0x6985, "conditions of use not satisfied"},
        {0x6986, "no EF selected"},
        {0x6A82, "file or application not found"},
        {0x6A86, "incorrect parameters P1-P2"},
        {0x6A88, "referenced data not found"},
        {0x6881, "logical channel not supported"},
        {0x6A81, "function not supported"},
        {0x9862, "authentication error"},
        {0x9863, "expired"},
        {0x6F00, "technical problem"},
        {0x6700, "wrong length"},
        {0x6D00, "instruction code not supported"},
        {0x6E00, "class not supported"},
        {0x6B00, "wrong parameters P1-P2"},
        {0x6A83, "record not found"},
        {0x6282, "end of file"},
        {0x63C2, "retries"},
        {0x9140, "proactive command"},
        {0x9201, "data transfer session"},
        {0x6989, "secure channel"},
    };
    for (const auto& [sw, text] : expected) {
        INFO(std::hex << sw);
        CHECK_THAT(std::string(describeStatusWord(sw)), Catch::Contains(std::string(text)));
    }
}

TEST_CASE("unlisted status words fall back to their SW1 group", "[sw]") {
    CHECK_THAT(std::string(describeStatusWord(0x6999)), Catch::Contains("command not allowed"));
    CHECK_THAT(std::string(describeStatusWord(0x6A99)), Catch::Contains("wrong parameters"));
    CHECK(describeStatusWord(0x1234) == "unknown status word");
    // 6Cxx and 61xx with any SW2.
    CHECK(describeStatusWord(0x6C00) == describeStatusWord(0x6CFF));
    CHECK(describeStatusWord(0x6100) == describeStatusWord(0x61FF));
}

TEST_CASE("CardStatusError carries the status word and its meaning", "[sw]") {
    const CardStatusError e(0x6982, "READ BINARY EF_KEYS");
    CHECK(e.sw() == 0x6982);
    CHECK_THAT(e.what(), Catch::Contains("READ BINARY EF_KEYS") && Catch::Contains("6982") &&
                             Catch::Contains("security status not satisfied"));
}
