// sha256OfFile: streamed, equal to the one-shot digest; absent for what is not a readable file.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <openssl/sha.h>

#include "integrity/measure.hpp"
#include "test_support.hpp"

TEST_CASE("sha256OfFile streams files of any size", "[integrity][measure]") {
    const sctest::TempDir dir;
    // FIPS 180-2 B.1: SHA-256("abc").
    sctest::writeFile(dir / "abc", std::string_view("abc"));
    CHECK(base::toHex(*integrity::sha256OfFile(dir / "abc")) ==
          "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
    // Across the 64 KiB read size.
    base::Bytes big(3 * 65536 + 17);
    for (std::size_t i = 0; i < big.size(); ++i) {
        big[i] = static_cast<std::uint8_t>(i * 31);
    }
    sctest::writeFile(dir / "big", big);
    base::Bytes expected(32);
    SHA256(big.data(), big.size(), expected.data());
    CHECK(integrity::sha256OfFile(dir / "big") == expected);
    sctest::writeFile(dir / "empty", std::string_view(""));
    CHECK(base::toHex(*integrity::sha256OfFile(dir / "empty")) ==
          "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
}

TEST_CASE("sha256OfFile reports absent objects", "[integrity][measure]") {
    const sctest::TempDir dir;
    CHECK_FALSE(integrity::sha256OfFile(dir / "missing"));
    CHECK_FALSE(integrity::sha256OfFile(dir.path()));  // a directory
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    CHECK_FALSE(integrity::sha256OfFile(dir / "fifo"));  // and does not block
}
