#include "provisioning/key_export.hpp"

#include <nlohmann/json.hpp>

#include "base/bytes.hpp"
#include "base/scope_exit.hpp"
#include "base/unix_time.hpp"
#include "key_fields.hpp"
#include "securechannel/key_file.hpp"

namespace provisioning {

namespace {

constexpr std::size_t kMaxFileBytes = 8 * 1024;
// The M2M-SED's SCL-ID item (C4) holds up to 128 bytes.
constexpr std::size_t kMaxSclIdBytes = 128;

using Json = nlohmann::json;

std::string origin(const std::filesystem::path& path) {
    return "key export '" + path.string() + "'";
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
    fields::fail(origin(path), problem);
}

}  // namespace

KeyExport readKeyExport(const std::filesystem::path& path) {
    const base::SecretBuffer content = securechannel::readSecretFile(path, kMaxFileBytes);
    Json doc = Json::parse(content.data(), content.data() + content.size(), nullptr,
                           /*allow_exceptions=*/false);
    const base::ScopeExit wipe([&doc] { fields::wipeStrings(doc); });
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
    const std::string where = origin(path);
    r.nodeId = fields::nodeId(doc, where);
    r.kmrIndex = fields::kmrIndex(doc, where);
    r.kmrExpiry = fields::kmrExpiry(doc, where);
    r.kmr = std::move(*fields::key(doc, "kmr", 32, true, where));
    if (!r.software) {
        r.kmsa = std::move(*fields::key(doc, "kmsa", 16, true, where));
    }
    r.kbs = fields::key(doc, "kbs", 32, false, where);
    r.kiv = fields::key(doc, "kiv", 32, false, where);
    r.usimK = fields::key(doc, "usim_k", 16, false, where);
    r.usimOpc = fields::key(doc, "usim_opc", 16, false, where);
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
    r.kmsaIv = fields::key(doc, "kmsa_iv", 16, false, where);
    r.ivAttestationPublicKey = fields::attestationKey(doc, where);
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
    fields::appendKey(text, "kmr", r.kmr);
    if (!r.software) {
        fields::appendKey(text, "kmsa", r.kmsa);
    }
    if (r.kbs) {
        fields::appendKey(text, "kbs", *r.kbs);
    }
    if (r.kiv) {
        fields::appendKey(text, "kiv", *r.kiv);
    }
    if (r.imsi && r.usimK && r.usimOpc) {
        text += ",\n  \"imsi\": \"" + *r.imsi + "\"";
        fields::appendKey(text, "usim_k", *r.usimK);
        fields::appendKey(text, "usim_opc", *r.usimOpc);
    }
    if (r.kmsaIv) {
        fields::appendKey(text, "kmsa_iv", *r.kmsaIv);
    }
    if (r.ivAttestationPublicKey) {
        text += ",\n  \"iv_attestation_public_key\": " + Json(*r.ivAttestationPublicKey).dump();
    }
    text += "\n}\n";
}

}  // namespace

}  // namespace provisioning
