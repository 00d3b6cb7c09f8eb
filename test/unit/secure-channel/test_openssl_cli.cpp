// Cross-checks against an implementation nobody here wrote: the Debian `openssl` command, run on
// the vector inputs and on random ones. Skipped with a warning only if `openssl` is not installed.
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "securechannel/crypto.hpp"
#include "test_support.hpp"

using namespace securechannel;
using sctest::fromHex;
using sctest::hexDigitsOf;
using sctest::loadSection;
using sctest::loadVectors;
using sctest::TempDir;
using sctest::toHex;

namespace {

constexpr int kRandomRounds = 8;

/// The openssl binary, or nullopt after a visible warning.
std::optional<std::string> opensslOrWarn() {
    const auto found = sctest::findExecutable("openssl");
    if (!found) {
        WARN(
            "the `openssl` command is not installed: cross-check skipped (apt-get install "
            "openssl)");
        return std::nullopt;
    }
    return found->string();
}

/// Runs openssl with `args`; returns the hex digits of its stdout. Fails the test on error.
std::string openssl(const std::string& binary, std::vector<std::string> args) {
    args.insert(args.begin(), binary);
    const sctest::CommandResult result = sctest::runCommand(args);
    INFO("openssl stderr: " << result.err);
    REQUIRE(result.exitCode == 0);
    return hexDigitsOf(result.out);
}

std::string cliCmac(const std::string& binary, const TempDir& dir, ByteView key, ByteView data) {
    sctest::writeFile(dir / "message", data);
    return openssl(binary,
                   {"mac", "-cipher", key.size() == 16 ? "AES-128-CBC" : "AES-256-CBC", "-macopt",
                    "hexkey:" + toHex(key), "-in", (dir / "message").string(), "CMAC"});
}

std::string cliHmac(const std::string& binary, const TempDir& dir, ByteView key, ByteView data) {
    sctest::writeFile(dir / "message", data);
    return openssl(binary, {"mac", "-digest", "SHA256", "-macopt", "hexkey:" + toHex(key), "-in",
                            (dir / "message").string(), "HMAC"});
}

std::string cliTlsPrf(const std::string& binary, ByteView secret, std::string_view label,
                      ByteView seed, std::size_t length) {
    return openssl(binary, {"kdf", "-keylen", std::to_string(length), "-kdfopt", "digest:SHA256",
                            "-kdfopt", "hexsecret:" + toHex(secret), "-kdfopt",
                            "hexseed:" + toHex(asBytes(label)) + toHex(seed), "TLS1-PRF"});
}

std::string cliKbkdf(const std::string& binary, ByteView key, ByteView label, ByteView context,
                     std::size_t length) {
    return openssl(binary,
                   {"kdf", "-keylen", std::to_string(length), "-kdfopt", "mac:CMAC", "-kdfopt",
                    "cipher:AES-128-CBC", "-kdfopt", "hexkey:" + toHex(key), "-kdfopt",
                    "hexsalt:" + toHex(label), "-kdfopt", "hexinfo:" + toHex(context), "KBKDF"});
}

std::string cliAes(const std::string& binary, const TempDir& dir, const std::string& cipher,
                   ByteView key, std::optional<ByteView> iv, ByteView data) {
    sctest::writeFile(dir / "plain", data);
    std::vector<std::string> args{"enc",        "-e",
                                  "-" + cipher, "-nopad",
                                  "-K",         toHex(key),
                                  "-in",        (dir / "plain").string(),
                                  "-out",       (dir / "cipher").string()};
    if (iv) {
        args.insert(args.end(), {"-iv", toHex(*iv)});
    }
    openssl(binary, args);
    std::FILE* file = std::fopen((dir / "cipher").c_str(), "rb");
    REQUIRE(file != nullptr);
    Bytes out(data.size() + 32);
    out.resize(std::fread(out.data(), 1, out.size(), file));
    std::fclose(file);
    return toHex(out);
}

std::size_t randomSize(std::size_t max) {
    const Bytes r = randomBytes(2);
    return (static_cast<std::size_t>(r[0]) << 8 | r[1]) % (max + 1);
}

}  // namespace

TEST_CASE("openssl mac CMAC agrees with aesCmac", "[openssl-cli][cmac]") {
    const auto binary = opensslOrWarn();
    if (!binary) {
        return;
    }
    const TempDir dir;
    for (const auto& v : loadSection("aes-cmac.json", "/vectors")) {
        const Bytes key = fromHex(v["key"].get<std::string>());
        const Bytes message = fromHex(v["message"].get<std::string>());
        CHECK(cliCmac(*binary, dir, key, message) == v["mac"]);
        CHECK(toHex(aesCmac(key, message)) == v["mac"]);
    }
    for (int round = 0; round < kRandomRounds; ++round) {
        const Bytes key = randomBytes(round % 2 == 0 ? 16 : 32);
        const Bytes message = randomBytes(randomSize(100));
        INFO("key " << toHex(key) << ", message " << toHex(message));
        CHECK(cliCmac(*binary, dir, key, message) == toHex(aesCmac(key, message)));
    }
}

TEST_CASE("openssl kdf KBKDF agrees with kbkdfCounterCmac", "[openssl-cli][kbkdf]") {
    const auto binary = opensslOrWarn();
    if (!binary) {
        return;
    }
    for (const auto& v : loadSection("kbkdf-cmac.json", "/vectors")) {
        const Bytes kmsa = fromHex(v["kmsa"].get<std::string>());
        const std::string label = v["label"];
        const Bytes context = fromHex(v["context"].get<std::string>());
        CHECK(cliKbkdf(*binary, kmsa, asBytes(label), context, 16) == v["key"]);
    }
    for (int round = 0; round < kRandomRounds; ++round) {
        const Bytes key = randomBytes(16);
        const Bytes label = randomBytes(1 + randomSize(20));
        const Bytes context = randomBytes(1 + randomSize(64));
        const std::size_t length = 1 + randomSize(63);
        INFO("key " << toHex(key) << ", label " << toHex(label) << ", context " << toHex(context)
                    << ", " << length << " bytes");
        CHECK(cliKbkdf(*binary, key, label, context, length) ==
              toHex(kbkdfCounterCmac(key, label, context, length).view()));
    }
}

