#include <catch2/catch.hpp>

#include "base/text.hpp"

using namespace base;

TEST_CASE("trim drops spaces and tabs at both ends only", "[text]") {
    CHECK(trim("  a b\t") == "a b");
    CHECK(trim("\t \t").empty());
    CHECK(trim("").empty());
    CHECK(trim("x") == "x");
    CHECK(trim("\nx\n") == "\nx\n");  // line breaks are not optional white space
}

TEST_CASE("ASCII case folding", "[text]") {
    CHECK(toLower("Content-Type: ABC") == "content-type: abc");
    CHECK(equalsIgnoreCase("Content-Length", "content-LENGTH"));
    CHECK_FALSE(equalsIgnoreCase("Content-Length", "Content-Lengt"));
    CHECK_FALSE(equalsIgnoreCase("a", "b"));
    CHECK(equalsIgnoreCase("", ""));
    CHECK(toLower("\xC3\x89") == "\xC3\x89");  // bytes above ASCII are left alone
}

TEST_CASE("printable escapes control characters, DEL, high bytes and backslashes", "[text]") {
    CHECK(printable("8988211000000000018") == "8988211000000000018");
    CHECK(printable(std::string("a\x1b[2Jb\x7f\\\x00", 9)) == "a\\x1B[2Jb\\x7F\\\\\\x00");
    CHECK(printable("\xC3\xA9") == "\\xC3\\xA9");
}
