// Key files: accepted formats, and every refusal (mode, owner, type, symlink, size, hex).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "message_matches.hpp"
#include "securechannel/key_file.hpp"
#include "test_support.hpp"

using namespace securechannel;
using sctest::fromHex;
using sctest::TempDir;
using sctest::toHex;
using sctest::writeFile;

namespace {

const std::string kKeyHex = "404142434445464748494a4b4c4d4e4f";

/// The KeyFileError message for loading `path`, or "" if it loaded.
std::string refusal(const std::filesystem::path& path, std::size_t expected = 16) {
    try {
        static_cast<void>(loadKeyFile(path, expected));
    } catch (const KeyFileError& e) {
        return e.what();
    }
    return {};
}

unsigned modeOf(const std::filesystem::path& path) {
    struct stat info {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

}  // namespace

TEST_CASE("Key files in hex or raw form load into a SecretBuffer", "[keyfile]") {
    const TempDir dir;
    const Bytes key = fromHex(kKeyHex);

    SECTION("lowercase hex with a newline, mode 0600") {
        writeFile(dir / "k", kKeyHex + "\n");
        CHECK(loadKeyFile(dir / "k", 16).equals(key));
    }
    SECTION("uppercase hex spread over lines with spaces and tabs, mode 0400") {
        writeFile(dir / "k", "40 41 42 43\t44 45 46 47\r\n48494A4B\n  4C4D4E4F  \n\n", 0400);
        CHECK(loadKeyFile(dir / "k", 16).equals(key));
    }
    SECTION("raw bytes of exactly the expected size") {
        const Bytes raw = fromHex("00ff10e0c3a5b6c7d8e9fa0b1c2d3e4f");
        writeFile(dir / "k", raw);
        CHECK(loadKeyFile(dir / "k", 16).equals(raw));
    }
    SECTION("a 32-byte key") {
        const std::string hex32 = kKeyHex + kKeyHex;
        writeFile(dir / "k", hex32);
        CHECK(toHex(loadKeyFile(dir / "k", 32).view()) == hex32);
    }
}

TEST_CASE("writeKeyFile creates a new 0600 hex file that loadKeyFile reads back", "[keyfile]") {
    const TempDir dir;
    const Bytes key = fromHex(kKeyHex);
    const mode_t savedUmask = ::umask(0);  // the most permissive umask: still 0600
    writeKeyFile(dir / "kmsa.key", key);
    ::umask(savedUmask);

    CHECK(modeOf(dir / "kmsa.key") == 0600);
    CHECK(loadKeyFile(dir / "kmsa.key", 16).equals(key));
    std::string text(static_cast<std::size_t>(std::filesystem::file_size(dir / "kmsa.key")), ' ');
    {
        FILE* file = std::fopen((dir / "kmsa.key").c_str(), "rb");
        REQUIRE(file != nullptr);
        CHECK(std::fread(text.data(), 1, text.size(), file) == text.size());
        std::fclose(file);
    }
    CHECK(text == kKeyHex + "\n");

    SECTION("never overwrites") {
        try {
            writeKeyFile(dir / "kmsa.key", Bytes(16, 0));
            FAIL("overwrote an existing key file");
        } catch (const KeyFileError& e) {
            CHECK_THAT(e.what(), Catch::Contains("already exists"));
        }
        CHECK(loadKeyFile(dir / "kmsa.key", 16).equals(key));
    }
    SECTION("does not follow a symlink planted at the path") {
        writeFile(dir / "target", "untouched");
        std::filesystem::create_symlink(dir / "target", dir / "link");
        CHECK_THROWS_AS(writeKeyFile(dir / "link", key), KeyFileError);
        CHECK(std::filesystem::file_size(dir / "target") == 9);
    }
    SECTION("refuses an empty key") {
        CHECK_THROWS_AS(writeKeyFile(dir / "empty.key", {}), KeyFileError);
        CHECK_FALSE(std::filesystem::exists(dir / "empty.key"));
    }
}

TEST_CASE("Key files readable or writable by others are refused", "[keyfile][negative]") {
    const TempDir dir;
    for (const unsigned mode : {0644U, 0640U, 0604U, 0660U, 0606U, 0700U, 0500U, 0200U, 04600U}) {
        const std::filesystem::path path = dir / ("k" + std::to_string(mode));
        writeFile(path, kKeyHex, mode);
        const std::string message = refusal(path);
        INFO("mode " << std::oct << mode);
        CHECK_THAT(message, Catch::Contains("chmod 600"));
        CHECK_THAT(message, Catch::Contains(path.string()));
        CHECK_THAT(message, !Catch::Contains(kKeyHex));
    }
}

TEST_CASE("Key files that are links or not regular files are refused", "[keyfile][negative]") {
    const TempDir dir;
    writeFile(dir / "real", kKeyHex);

    SECTION("symbolic link to a good key file") {
        std::filesystem::create_symlink(dir / "real", dir / "link");
        CHECK_THAT(refusal(dir / "link"), Catch::Contains("symbolic link"));
    }
    SECTION("directory") {
        std::filesystem::create_directory(dir / "d");
        std::filesystem::permissions(dir / "d", std::filesystem::perms::owner_all);
        CHECK_THAT(refusal(dir / "d"), Catch::Contains("not a regular file"));
    }
    SECTION("named pipe (opening must not block)") {
        REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
        CHECK_THAT(refusal(dir / "fifo"), Catch::Contains("not a regular file"));
    }
    SECTION("missing file") {
        CHECK_THAT(refusal(dir / "missing"), Catch::Contains("does not exist"));
    }
}

TEST_CASE("Key files owned by another user are refused", "[keyfile][negative]") {
    if (::geteuid() != 0) {
        WARN("not root: cannot chown a file to another user; owner check not exercised");
        return;
    }
    const TempDir dir;
    writeFile(dir / "theirs", kKeyHex);
    REQUIRE(::chown((dir / "theirs").c_str(), 65534, 65534) == 0);
    const std::string message = refusal(dir / "theirs");
    CHECK_THAT(message, Catch::Contains("owned by uid 65534"));
    CHECK_THAT(message, Catch::Contains("chown 0"));
    CHECK_THAT(message, !Catch::Contains(kKeyHex));
}

TEST_CASE("Key files of the wrong size or with bad hex are refused", "[keyfile][negative]") {
    const TempDir dir;
    const auto check = [&](std::string_view content, std::string_view expectedText,
                           std::size_t expected = 16) {
        writeFile(dir / "k", content);
        const std::string message = refusal(dir / "k", expected);
        INFO("content of " << content.size() << " bytes");
        CHECK_THAT(message, Catch::Contains(std::string(expectedText)));
        std::filesystem::remove(dir / "k");
        return message;
    };

    // Truncated: an odd number of digits, or a whole byte missing.
    check(kKeyHex.substr(0, 31), "odd number of hex digits");
    check(kKeyHex.substr(0, 30) + "\n", "holds a key of 15 bytes, expected 16");
    // Too long, and the wrong key for the slot (a 16-byte key where 32 are expected).
    check(kKeyHex + "00", "holds a key of 17 bytes");
    check(kKeyHex, "holds a key of 16 bytes, expected 32", 32);
    // Raw bytes of the wrong size.
    check(std::string("\x01\x02\x03\xff\xfe", 5), "neither hex text nor exactly 16 raw bytes");
    // Not hex: the message must not echo the content.
    const std::string message = check("zz" + kKeyHex.substr(2) + "\n", "neither hex text");
    CHECK_THAT(message, !Catch::Contains(kKeyHex.substr(2)));
    check("", "is empty");
    check(" \n\t\n", "neither hex text");
    check(std::string(200, 'a'), "too large");
    // A caller bug.
    check(kKeyHex, "expected key size is 0", 0);
}

TEST_CASE("A file that may hold secrets is read once; the key-file rules apply to what was read",
          "[keyfile]") {
    const TempDir dir;
    const auto path = dir / "profile.toml";

    SECTION("a world-readable file is read; the rules refuse it afterwards") {
        writeFile(path, kKeyHex, 0644);
        const auto file = SecretCandidateFile::read(path, 1024);
        CHECK(toHex(file.content().view()) == toHex(sctest::Bytes(kKeyHex.begin(), kKeyHex.end())));
        CHECK_THROWS_MATCHES(
            file.requireKeyFileRules(), KeyFileError,
            sctest::MessageMatches(Catch::Contains("has mode 0644") &&
                                   Catch::Contains("chmod 600") && !Catch::Contains(kKeyHex)));
    }
    SECTION("the rules judge the file that was read, not what the path names later") {
        writeFile(path, kKeyHex, 0644);
        const auto wasOpen = SecretCandidateFile::read(path, 1024);
        ::chmod(path.c_str(), 0600);  // too late: the content came from a 0644 file
        CHECK_THROWS_AS(wasOpen.requireKeyFileRules(), KeyFileError);

        std::filesystem::remove(path);
        writeFile(path, kKeyHex, 0600);
        const auto wasPrivate = SecretCandidateFile::read(path, 1024);
        std::filesystem::remove(path);
        writeFile(path, kKeyHex, 0644);  // another file at the same path now
        CHECK_NOTHROW(wasPrivate.requireKeyFileRules());
    }
    SECTION("links, non-regular and oversized files are refused before anything is read") {
        writeFile(path, kKeyHex, 0600);
        std::filesystem::create_symlink(path, dir / "link");
        CHECK_THROWS_WITH(SecretCandidateFile::read(dir / "link", 1024),
                          Catch::Contains("symbolic link"));
        CHECK_THROWS_WITH(SecretCandidateFile::read(dir.path(), 1024),
                          Catch::Contains("not a regular file"));
        REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
        CHECK_THROWS_WITH(SecretCandidateFile::read(dir / "fifo", 1024),
                          Catch::Contains("not a regular file"));
        CHECK_THROWS_WITH(SecretCandidateFile::read(path, 8), Catch::Contains("too large"));
    }
}