TEST_CASE("openssl kdf TLS1-PRF agrees with tls12Prf and the master secrets",
          "[openssl-cli][tls]") {
    const auto binary = opensslOrWarn();
    if (!binary) {
        return;
    }
    const auto file = loadVectors("tls12-prf.json");
    const auto& kat = file.at("prf_kat");
    const std::string katOutput = kat["output"];
    CHECK(cliTlsPrf(*binary, fromHex(kat["secret"].get<std::string>()),
                    kat["label"].get<std::string>(), fromHex(kat["seed"].get<std::string>()),
                    katOutput.size() / 2) == katOutput);

    for (const auto& h : file.at("handshakes")) {
        // The premaster from our code; everything after it computed by openssl alone.
        const SecretBuffer premaster = tlsPskPremaster(fromHex(h["psk"].get<std::string>()));
        const Bytes randoms =
            fromHex(h["client_random"].get<std::string>() + h["server_random"].get<std::string>());
        const std::string master =
            cliTlsPrf(*binary, premaster.view(), "master secret", randoms, 48);
        CHECK(master == h["master_secret"]);
        const std::string extended = cliTlsPrf(*binary, premaster.view(), "extended master secret",
                                               fromHex(h["session_hash"].get<std::string>()), 48);
        CHECK(extended == h["extended_master_secret"]);
        for (const auto& e : h["exporters"]) {
            const Bytes from = fromHex(e["from"] == "master_secret" ? master : extended);
            CHECK(cliTlsPrf(*binary, from, e["label"].get<std::string>(), randoms,
                            e["length"].get<std::size_t>()) == e["output"]);
        }
    }
    for (int round = 0; round < kRandomRounds; ++round) {
        const Bytes secret = randomBytes(1 + randomSize(80));
        const Bytes seed = randomBytes(1 + randomSize(64));
        const std::size_t length = 1 + randomSize(120);
        INFO("secret " << toHex(secret) << ", seed " << toHex(seed) << ", " << length << " bytes");
        CHECK(cliTlsPrf(*binary, secret, "key expansion", seed, length) ==
              toHex(tls12Prf(secret, "key expansion", seed, length).view()));
    }
}

TEST_CASE("openssl mac HMAC agrees with kdf33220 over the vectors' S strings",
          "[openssl-cli][gba]") {
    const auto binary = opensslOrWarn();
    if (!binary) {
        return;
    }
    const TempDir dir;
    for (const auto& v : loadSection("gba-kdf.json", "/vectors")) {
        const Bytes ks = fromHex(v["ks"].get<std::string>());
        const Bytes s = fromHex(v["s"].get<std::string>());
        CHECK(cliHmac(*binary, dir, ks, s) == v["output"]);
    }
    for (int round = 0; round < kRandomRounds; ++round) {
        const Bytes key = randomBytes(32);
        const Bytes p0 = randomBytes(randomSize(40));
        const Bytes p1 = randomBytes(randomSize(40));
        // S = FC ‖ P0 ‖ L0 ‖ P1 ‖ L1, built here by hand for openssl.
        Bytes s{0x01};
        for (const Bytes* p : {&p0, &p1}) {
            s.insert(s.end(), p->begin(), p->end());
            s.push_back(static_cast<std::uint8_t>(p->size() >> 8));
            s.push_back(static_cast<std::uint8_t>(p->size()));
        }
        CHECK(cliHmac(*binary, dir, key, s) == toHex(kdf33220(key, 0x01, {p0, p1}).view()));
    }
}

TEST_CASE("openssl enc agrees with AES-ECB, AES-CBC and the key check value",
          "[openssl-cli][aes]") {
    const auto binary = opensslOrWarn();
    if (!binary) {
        return;
    }
    const TempDir dir;
    for (int round = 0; round < kRandomRounds; ++round) {
        const Bytes key16 = randomBytes(16);
        const Bytes key32 = randomBytes(32);
        const Bytes iv = randomBytes(16);
        const Bytes block = randomBytes(16);
        const Bytes data = randomBytes(16 * (1 + randomSize(4)));
        INFO("key " << toHex(key16) << ", iv " << toHex(iv) << ", data " << toHex(data));
        CHECK(cliAes(*binary, dir, "aes-128-ecb", key16, std::nullopt, block) ==
              toHex(aesEcbEncryptBlock(key16, block)));
        CHECK(cliAes(*binary, dir, "aes-256-ecb", key32, std::nullopt, block) ==
              toHex(aesEcbEncryptBlock(key32, block)));
        const std::string cbc = cliAes(*binary, dir, "aes-128-cbc", key16, iv, data);
        CHECK(cbc == toHex(aesCbcEncrypt(key16, iv, data)));
        CHECK(aesCbcDecrypt(key16, iv, fromHex(cbc)).equals(data));
        const Bytes zeros(16, 0);
        CHECK(cliAes(*binary, dir, "aes-128-ecb", key16, std::nullopt, zeros).substr(0, 6) ==
              toHex(keyCheckValue(key16)));
        CHECK(cliAes(*binary, dir, "aes-256-ecb", key32, std::nullopt, zeros).substr(0, 6) ==
              toHex(keyCheckValue(key32)));
    }
}
