// `m2m integrity` as a person or a script runs it (the built binary, $M2M_BIN): keys and
// certificates made by keygen, a manifest signed over real files and verified through its chain,
// reports and decisions recognised, and each failure said in words with exit code 8.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"
#include "test_support.hpp"

using sctest::TempDir;

namespace {

sctest::CommandResult m2m(std::vector<std::string> args) {
    const char* bin = std::getenv("M2M_BIN");
    REQUIRE(bin != nullptr);
    args.insert(args.begin(), bin);
    return sctest::runCommand(args);
}

nlohmann::json json(const sctest::CommandResult& r) {
    return nlohmann::json::parse(r.out);
}

void writeBytes(const std::filesystem::path& path, base::ByteView bytes) {
    sctest::writeFile(path, bytes, 0644);
}

// root -> intermediate -> leaf, made with the command itself.
struct CliPki {
    TempDir dir;
    std::string p(const char* name) const { return (dir / name).string(); }
    CliPki() {
        REQUIRE(m2m({"integrity", "keygen", "--out", p("root.key"), "--cert", p("root.pem"), "--cn",
                     "Test SP root", "--is-ca"})
                    .exitCode == 0);
        REQUIRE(m2m({"integrity", "keygen", "--out", p("ca.key"), "--cert", p("ca.pem"), "--cn",
                     "Test SP CA", "--is-ca", "--ca", p("root.pem"), "--ca-key", p("root.key")})
                    .exitCode == 0);
        REQUIRE(m2m({"integrity", "keygen", "--out", p("leaf.key"), "--cert", p("leaf.pem"), "--cn",
                     "Test SP signer", "--ca", p("ca.pem"), "--ca-key", p("ca.key")})
                    .exitCode == 0);
    }
};

}  // namespace

TEST_CASE("m2m integrity: keygen, sign-manifest over files, verify through the chain",
          "[cli][integrity]") {
    const CliPki pki;
    sctest::writeFile(pki.dir / "agent.bin", std::string_view("the agent"), 0755);
    sctest::writeFile(pki.dir / "agent.toml", std::string_view("[identity]\n"), 0644);
    const auto sign =
        m2m({"integrity", "sign-manifest", "--key", pki.p("leaf.key"), "--cert", pki.p("leaf.pem"),
             "--cert", pki.p("ca.pem"), "--version", "7", "--object",
             "@agent=" + pki.p("agent.bin") + ":required:halt", "--object",
             "@config=" + pki.p("agent.toml") + ":optional", "--out", pki.p("m.cose"), "--json"});
    INFO(sign.err);
    REQUIRE(sign.exitCode == 0);
    CHECK(json(sign)["x5chain"] == 2);

    // The file is what the library reads, with the digests of the files.
    const std::string content = sctest::readText(pki.dir / "m.cose");
    const auto manifest =
        integrity::SignedManifest::decode(base::Bytes(content.begin(), content.end()));
    CHECK(manifest.manifest.version == 7);
    REQUIRE(manifest.manifest.objects.size() == 2);
    CHECK(manifest.manifest.objects[0].action == integrity::RecoveryAction::Halt);
    CHECK_FALSE(manifest.manifest.objects[1].required);
    const auto measured = m2m({"integrity", "measure", "--json", "@agent=" + pki.p("agent.bin")});
    CHECK(json(measured)["objects"][0]["sha256"] ==
          base::toLowerHex(manifest.manifest.objects[0].sha256));

    auto ok = m2m({"integrity", "verify", pki.p("m.cose"), "--root", pki.p("root.pem"), "--json"});
    CHECK(ok.exitCode == 0);
    CHECK(json(ok)["kind"] == "manifest");
    CHECK(json(ok)["content"]["version"] == 7);
    ok = m2m({"integrity", "verify", pki.p("m.cose"), "--key", pki.p("leaf.pem")});
    CHECK(ok.exitCode == 0);

    SECTION("another root: exit 8, and why") {
        const CliPki other;
        const auto r =
            m2m({"integrity", "verify", pki.p("m.cose"), "--root", other.p("root.pem"), "--json"});
        CHECK(r.exitCode == 8);
        CHECK(json(r)["error"]["code"] == "key");
        CHECK(json(r)["error"]["message"].get<std::string>().find("trusted root") !=
              std::string::npos);
    }
    SECTION("another key") {
        const auto r = m2m({"integrity", "verify", pki.p("m.cose"), "--key", pki.p("ca.pem")});
        CHECK(r.exitCode == 8);
        CHECK(r.err.find("does not verify") != std::string::npos);
    }
    SECTION("a changed byte") {
        auto bytes = base::Bytes(content.begin(), content.end());
        bytes[bytes.size() - 70] ^= 1;  // inside the payload
        writeBytes(pki.dir / "bad.cose", bytes);
        const auto r = m2m({"integrity", "verify", pki.p("bad.cose"), "--root", pki.p("root.pem")});
        CHECK(r.exitCode == 8);
    }
    SECTION("not a COSE_Sign1 at all") {
        sctest::writeFile(pki.dir / "junk", std::string_view("not base64url!"), 0644);
        const auto r = m2m({"integrity", "verify", pki.p("junk"), "--json"});
        CHECK(r.exitCode == 8);
        CHECK(json(r)["error"]["code"] == "malformed");
    }
    SECTION("the leaf certificate must be the signing key's") {
        const auto r = m2m({"integrity", "sign-manifest", "--key", pki.p("leaf.key"), "--cert",
                            pki.p("ca.pem"), "--version", "1", "--object",
                            "@agent=" + pki.p("agent.bin"), "--out", pki.p("x.cose")});
        CHECK(r.exitCode == 1);
        CHECK(r.err.find("not for the key") != std::string::npos);
    }
    SECTION("a private key readable by others is refused") {
        std::filesystem::permissions(pki.dir / "leaf.key", std::filesystem::perms::group_read,
                                     std::filesystem::perm_options::add);
        const auto r =
            m2m({"integrity", "sign-manifest", "--key", pki.p("leaf.key"), "--version", "1",
                 "--object", "@agent=" + pki.p("agent.bin"), "--out", pki.p("x.cose")});
        CHECK(r.exitCode == 8);
        CHECK(r.err.find("chmod 600") != std::string::npos);
    }
    SECTION("names that leave the integrity root are refused before signing") {
        const auto r =
            m2m({"integrity", "sign-manifest", "--key", pki.p("leaf.key"), "--version", "1",
                 "--object", "../etc=" + pki.p("agent.bin"), "--out", pki.p("x.cose")});
        CHECK(r.exitCode == 8);
        CHECK_FALSE(std::filesystem::exists(pki.dir / "x.cose"));
    }
}

