// The key export of `m2m provision --export-keys`, read by the provisioning tool, the lab network
// and the benchmarks through one reader: round trip, and every refusal with its field named and no
// key in the message.
#include <sys/stat.h>

#include "../secure-channel/test_support.hpp"
#include "base/unix_time.hpp"
#include "provisioning/key_export.hpp"

using provisioning::KeyExport;
using provisioning::KeyExportError;
using provisioning::readKeyExport;

namespace {

const std::string kKmrHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kKmsaHex = "404142434445464748494a4b4c4d4e4f";

std::string document(const std::string& fields) {
    return "{\"iccid\": \"8988211000000000018\", \"node_id\": "
           "\"8F43EC68186D02883E7E13AD5E94CDE7\", "
           "\"kmr_index\": 7, \"kmr_expiry_unix\": 4102444800, \"kmr\": \"" +
           kKmrHex + "\", \"kmsa\": \"" + kKmsaHex + "\"" + fields + "}";
}

// The same document with one field replaced ("name": value).
std::string with(const std::string& name, const std::string& value) {
    std::string doc = document("");
    const auto at = doc.find("\"" + name + "\": ");
    const auto end = doc.find_first_of(",}", at);
    return doc.substr(0, at) + "\"" + name + "\": " + value + doc.substr(end);
}

}  // namespace

TEST_CASE("a key export written is read back the same, as a 0600 file", "[key-export]") {
    sctest::TempDir dir;
    KeyExport in;
    in.iccid = "8988211000000000018";
    in.nodeId = {0x8F, 0x43, 0xEC, 0x68, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    in.kmrIndex = 4294967295u;
    in.kmrExpiry = std::chrono::system_clock::time_point(std::chrono::seconds(4102444800));
    in.kmr = base::SecretBuffer::copyOf(base::fromHex(kKmrHex));
    in.kmsa = base::SecretBuffer::copyOf(base::fromHex(kKmsaHex));
    in.kbs = base::SecretBuffer::copyOf(base::fromHex(kKmrHex));
    const auto path = dir.path() / "keys.json";
    provisioning::writeKeyExport(path, in);
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 07777) == 0600);
    const KeyExport out = readKeyExport(path);
    CHECK(out.iccid == in.iccid);
    CHECK(out.nodeId == in.nodeId);
    CHECK(out.kmrIndex == in.kmrIndex);
    CHECK(out.kmrExpiry == in.kmrExpiry);
    CHECK(out.kmr.equals(in.kmr));
    CHECK(out.kmsa.equals(in.kmsa));
    REQUIRE(out.kbs);
    CHECK(out.kbs->equals(*in.kbs));
    CHECK_FALSE(out.kiv);
    CHECK_FALSE(out.imsi);
    // With the USIM's subscription (GBA): the three fields go and come back together.
    in.imsi = "001010123456789";
    in.usimK = base::SecretBuffer::copyOf(base::fromHex(kKmsaHex));
    in.usimOpc = base::SecretBuffer::copyOf(base::fromHex(kKmsaHex));
    const auto usimPath = dir.path() / "usim.json";
    provisioning::writeKeyExport(usimPath, in);
    const KeyExport usim = readKeyExport(usimPath);
    REQUIRE(usim.imsi);
    CHECK(*usim.imsi == "001010123456789");
    REQUIRE(usim.usimK);
    CHECK(usim.usimK->equals(*in.usimK));
    REQUIRE(usim.usimOpc);
    CHECK(usim.usimOpc->equals(*in.usimOpc));
    // Never over an existing file.
    CHECK_THROWS_AS(provisioning::writeKeyExport(path, in), securechannel::KeyFileError);
}

