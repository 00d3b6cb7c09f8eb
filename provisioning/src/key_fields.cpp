#include "key_fields.hpp"

#include "base/bytes.hpp"
#include "base/unix_time.hpp"
#include "provisioning/key_export.hpp"

namespace provisioning::fields {

namespace {

// The card keeps expiries as unsigned Unix seconds; a time point holds them up to 2262-04-11.
constexpr std::int64_t kMaxExpiryUnix = base::kMaxUnixSeconds;
// A P-256 SubjectPublicKeyInfo in PEM is 178 bytes.
constexpr std::size_t kMaxPemBytes = 1024;

using Json = nlohmann::json;

bool expiryInRange(const Json& value) {
    if (value.is_number_unsigned()) {
        return value.get<std::uint64_t>() <= static_cast<std::uint64_t>(kMaxExpiryUnix);
    }
    return value.is_number_integer() && value.get<std::int64_t>() >= 0 &&
           value.get<std::int64_t>() <= kMaxExpiryUnix;
}

}  // namespace

void fail(const std::string& origin, const std::string& problem) {
    throw KeyExportError(origin + ": " + problem);
}

void wipeStrings(Json& doc) {
    if (auto* text = doc.get_ptr<std::string*>()) {
        base::secureWipe({reinterpret_cast<std::uint8_t*>(text->data()), text->size()});
        return;
    }
    if (doc.is_structured()) {
        for (auto& item : doc) {
            wipeStrings(item);
        }
    }
}

std::optional<base::SecretBuffer> key(const Json& doc, const char* name, std::size_t bytes,
                                      bool required, const std::string& origin) {
    if (!doc.contains(name)) {
        if (required) {
            fail(origin, std::string("'") + name + "' is missing");
        }
        return std::nullopt;
    }
    const auto* text = doc[name].get_ptr<const std::string*>();
    if (text == nullptr || text->size() != 2 * bytes) {
        fail(origin,
             std::string("'") + name + "' is not " + std::to_string(bytes) + " bytes of hex");
    }
    base::SecretBuffer value(bytes);
    try {
        base::decodeHex(*text, value.mutableView());
    } catch (const base::HexError&) {
        fail(origin, std::string("'") + name + "' is not hex");
    }
    return value;
}

seuicc::NodeId nodeId(const Json& doc, const std::string& origin) {
    seuicc::NodeId id{};
    const auto* node =
        doc.contains("node_id") ? doc["node_id"].get_ptr<const std::string*>() : nullptr;
    if (node == nullptr || node->size() != 2 * id.size()) {
        fail(origin, "'node_id' is missing or not 16 bytes of hex");
    }
    try {
        base::decodeHex(*node, id);
    } catch (const base::HexError&) {
        fail(origin, "'node_id' is not hex");
    }
    return id;
}

std::uint32_t kmrIndex(const Json& doc, const std::string& origin) {
    if (!doc.contains("kmr_index") || !doc["kmr_index"].is_number_unsigned() ||
        doc["kmr_index"].get<std::uint64_t>() > UINT32_MAX) {
        fail(origin, "'kmr_index' is missing or not a uint32");
    }
    return doc["kmr_index"].get<std::uint32_t>();
}

std::chrono::system_clock::time_point kmrExpiry(const Json& doc, const std::string& origin) {
    if (!doc.contains("kmr_expiry_unix") || !expiryInRange(doc["kmr_expiry_unix"])) {
        fail(origin, "'kmr_expiry_unix' is missing or not Unix seconds up to 2262-04-11");
    }
    return *base::timeFromUnixSeconds(doc["kmr_expiry_unix"].get<std::int64_t>());
}

std::optional<std::string> attestationKey(const Json& doc, const std::string& origin) {
    if (!doc.contains("iv_attestation_public_key")) {
        return std::nullopt;
    }
    const auto* pem = doc["iv_attestation_public_key"].get_ptr<const std::string*>();
    constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----\n";
    constexpr std::string_view kEnd = "-----END PUBLIC KEY-----\n";
    if (pem == nullptr || pem->size() > kMaxPemBytes || !pem->starts_with(kBegin) ||
        !pem->ends_with(kEnd)) {
        fail(origin, "'iv_attestation_public_key' is not a PEM public key");
    }
    return *pem;
}

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

}  // namespace provisioning::fields