TEST_CASE("m2m integrity verify recognises reports and decisions, binary or base64url",
          "[cli][integrity]") {
    const TempDir dir;
    const auto attestation = integrity::PrivateKey::generate();
    const auto policy = integrity::PrivateKey::generate();
    sctest::writeFile(dir / "attestation.pem", attestation.publicKey().pem(), 0644);
    sctest::writeFile(dir / "policy.pem", policy.publicKey().pem(), 0644);

    integrity::EatClaims claims;
    claims.nonce = base::Bytes(32, 0x4e);
    claims.ueid = base::Bytes(17, 0x22);
    claims.ueid[0] = 0x01;
    claims.results = {{"@agent", integrity::MeasurementResult::Success}};
    claims.measurements = {{"@agent", base::Bytes(32, 0xa1)}};
    claims.manifestVersion = 2;
    claims.counter = 9;
    const auto report =
        integrity::CoseSign1::sign(attestation, claims.encode(), attestation.publicKey().keyId())
            .encode();
    sctest::writeFile(dir / "report.b64", integrity::toBase64Url(report) + "\n", 0644);

    integrity::DecisionClaims decision;
    decision.node = claims.ueid;
    decision.nonce = claims.nonce;
    decision.counter = claims.counter;
    decision.verdict = integrity::Verdict::Partial;
    decision.allowed = {"applications/meter"};
    decision.iat = 100;
    decision.exp = 200;
    writeBytes(
        dir / "decision.cose",
        integrity::CoseSign1::sign(policy, decision.encode(), policy.publicKey().keyId()).encode());

    auto r = m2m({"integrity", "verify", (dir / "report.b64").string(), "--key",
                  (dir / "attestation.pem").string(), "--json"});
    INFO(r.err);
    REQUIRE(r.exitCode == 0);
    CHECK(json(r)["kind"] == "report");
    CHECK(json(r)["content"]["counter"] == 9);
    CHECK(json(r)["content"]["results"][0]["result"] == "success");
    r = m2m({"integrity", "verify", (dir / "report.b64").string(), "--key",
             (dir / "policy.pem").string()});
    CHECK(r.exitCode == 8);
    CHECK(r.err.find("another attestation key") != std::string::npos);

    r = m2m({"integrity", "verify", (dir / "decision.cose").string(), "--key",
             (dir / "policy.pem").string(), "--json"});
    REQUIRE(r.exitCode == 0);
    CHECK(json(r)["kind"] == "decision");
    CHECK(json(r)["content"]["verdict"] == "partial");
    CHECK(json(r)["content"]["allowed"][0] == "applications/meter");
    r = m2m({"integrity", "verify", (dir / "decision.cose").string(), "--root",
             (dir / "policy.pem").string()});
    CHECK(r.exitCode == 2);  // --root is for manifests
}
