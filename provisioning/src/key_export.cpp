#include "provisioning/key_export.hpp"

#include <nlohmann/json.hpp>

#include "base/bytes.hpp"
#include "base/scope_exit.hpp"
#include "base/unix_time.hpp"
#include "securechannel/key_file.hpp"

namespace provisioning {

namespace {

constexpr std::size_t kMaxFileBytes = 8 * 1024;
// The card keeps expiries as unsigned Unix seconds; a time point holds them up to 2262-04-11.
constexpr std::int64_t kMaxExpiryUnix = base::kMaxUnixSeconds;
// A P-256 SubjectPublicKeyInfo in PEM is 178 bytes.
constexpr std::size_t kMaxPemBytes = 1024;
// The M2M-SED's SCL-ID item (C4) holds up to 128 bytes.
constexpr std::size_t kMaxSclIdBytes = 128;

using Json = nlohmann::json;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
    throw KeyExportError("key export '" + path.string() + "': " + problem);
}

void wipeStrings(Json& doc) {
    for (auto& item : doc.items()) {
        if (auto* text = item.value().get_ptr<std::string*>()) {
            base::secureWipe({reinterpret_cast<std::uint8_t*>(text->data()), text->size()});
        }
    }
}

// Key `name` decoded straight into locked memory; nullopt if absent and not `required`.
std::optional<base::SecretBuffer> key(const Json& doc, const char* name, std::size_t bytes,
                                      bool required, const std::filesystem::path& path) {
    if (!doc.contains(name)) {
        if (required) {
            fail(path, std::string("'") + name + "' is missing");
        }
        return std::nullopt;
    }
    const auto* text = doc[name].get_ptr<const std::string*>();
    if (text == nullptr || text->size() != 2 * bytes) {
        fail(path, std::string("'") + name + "' is not " + std::to_string(bytes) + " bytes of hex");
    }
    base::SecretBuffer value(bytes);
    try {
        base::decodeHex(*text, value.mutableView());
    } catch (const base::HexError&) {
        fail(path, std::string("'") + name + "' is not hex");
    }
    return value;
}

// Appends `"name": "<hex>"`, the hex encoded in place: no other copy of it exists.
void appendKey(std::string& text, const char* name, const base::SecretBuffer& value) {
    text += ",\n  \"";
    text += name;
    text += "\": \"";
    const std::size_t at = text.size();
    text.append(2 * value.size(), '0');
    base::encodeLowerHex(value.view(),
                         {reinterpret_cast<std::uint8_t*>(text.data()) + at, 2 * value.size()});
    text += '"';
}

bool expiryInRange(const Json& value) {
    if (value.is_number_unsigned()) {
        return value.get<std::uint64_t>() <= static_cast<std::uint64_t>(kMaxExpiryUnix);
    }
    return value.is_number_integer() && value.get<std::int64_t>() >= 0 &&
           value.get<std::int64_t>() <= kMaxExpiryUnix;
}

}  // namespace

