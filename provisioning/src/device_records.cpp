#include "provisioning/device_records.hpp"

#include <set>

#include <nlohmann/json.hpp>

#include "base/scope_exit.hpp"
#include "key_fields.hpp"
#include "securechannel/key_file.hpp"

namespace provisioning {

namespace {

// A record is about 400 bytes; 1 MiB is far more devices than a gateway reports (8).
constexpr std::size_t kMaxFileBytes = 1024 * 1024;
constexpr std::size_t kMaxSclIdBytes = 256;

using Json = nlohmann::json;

DeviceRecord recordOf(const Json& doc, const std::string& where) {
    if (!doc.is_object()) {
        fields::fail(where, "not a JSON object");
    }
    for (const auto& item : doc.items()) {
        static const std::set<std::string> kKnown = {
            "node_id", "kmr_index", "kmr_expiry_unix", "kmr", "iv_attestation_public_key",
            "scl_id",  "software"};
        if (!kKnown.contains(item.key())) {
            // A terminal-only key (kmsa...) or a typo: a gateway keeps only what it needs.
            fields::fail(where, "unknown field '" + item.key() + "'");
        }
    }
    DeviceRecord r;
    r.nodeId = fields::nodeId(doc, where);
    r.kmrIndex = fields::kmrIndex(doc, where);
    r.kmrExpiry = fields::kmrExpiry(doc, where);
    r.kmr = std::move(*fields::key(doc, "kmr", 32, true, where));
    r.ivAttestationPublicKey = fields::attestationKey(doc, where);
    const auto* scl =
        doc.contains("scl_id") ? doc["scl_id"].get_ptr<const std::string*>() : nullptr;
    if (scl == nullptr || scl->empty() || scl->size() > kMaxSclIdBytes) {
        fields::fail(where, "'scl_id' is missing or not 1 to 256 characters");
    }
    r.sclId = *scl;
    if (doc.contains("software")) {
        if (!doc["software"].is_boolean()) {
            fields::fail(where, "'software' is not true or false");
        }
        r.software = doc["software"].get<bool>();
    }
    if (r.software && r.ivAttestationPublicKey) {
        fields::fail(where, "a software-only device has no IV-SED (iv_attestation_public_key)");
    }
    return r;
}

}  // namespace

std::vector<DeviceRecord> parseDeviceRecords(base::ByteView text, const std::string& origin) {
    Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    const base::ScopeExit wipe([&doc] { fields::wipeStrings(doc); });
    if (!doc.is_array()) {
        fields::fail(origin, "not a JSON array of device records");
    }
    std::vector<DeviceRecord> out;
    std::set<seuicc::NodeId> seen;
    for (std::size_t i = 0; i < doc.size(); ++i) {
        DeviceRecord r = recordOf(doc[i], origin + " record " + std::to_string(i + 1));
        if (!seen.insert(r.nodeId).second) {
            fields::fail(origin, "node " + base::toLowerHex(r.nodeId) + " has two records");
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<DeviceRecord> readDeviceRecords(const std::filesystem::path& path) {
    const base::SecretBuffer content = securechannel::readSecretFile(path, kMaxFileBytes);
    return parseDeviceRecords(content.view(), "device records '" + path.string() + "'");
}

void writeDeviceRecords(const std::filesystem::path& path,
                        const std::vector<DeviceRecord>& records) {
    std::string text;
    text.reserve(512 * (records.size() + 1));  // no reallocation leaves an unwiped copy behind
    const base::ScopeExit wipe([&text] {
        base::secureWipe({reinterpret_cast<std::uint8_t*>(text.data()), text.size()});
    });
    text += "[";
    for (std::size_t i = 0; i < records.size(); ++i) {
        const DeviceRecord& r = records[i];
        const auto expiry =
            std::chrono::duration_cast<std::chrono::seconds>(r.kmrExpiry.time_since_epoch())
                .count();
        text += std::string(i == 0 ? "" : ",") + "\n{\n  \"node_id\": \"" +
                base::toLowerHex(r.nodeId) + "\",\n  \"kmr_index\": " + std::to_string(r.kmrIndex) +
                ",\n  \"kmr_expiry_unix\": " + std::to_string(expiry);
        fields::appendKey(text, "kmr", r.kmr);
        if (r.ivAttestationPublicKey) {
            text += ",\n  \"iv_attestation_public_key\": " + Json(*r.ivAttestationPublicKey).dump();
        }
        text += ",\n  \"scl_id\": " + Json(r.sclId).dump();
        if (r.software) {
            text += ",\n  \"software\": true";
        }
        text += "\n}";
    }
    text += "\n]\n";
    const std::filesystem::path fresh = path.string() + ".new";
    std::filesystem::remove(fresh);  // left by a run cut short before its rename
    securechannel::writeSecretFile(fresh, base::asBytes(text));
    std::filesystem::rename(fresh, path);
}

DeviceRecord deviceRecordOf(const KeyExport& exported, std::string sclId, bool software) {
    // A software device's own record (m2m soft-device create) says so and names its SCL-ID.
    software = software || exported.software;
    if (sclId.empty() && exported.sclId) {
        sclId = *exported.sclId;
    }
    DeviceRecord r;
    r.nodeId = exported.nodeId;
    r.kmrIndex = exported.kmrIndex;
    r.kmrExpiry = exported.kmrExpiry;
    r.kmr = base::SecretBuffer::copyOf(exported.kmr.view());
    if (!software) {
        r.ivAttestationPublicKey = exported.ivAttestationPublicKey;
    }
    r.sclId = sclId.empty() ? "m2m:scl/" + base::toLowerHex(exported.nodeId) : std::move(sclId);
    r.software = software;
    return r;
}

}  // namespace provisioning
