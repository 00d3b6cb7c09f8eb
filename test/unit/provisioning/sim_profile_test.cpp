// The personalisation profile: parsed from text and from a file, refusals by field (never
// echoing a key), the key-file rules applied to the descriptor the text was read from, and no key
// text that the TOML parser produced freed unwiped.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "freed_memory_watch.hpp"
#include "integrity/certificate.hpp"
#include "integrity/manifest.hpp"
#include "message_matches.hpp"
#include "provisioning/sim_profile.hpp"
#include "securechannel/key_file.hpp"
#include "test_support.hpp"

using provisioning::loadSimProfile;
using provisioning::parseSimProfile;
using provisioning::ProfileError;
using sctest::TempDir;
using sctest::writeFile;

namespace {

const std::string kKmr = "d1c2b3a4958677685a4b3c2d1e0f11223344556677889900aabbccddeeff0102";
const std::string kKmsa = "404142434445464748494a4b4c4d4e4f";
const std::string kKbs = "b5b5a7a7c9c9e1e1f2f2030314142525363647475858696970708181929203a3";
const std::string kKiv = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9";
const std::string kAdminCode = "3132333435363738";

// A profile with every key given in the text (and `admin` as its last section).
std::string literalProfile(const std::string& admin = "code = \"" + kAdminCode + "\"") {
    return "[identity]\n"
           "node_id = \"000102030405060708090a0b0c0d0e0f\"\n"
           "scl_id = \"m2m:scl/device-0001\"\n"
           "nscl = [\"https://nscl.lab.m2m:8443/m2m\"]\n"
           "mas_fqdn = \"mas.lab.m2m\"\n"
           "[kmr]\nkey = \"" +
           kKmr +
           "\"\nindex = 7\nlifetime_days = 30\n"
           "[kmsa]\nkey = \"" +
           kKmsa + "\"\n[kbs]\nkey = \"" + kKbs + "\"\n[kiv]\nkey = \"" + kKiv + "\"\n[admin]\n" +
           admin + "\n";
}

std::string generateProfile() {
    return "[identity]\nnode_id = \"generate\"\nscl_id = \"m2m:scl/d\"\n"
           "nscl = [\"https://nscl.lab.m2m:8443/m2m\"]\nmas_fqdn = \"mas.lab.m2m\"\n"
           "[kmr]\nkey = \"generate\"\nindex = 1\nlifetime_days = 365\n"
           "[kmsa]\nkey = \"generate\"\n[admin]\ncode = \"" +
           kAdminCode + "\"\n";
}

std::string hexOf(const base::SecretBuffer& secret) {
    return sctest::toHex(secret.view());
}

// `text` with the first occurrence of `from` replaced by `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

// The ProfileError's message for `text`, or "accepted".
std::string refusal(const std::string& text) {
    try {
        static_cast<void>(parseSimProfile(text, "/nowhere"));
    } catch (const ProfileError& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("a profile parsed from text: literal keys, generated ones, a relative code file",
          "[profile]") {
    const auto p = parseSimProfile(literalProfile(), "/nowhere");
    REQUIRE(p.nodeId);
    CHECK(sctest::toHex(*p.nodeId) == "000102030405060708090a0b0c0d0e0f");
    CHECK(p.sclId == "m2m:scl/device-0001");
    CHECK(p.nscl == std::vector<std::string>{"https://nscl.lab.m2m:8443/m2m"});
    CHECK(p.kmrIndex == 7);
    CHECK(p.kmrLifetime == std::chrono::days(30));
    REQUIRE_FALSE(p.kmr.generate());
    CHECK(hexOf(*p.kmr.value) == kKmr);
    CHECK(hexOf(*p.kmsa.value) == kKmsa);
    CHECK(hexOf(*p.kbs->value) == kKbs);
    CHECK(hexOf(*p.kiv->value) == kKiv);
    CHECK(hexOf(p.adminCode) == kAdminCode);

    const auto g = parseSimProfile(generateProfile(), "/nowhere");
    CHECK_FALSE(g.nodeId);
    CHECK(g.kmr.generate());
    CHECK(g.kmsa.generate());
    CHECK_FALSE(g.kbs);
    CHECK_FALSE(g.kiv);

    // admin.code_file relative to the base folder (the profile's own folder when loaded).
    const TempDir dir;
    writeFile(dir / "admin.code", "0102030405060708\n");
    const auto f = parseSimProfile(literalProfile("code_file = \"admin.code\""), dir.path());
    CHECK(hexOf(f.adminCode) == "0102030405060708");
}

TEST_CASE("a bad profile is refused by field, and a key's text is never quoted", "[profile][neg]") {
    const std::string badHex = "zz" + kKmr.substr(2);
    CHECK(refusal(replaced(literalProfile(), kKmr, badHex)) == "profile: kmr.key is not hex");
    CHECK_THAT(refusal(replaced(literalProfile(), kKmr, kKmr.substr(2))),
               Catch::Contains("kmr.key must be 32 bytes as 64 hex digits"));
    // Separators are not hex here: the length is right, the digits are not.
    CHECK(refusal(replaced(literalProfile(), kKmsa, kKmsa.substr(0, 30) + ": ")) ==
          "profile: kmsa.key is not hex");
    CHECK(refusal(replaced(literalProfile(), "key = \"" + kKmr + "\"", "")) ==
          "profile: kmr.key is missing (hex or \"generate\")");
    CHECK(refusal(replaced(literalProfile(), "index = 7", "index = -1")) ==
          "profile: kmr.index must be an unsigned 32-bit number");
    CHECK(refusal(replaced(literalProfile(), "lifetime_days = 30", "lifetime_days = 0")) ==
          "profile: kmr.lifetime_days must be between 1 and 36500");
    // Found by the sim_profile fuzzer: a float far out of range was converted to an integer
    // (undefined behaviour); a number that is not a TOML integer is refused, large or not.
    for (const char* number : {"4294967e295", "7.0", "1e300", "nan", "inf"}) {
        INFO(number);
        CHECK(refusal(replaced(literalProfile(), "index = 7", std::string("index = ") + number)) ==
              "profile: kmr.index must be an unsigned 32-bit number");
        CHECK(refusal(replaced(literalProfile(), "lifetime_days = 30",
                               std::string("lifetime_days = ") + number)) ==
              "profile: kmr.lifetime_days must be between 1 and 36500");
    }
    CHECK(refusal(replaced(literalProfile(), "code = \"" + kAdminCode + "\"", "")) ==
          "profile: admin.code or admin.code_file is missing");
    CHECK_THAT(refusal(literalProfile() + "[kmr\n"),
               Catch::StartsWith("profile: is not valid TOML"));
    for (const std::string& message : {refusal(replaced(literalProfile(), kKmr, badHex)),
                                       refusal(replaced(literalProfile(), kKmr, kKmr.substr(2)))}) {
        CHECK_THAT(message, !Catch::Contains(kKmr.substr(2, 16)));
    }
}

TEST_CASE("a profile file: literal keys need the key-file rules, 'generate' ones do not",
          "[profile]") {
    const TempDir dir;
    const auto path = dir / "sim.toml";

    writeFile(path, literalProfile(), 0644);
    CHECK_THROWS_MATCHES(
        loadSimProfile(path), securechannel::KeyFileError,
        sctest::MessageMatches(Catch::Contains("has mode 0644") && Catch::Contains(path.string()) &&
                               !Catch::Contains(kKmr)));
    ::chmod(path.c_str(), 0600);
    CHECK(hexOf(*loadSimProfile(path).kmr.value) == kKmr);

    std::filesystem::remove(path);
    writeFile(path, generateProfile(), 0644);
    CHECK(loadSimProfile(path).kmr.generate());
    CHECK(loadSimProfile("profiles/test-sim.toml").kmr.generate());  // testdata/, as shipped

    // A relative admin.code_file is found next to the profile, wherever the process runs.
    writeFile(dir / "code.hex", "0102030405060708\n");
    writeFile(dir / "coded.toml", literalProfile("code_file = \"code.hex\""), 0600);
    CHECK(hexOf(loadSimProfile(dir / "coded.toml").adminCode) == "0102030405060708");
}

TEST_CASE("a profile is read from one regular file: no link, no directory, no pipe",
          "[profile][neg]") {
    const TempDir dir;
    writeFile(dir / "sim.toml", generateProfile(), 0644);
    std::filesystem::create_symlink(dir / "sim.toml", dir / "link.toml");
    CHECK_THROWS_WITH(loadSimProfile(dir / "link.toml"), Catch::Contains("symbolic link"));
    CHECK_THROWS_WITH(loadSimProfile(dir.path()), Catch::Contains("not a regular file"));
    REQUIRE(::mkfifo((dir / "fifo.toml").c_str(), 0600) == 0);
    CHECK_THROWS_WITH(loadSimProfile(dir / "fifo.toml"), Catch::Contains("not a regular file"));
    CHECK_THROWS_WITH(loadSimProfile(dir / "missing.toml"), Catch::Contains("does not exist"));
    writeFile(dir / "big.toml", std::string(64 * 1024 + 1, '#'), 0600);
    CHECK_THROWS_WITH(loadSimProfile(dir / "big.toml"), Catch::Contains("too large"));
}

TEST_CASE("no key text the TOML parser produced is freed unwiped", "[profile][secret]") {
    // toml++ builds every string in one scratch buffer of its parser, which it frees itself,
    // unwiped, holding the last long string it parsed (README, "Secrets"): here the first string
    // is longer than any key (the buffer never grows while a key is in it) and the last one too
    // (it overwrites the keys), so what the watch sees is what this project controls: the
    // table's strings, wiped before the table frees them, and no copy of ours.
    const TempDir dir;
    const std::string codeFile(80, 'c');
    writeFile(dir / codeFile, kAdminCode + "\n");
    std::string text = literalProfile("code_file = \"" + codeFile + "\"");
    text = replaced(text, "m2m:scl/device-0001", "m2m:scl/" + std::string(120, 'd'));
    for (const std::string* key : {&kKmr, &kKmsa, &kKbs, &kKiv}) {
        INFO(*key);
        const base::Bytes secret(key->begin(), key->end());
        testsupport::FreedMemoryWatch watch(secret);
        const auto p = parseSimProfile(text, dir.path());
        CHECK(watch.frees() > 0);
        CHECK(watch.unwipedFrees() == 0);
    }
}

TEST_CASE("the [usim] section: IMSI, K, OPc or OP, start SQN; refusals by field",
          "[profile][usim]") {
    const std::string k = "465b5ce8b199b49faa5f0a2ee238a6bc";
    const std::string opc = "cd63cb71954a9f4e48a5994e37a02baf";
    const std::string usim = "[usim]\nimsi = \"001010123456789\"\nk = \"" + k + "\"\nopc = \"" +
                             opc + "\"\nsqn = \"ff9bb4d0b5e7\"\n";
    const auto p = parseSimProfile(generateProfile() + usim, "/nowhere");
    REQUIRE(p.usim.has_value());
    CHECK(p.usim->imsi == "001010123456789");
    CHECK(hexOf(*p.usim->k.value) == k);
    CHECK(hexOf(*p.usim->opc.value) == opc);
    CHECK_FALSE(p.usim->fromOp);
    CHECK(sctest::toHex(*p.usim->sqn) == "ff9bb4d0b5e7");

    const auto g = parseSimProfile(
        generateProfile() + "[usim]\nimsi = \"generate\"\nk = \"generate\"\nop = \"generate\"\n",
        "/nowhere");
    REQUIRE(g.usim.has_value());
    CHECK_FALSE(g.usim->imsi.has_value());
    CHECK(g.usim->k.generate());
    CHECK(g.usim->fromOp);
    CHECK_FALSE(parseSimProfile(generateProfile(), "/nowhere").usim.has_value());

    CHECK_THAT(refusal(generateProfile() + replaced(usim, "001010123456789", "0010")),
               Catch::Contains("usim.imsi must be 6 to 15 digits"));
    CHECK_THAT(refusal(generateProfile() +
                       replaced(usim, "sqn = \"ff9bb4d0b5e7\"", "op = \"" + opc + "\"")),
               Catch::Contains("exactly one of opc and op"));
    CHECK_THAT(refusal(generateProfile() + replaced(usim, "opc = \"" + opc + "\"", "")),
               Catch::Contains("exactly one of opc and op"));
    CHECK_THAT(refusal(generateProfile() + replaced(usim, k, k.substr(2))),
               Catch::Contains("usim.k must be 16 bytes"));
    CHECK_THAT(refusal(generateProfile() + replaced(usim, "ff9bb4d0b5e7", "ff9b")),
               Catch::Contains("usim.sqn must be 6 bytes"));
}

namespace {

// The public files an [iv_sed] section names: the SP's key (as a certificate), the NSCL's policy
// key, and a first manifest the SP signed.
struct IvSedFiles {
    TempDir dir;
    integrity::PrivateKey sp = integrity::PrivateKey::generate();
    integrity::PrivateKey nscl = integrity::PrivateKey::generate();

    IvSedFiles() {
        const base::Bytes cert =
            integrity::issueCertificate({"test SP", false, 30}, sp.publicKey(), sp);
        writeFile(dir.path() / "sp.pem", integrity::certificateToPem(cert));
        writeFile(dir.path() / "sp-key.pem", sp.publicKey().pem());
        writeFile(dir.path() / "policy.pem", nscl.publicKey().pem());
        writeManifest("manifest.cose", sp, 3);
        writeManifest("foreign.cose", nscl, 3);
    }
    void writeManifest(const std::string& name, const integrity::PrivateKey& key,
                       std::uint32_t version) {
        integrity::Manifest m;
        m.version = version;
        m.objects.push_back(
            {"@agent", base::Bytes(32, 0xAB), true, integrity::RecoveryAction::Rollback});
        const base::Bytes signedManifest =
            integrity::CoseSign1::sign(key, m.encodePayload(), std::nullopt).encode();
        writeFile(dir.path() / name,
                  std::string_view(reinterpret_cast<const char*>(signedManifest.data()),
                                   signedManifest.size()));
    }
    std::string section(const std::string& reference = "sp.pem",
                        const std::string& policy = "policy.pem",
                        const std::string& manifest = "manifest.cose") const {
        return "[iv_sed]\nkmsa_iv = \"generate\"\nreference_key = \"" + reference +
               "\"\npolicy_key = \"" + policy + "\"\nmanifest = \"" + manifest + "\"\n";
    }
};

}  // namespace

TEST_CASE(
    "profile [iv_sed]: keys from a certificate or PEM, the manifest checked against the "
    "reference key",
    "[sim-profile][iv-sed]") {
    IvSedFiles f;
    const auto p = parseSimProfile(generateProfile() + f.section(), f.dir.path());
    REQUIRE(p.ivSed);
    CHECK(p.ivSed->kmsaIv.generate());
    CHECK(p.ivSed->referenceKeyPoint == f.sp.publicKey().point());
    CHECK(p.ivSed->policyKeyPoint == f.nscl.publicKey().point());
    CHECK(p.ivSed->manifestVersion == 3);
    // The SP's key as a PEM public key works the same.
    CHECK(parseSimProfile(generateProfile() + f.section("sp-key.pem"), f.dir.path())
              .ivSed->referenceKeyPoint == f.sp.publicKey().point());
    CHECK_FALSE(parseSimProfile(generateProfile(), f.dir.path()).ivSed);
}

TEST_CASE("profile [iv_sed]: refusals name the field", "[sim-profile][iv-sed][neg]") {
    IvSedFiles f;
    const auto refusal = [&](const std::string& section) {
        try {
            static_cast<void>(parseSimProfile(generateProfile() + section, f.dir.path()));
        } catch (const ProfileError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    // A manifest the card would refuse fails before anything is written.
    CHECK_THAT(refusal(f.section("sp.pem", "policy.pem", "foreign.cose")),
               Catch::Contains("iv_sed.manifest"));
    CHECK_THAT(refusal(f.section("sp.pem", "policy.pem", "missing.cose")),
               Catch::Contains("iv_sed.manifest: cannot read"));
    CHECK_THAT(refusal(f.section("sp.pem", "sp.pem")), Catch::Contains("iv_sed.policy_key"));
    CHECK_THAT(refusal(f.section("manifest.cose")), Catch::Contains("iv_sed.reference_key"));
    CHECK_THAT(refusal("[iv_sed]\nkmsa_iv = \"0011\"\n"), Catch::Contains("iv_sed.kmsa_iv"));
}