TEST_CASE("a key export with a missing, mistyped or out-of-range field is refused by name",
          "[key-export][neg]") {
    sctest::TempDir dir;
    const auto path = dir.path() / "keys.json";
    const auto refused = [&](const std::string& text, const std::string& field) {
        std::filesystem::remove(path);
        sctest::writeFile(path, text);
        try {
            (void)readKeyExport(path);
            FAIL("accepted: " << field);
        } catch (const KeyExportError& e) {
            const std::string message = e.what();
            INFO(message);
            CHECK(message.find(field) != std::string::npos);
            CHECK(message.find(kKmrHex) == std::string::npos);
            CHECK(message.find(kKmsaHex) == std::string::npos);
        }
    };
    refused("not json", "not a JSON object");
    refused("[1, 2]", "not a JSON object");
    refused(with("iccid", "\"89882110\\u001b[2J\""), "'iccid'");
    refused(with("node_id", "\"8F43\""), "'node_id'");
    refused(with("node_id", "\"8F43EC68186D02883E7E13AD5E94CDZZ\""), "'node_id'");
    refused(with("kmr_index", "4294967296"), "'kmr_index'");
    refused(with("kmr_index", "-1"), "'kmr_index'");
    refused(with("kmr_index", "\"7\""), "'kmr_index'");
    refused(with("kmr_expiry_unix", "18446744073709551615"), "'kmr_expiry_unix'");
    refused(with("kmr_expiry_unix", "-1"), "'kmr_expiry_unix'");
    refused(with("kmr_expiry_unix", "253402300800"), "'kmr_expiry_unix'");
    // Found by fuzzing (key_export): years 2263-9999 used to pass and overflow the conversion of
    // the seconds into the clock's nanoseconds (undefined behaviour).
    refused(with("kmr_expiry_unix", "253402300799"), "'kmr_expiry_unix'");
    refused(with("kmr_expiry_unix", std::to_string(base::kMaxUnixSeconds + 1)),
            "'kmr_expiry_unix'");
    refused(with("kmr_expiry_unix", "1.5"), "'kmr_expiry_unix'");
    refused(with("kmr", "\"" + kKmrHex.substr(2) + "\""), "'kmr'");
    refused(with("kmr", "\"" + kKmrHex.substr(0, 62) + "zz\""), "'kmr'");
    refused(with("kmr", "7"), "'kmr'");
    refused(with("kmsa", "\"" + kKmrHex + "\""), "'kmsa'");
    refused(document(", \"kbs\": \"00\""), "'kbs'");
    const std::string usim =
        ", \"usim_k\": \"" + kKmsaHex + "\", \"usim_opc\": \"" + kKmsaHex + "\"";
    refused(document(", \"imsi\": \"0010101234567890\"" + usim), "'imsi'");
    refused(document(", \"imsi\": \"00101012345678x\"" + usim), "'imsi'");
    refused(document(", \"imsi\": 1010123456789" + usim), "'imsi'");
    refused(document(", \"imsi\": \"001010123456789\", \"usim_k\": \"" + kKmsaHex + "\""),
            "go together");
    refused(document(usim), "go together");
    refused(document(", \"imsi\": \"001010123456789\", \"usim_k\": \"00\", \"usim_opc\": \"" +
                     kKmsaHex + "\""),
            "'usim_k'");
    std::string noKmr = document("");
    const std::string kmrField = ", \"kmr\": \"" + kKmrHex + "\"";
    noKmr.erase(noKmr.find(kmrField), kmrField.size());
    refused(noKmr, "'kmr' is missing");
}

TEST_CASE("a key export's expiry is read up to the clock's last second", "[key-export]") {
    sctest::TempDir dir;
    const auto path = dir.path() / "keys.json";
    sctest::writeFile(path, with("kmr_expiry_unix", std::to_string(base::kMaxUnixSeconds)));
    CHECK(readKeyExport(path).kmrExpiry.time_since_epoch() >=
          std::chrono::seconds(base::kMaxUnixSeconds));
}

TEST_CASE("a key export readable by others is refused as a key file", "[key-export][neg]") {
    sctest::TempDir dir;
    const auto path = dir.path() / "keys.json";
    sctest::writeFile(path, document(""), 0644);
    CHECK_THROWS_AS(readKeyExport(path), securechannel::KeyFileError);
}

