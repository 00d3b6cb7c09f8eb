#include <catch2/catch.hpp>

#include "base/base64.hpp"

using namespace base;

TEST_CASE("base64 encodes RFC 4648 §10 and decodes only canonical text", "[base64]") {
    const std::pair<const char*, const char*> rfc[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : rfc) {
        CHECK(base64Encode(asBytes(plain)) == encoded);
        const auto decoded = base64Decode(encoded);
        REQUIRE(decoded);
        CHECK(std::string(decoded->begin(), decoded->end()) == plain);
    }
    const Bytes zeros{0x00, 0x00, 0xFF};
    CHECK(base64Encode(zeros) == "AAD/");
    CHECK(base64Decode("AAD/") == zeros);
    // Not canonical or not base64 at all.
    for (const char* bad : {"Zg", "Zg=", "Zh==", "Zm9=", "Z===", "Zg==Zg==", "Zm 9v", "Zm9v\n",
                            "Zm-v", "Zm_v", "=Zm9", "Zm=v"}) {
        INFO(bad);
        CHECK_FALSE(base64Decode(bad));
    }
}