KeyExport readKeyExport(const std::filesystem::path& path) {
    const base::SecretBuffer content = securechannel::readSecretFile(path, kMaxFileBytes);
    Json doc = Json::parse(content.data(), content.data() + content.size(), nullptr,
                           /*allow_exceptions=*/false);
    const base::ScopeExit wipe([&doc] { wipeStrings(doc); });
    if (!doc.is_object()) {
        fail(path, "not a JSON object");
    }
    KeyExport r;
    if (doc.contains("software")) {
        if (!doc["software"].is_boolean()) {
            fail(path, "'software' is not true or false");
        }
        r.software = doc["software"].get<bool>();
    }
    if (r.software) {
        // No card: a card's field here means the file is not what it says.
        for (const char* cardOnly : {"iccid", "kmsa", "kbs", "kiv", "imsi", "usim_k", "usim_opc",
                                     "kmsa_iv", "iv_attestation_public_key"}) {
            if (doc.contains(cardOnly)) {
                fail(path, std::string("'") + cardOnly + "' in a software device's record");
            }
        }
    } else {
        const auto* iccid =
            doc.contains("iccid") ? doc["iccid"].get_ptr<const std::string*>() : nullptr;
        if (iccid == nullptr || iccid->empty() || iccid->size() > 20 ||
            iccid->find_first_not_of("0123456789Ff") != std::string::npos) {
            fail(path, "'iccid' is missing or not up to 20 digits");
        }
        r.iccid = *iccid;
    }
    if (doc.contains("scl_id")) {
        const auto* scl = doc["scl_id"].get_ptr<const std::string*>();
        if (scl == nullptr || scl->empty() || scl->size() > kMaxSclIdBytes) {
            fail(path,
                 "'scl_id' is not a string of 1 to " + std::to_string(kMaxSclIdBytes) + " bytes");
        }
        r.sclId = *scl;
    } else if (r.software) {
        fail(path, "'scl_id' is missing (a software device's record needs it)");
    }
    const auto* node =
        doc.contains("node_id") ? doc["node_id"].get_ptr<const std::string*>() : nullptr;
    if (node == nullptr || node->size() != 2 * r.nodeId.size()) {
        fail(path, "'node_id' is missing or not 16 bytes of hex");
    }
    try {
        base::decodeHex(*node, r.nodeId);
    } catch (const base::HexError&) {
        fail(path, "'node_id' is not hex");
    }
    if (!doc.contains("kmr_index") || !doc["kmr_index"].is_number_unsigned() ||
        doc["kmr_index"].get<std::uint64_t>() > UINT32_MAX) {
        fail(path, "'kmr_index' is missing or not a uint32");
    }
    r.kmrIndex = doc["kmr_index"].get<std::uint32_t>();
    if (!doc.contains("kmr_expiry_unix") || !expiryInRange(doc["kmr_expiry_unix"])) {
        fail(path, "'kmr_expiry_unix' is missing or not Unix seconds up to 2262-04-11");
    }
    r.kmrExpiry = *base::timeFromUnixSeconds(doc["kmr_expiry_unix"].get<std::int64_t>());
    r.kmr = std::move(*key(doc, "kmr", 32, true, path));
    if (!r.software) {
        r.kmsa = std::move(*key(doc, "kmsa", 16, true, path));
    }
    r.kbs = key(doc, "kbs", 32, false, path);
    r.kiv = key(doc, "kiv", 32, false, path);
    r.usimK = key(doc, "usim_k", 16, false, path);
    r.usimOpc = key(doc, "usim_opc", 16, false, path);
    if (doc.contains("imsi")) {
        const auto* imsi = doc["imsi"].get_ptr<const std::string*>();
        if (imsi == nullptr || imsi->size() < 6 || imsi->size() > 15 ||
            imsi->find_first_not_of("0123456789") != std::string::npos) {
            fail(path, "'imsi' is not 6 to 15 digits");
        }
        r.imsi = *imsi;
    }
    if (r.imsi.has_value() != r.usimK.has_value() || r.imsi.has_value() != r.usimOpc.has_value()) {
        fail(path, "'imsi', 'usim_k' and 'usim_opc' go together");
    }
    r.kmsaIv = key(doc, "kmsa_iv", 16, false, path);
    if (doc.contains("iv_attestation_public_key")) {
        const auto* pem = doc["iv_attestation_public_key"].get_ptr<const std::string*>();
        constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----\n";
        constexpr std::string_view kEnd = "-----END PUBLIC KEY-----\n";
        if (pem == nullptr || pem->size() > kMaxPemBytes || !pem->starts_with(kBegin) ||
            !pem->ends_with(kEnd)) {
            fail(path, "'iv_attestation_public_key' is not a PEM public key");
        }
        r.ivAttestationPublicKey = *pem;
    }
    return r;
}

namespace {

void appendExport(std::string& text, const KeyExport& r);

}  // namespace

void writeKeyExport(const std::filesystem::path& path, const KeyExport& r) {
    // Built by hand so that the key text lives in one string, wiped after the write.
    std::string text;
    text.reserve(2048);  // no reallocation leaves an unwiped copy behind
    const base::ScopeExit wipe([&text] {
        base::secureWipe({reinterpret_cast<std::uint8_t*>(text.data()), text.size()});
    });
    appendExport(text, r);
    securechannel::writeSecretFile(path, base::asBytes(text));
}

void replaceKeyExport(const std::filesystem::path& path, const KeyExport& r) {
    const std::filesystem::path fresh = path.string() + ".new";
    std::filesystem::remove(fresh);  // left by a run cut short before its rename
    writeKeyExport(fresh, r);
    std::filesystem::rename(fresh, path);
}

namespace {

void appendExport(std::string& text, const KeyExport& r) {
    const auto expiry =
        std::chrono::duration_cast<std::chrono::seconds>(r.kmrExpiry.time_since_epoch()).count();
    text += r.software ? "{\n  \"software\": true" : "{\n  \"iccid\": \"" + r.iccid + "\"";
    text += ",\n  \"node_id\": \"" + base::toHex(r.nodeId) +
            "\",\n  \"kmr_index\": " + std::to_string(r.kmrIndex) +
            ",\n  \"kmr_expiry_unix\": " + std::to_string(expiry);
    if (r.sclId) {
        text += ",\n  \"scl_id\": " + Json(*r.sclId).dump();
    }
    appendKey(text, "kmr", r.kmr);
    if (!r.software) {
        appendKey(text, "kmsa", r.kmsa);
    }
    if (r.kbs) {
        appendKey(text, "kbs", *r.kbs);
    }
    if (r.kiv) {
        appendKey(text, "kiv", *r.kiv);
    }
    if (r.imsi && r.usimK && r.usimOpc) {
        text += ",\n  \"imsi\": \"" + *r.imsi + "\"";
        appendKey(text, "usim_k", *r.usimK);
        appendKey(text, "usim_opc", *r.usimOpc);
    }
    if (r.kmsaIv) {
        appendKey(text, "kmsa_iv", *r.kmsaIv);
    }
    if (r.ivAttestationPublicKey) {
        text += ",\n  \"iv_attestation_public_key\": " + Json(*r.ivAttestationPublicKey).dump();
    }
    text += "\n}\n";
}

}  // namespace

}  // namespace provisioning