TEST_CASE("a key export's USIM subscription: imsi, usim_k, usim_opc together or not at all",
          "[key-export][usim]") {
    sctest::TempDir dir;
    KeyExport in;
    in.iccid = "8988211000000000018";
    in.kmr = base::SecretBuffer::copyOf(base::fromHex(kKmrHex));
    in.kmsa = base::SecretBuffer::copyOf(base::fromHex(kKmsaHex));
    in.imsi = "001010123456789";
    in.usimK = base::SecretBuffer::copyOf(base::fromHex(kKmsaHex));
    in.usimOpc = base::SecretBuffer::copyOf(base::fromHex("cd63cb71954a9f4e48a5994e37a02baf"));
    const auto path = dir.path() / "keys.json";
    provisioning::writeKeyExport(path, in);
    const KeyExport out = readKeyExport(path);
    CHECK(out.imsi == in.imsi);
    REQUIRE(out.usimK);
    CHECK(out.usimK->equals(*in.usimK));
    REQUIRE(out.usimOpc);
    CHECK(out.usimOpc->equals(*in.usimOpc));

    const auto refused = [&](const std::string& fields) {
        const auto p = dir.path() / ("bad-" + std::to_string(fields.size()) + ".json");
        sctest::writeFile(p, std::string_view(document(fields)));
        try {
            static_cast<void>(readKeyExport(p));
        } catch (const KeyExportError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK_THAT(refused(", \"imsi\": \"001010123456789\""), Catch::Contains("go together"));
    CHECK_THAT(refused(", \"imsi\": \"0010\", \"usim_k\": \"" + kKmsaHex + "\", \"usim_opc\": \"" +
                       kKmsaHex + "\""),
               Catch::Contains("'imsi' is not 6 to 15 digits"));
    CHECK_THAT(refused(", \"imsi\": \"001010123456789\", \"usim_k\": \"00\", \"usim_opc\": \"" +
                       kKmsaHex + "\""),
               Catch::Contains("'usim_k' is not 16 bytes of hex"));
}

TEST_CASE("a key export's IV-SED fields: kmsa_iv and the attestation public key (PEM)",
          "[key-export][iv-sed]") {
    sctest::TempDir dir;
    KeyExport in;
    in.iccid = "8988211000000000018";
    in.kmr = base::SecretBuffer::copyOf(base::fromHex(kKmrHex));
    in.kmsa = base::SecretBuffer::copyOf(base::fromHex(kKmsaHex));
    in.kmsaIv = base::SecretBuffer::copyOf(base::fromHex(kKmsaHex));
    const auto path = dir.path() / "keys.json";
    provisioning::writeKeyExport(path, in);
    CHECK_FALSE(readKeyExport(path).ivAttestationPublicKey);
    // The card makes the attestation key after the record is first written: replaced whole.
    in.ivAttestationPublicKey = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
    provisioning::replaceKeyExport(path, in);
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 07777) == 0600);
    CHECK_FALSE(std::filesystem::exists(path.string() + ".new"));
    const KeyExport out = readKeyExport(path);
    REQUIRE(out.kmsaIv);
    CHECK(out.kmsaIv->equals(*in.kmsaIv));
    CHECK(out.ivAttestationPublicKey == in.ivAttestationPublicKey);

    const auto refused = [&](const std::string& fields) {
        const auto p = dir.path() / ("bad-" + std::to_string(fields.size()) + ".json");
        sctest::writeFile(p, std::string_view(document(fields)));
        try {
            static_cast<void>(readKeyExport(p));
        } catch (const KeyExportError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK_THAT(refused(", \"iv_attestation_public_key\": \"MFkw\""),
               Catch::Contains("'iv_attestation_public_key' is not a PEM public key"));
    CHECK_THAT(refused(", \"kmsa_iv\": \"00\""), Catch::Contains("'kmsa_iv' is not 16 bytes"));
}

TEST_CASE("a software device's record: no card fields, an SCL-ID", "[key-export][software]") {
    sctest::TempDir dir;
    KeyExport in;
    in.software = true;
    in.sclId = "soft-device-1";
    in.kmrIndex = 2;
    in.kmr = base::SecretBuffer::copyOf(base::fromHex(kKmrHex));
    const auto path = dir.path() / "device.json";
    provisioning::writeKeyExport(path, in);
    const std::string text = sctest::readText(path);
    CHECK(text.find("\"software\": true") != std::string::npos);
    CHECK(text.find("iccid") == std::string::npos);
    CHECK(text.find("kmsa") == std::string::npos);
    const KeyExport out = readKeyExport(path);
    CHECK(out.software);
    CHECK(out.iccid.empty());
    CHECK(out.kmsa.empty());
    CHECK(out.sclId == "soft-device-1");
    CHECK(out.kmrIndex == 2);
    CHECK(out.kmr.equals(in.kmr));
    // A card's export may name its SCL-ID too; without one it reads as before.
    CHECK_FALSE(readKeyExport([&] {
                    const auto p = dir.path() / "card.json";
                    sctest::writeFile(p, std::string_view(document("")));
                    return p;
                }())
                    .software);

    const std::string software =
        "{\"software\": true, \"node_id\": "
        "\"8F43EC68186D02883E7E13AD5E94CDE7\", \"kmr_index\": 7, "
        "\"kmr_expiry_unix\": 4102444800, \"kmr\": \"" +
        kKmrHex + "\"";
    const auto refused = [&](const std::string& doc) {
        const auto p = dir.path() / ("bad-" + std::to_string(doc.size()) + ".json");
        sctest::writeFile(p, std::string_view(doc));
        try {
            static_cast<void>(readKeyExport(p));
        } catch (const KeyExportError& e) {
            CHECK(std::string(e.what()).find(kKmrHex) == std::string::npos);
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(refused(software + ", \"scl_id\": \"s\"}") == "accepted");
    CHECK_THAT(refused(software + "}"), Catch::Contains("'scl_id' is missing"));
    CHECK_THAT(refused(software + ", \"scl_id\": \"\"}"), Catch::Contains("'scl_id' is not"));
    CHECK_THAT(refused(software + ", \"scl_id\": \"s\", \"kmsa\": \"" + kKmsaHex + "\"}"),
               Catch::Contains("'kmsa' in a software device's record"));
    CHECK_THAT(refused(software + ", \"scl_id\": \"s\", \"iccid\": \"8988\"}"),
               Catch::Contains("'iccid' in a software device's record"));
    CHECK_THAT(refused(software + ", \"scl_id\": \"s\", \"kbs\": \"" + kKmrHex + "\"}"),
               Catch::Contains("'kbs' in a software device's record"));
    CHECK_THAT(refused("{\"software\": 1" +
                       software.substr(std::string_view("{\"software\": true").size()) +
                       ", \"scl_id\": \"s\"}"),
               Catch::Contains("'software' is not true or false"));
}
