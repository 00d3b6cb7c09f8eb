// Measurement of manifest objects and the recovery actions on files (security profile §7.3.4), in
// temporary folders: where names point, what is refused, known-good copies, quarantine, rollback.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "../secure-channel/test_support.hpp"
#include "agent/integrity_objects.hpp"
#include "securechannel/crypto.hpp"

using agent::IntegrityObjectError;
using agent::ObjectPaths;
using agent::RecoveryStore;

namespace {

void write(const std::filesystem::path& path, std::string_view text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

base::Bytes sha(std::string_view text) {
    return securechannel::sha256(base::asBytes(text));
}

}  // namespace

TEST_CASE("manifest names: @agent, @config and paths inside the root only", "[integrity]") {
    sctest::TempDir dir;
    const ObjectPaths paths{dir.path() / "root", dir.path() / "agent.toml", "/usr/bin/m2m"};
    CHECK(agent::objectPath(paths, "@agent") == "/usr/bin/m2m");
    CHECK(agent::objectPath(paths, "@config") == dir.path() / "agent.toml");
    CHECK(agent::objectPath(paths, "plugins/a.so") == dir.path() / "root" / "plugins/a.so");
    for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "@other"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(agent::objectPath(paths, bad), IntegrityObjectError);
    }
}

TEST_CASE("measurement: SHA-256 of each object in manifest order, absent ones as nullopt",
          "[integrity]") {
    sctest::TempDir dir;
    write(dir.path() / "root" / "a.bin", "alpha");
    write(dir.path() / "agent.toml", "[card]\n");
    integrity::Manifest m;
    m.version = 1;
    m.objects = {{"a.bin", sha("alpha"), true, integrity::RecoveryAction::Report},
                 {"missing.bin", sha("x"), false, integrity::RecoveryAction::Report},
                 {"@config", sha("[card]\n"), true, integrity::RecoveryAction::Report}};
    const auto measured = agent::measureObjects(
        m, {dir.path() / "root", dir.path() / "agent.toml", "/proc/self/exe"});
    REQUIRE(measured.size() == 3);
    CHECK(measured[0].name == "a.bin");
    CHECK(measured[0].sha256 == sha("alpha"));
    CHECK_FALSE(measured[1].sha256.has_value());
    CHECK(measured[2].sha256 == sha("[card]\n"));
}

TEST_CASE("recovery: quarantine moves the object out of use", "[integrity]") {
    sctest::TempDir dir;
    RecoveryStore store(dir.path() / "state" / "integrity");
    const auto file = dir.path() / "root" / "plugin.so";
    write(file, "evil");
    CHECK(store.quarantine("plugin.so", file));
    CHECK_FALSE(std::filesystem::exists(file));
    CHECK(read(store.quarantinePath("plugin.so")) == "evil");
    CHECK_FALSE(store.quarantine("plugin.so", file));  // nothing left to move
}

TEST_CASE("recovery: rollback restores the known-good copy only when it is the reference",
          "[integrity]") {
    sctest::TempDir dir;
    RecoveryStore store(dir.path() / "state" / "integrity");
    const auto file = dir.path() / "root" / "plugin.so";
    // No copy yet: nothing restored, the file left as it is.
    write(file, "tampered");
    CHECK_FALSE(store.rollback("plugin.so", file, sha("good")));
    CHECK(read(file) == "tampered");

    write(file, "good");
    store.keepKnownGood("plugin.so", file, sha("good"));
    CHECK(read(store.knownGoodPath("plugin.so")) == "good");
    write(file, "tampered");
    CHECK(store.rollback("plugin.so", file, sha("good")));
    CHECK(read(file) == "good");

    // A copy that is not the manifest's reference (a newer manifest) is not put back.
    write(file, "tampered");
    CHECK_FALSE(store.rollback("plugin.so", file, sha("v2")));
    CHECK(read(file) == "tampered");
}

TEST_CASE("recovery: a replaced file is written whole", "[integrity]") {
    sctest::TempDir dir;
    const auto file = dir.path() / "plugin.so";
    write(file, "v1");
    RecoveryStore::replaceFile(file, base::asBytes("v2"));
    CHECK(read(file) == "v2");
    CHECK_FALSE(std::filesystem::exists(file.string() + ".tmp"));
}
