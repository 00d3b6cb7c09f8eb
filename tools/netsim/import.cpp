// `m2m-netsim import`: the network side learns a node from the key export of
// `m2m provision --export-keys` (a 0600 file). Kmsa is the terminal's and is not kept.
#include <openssl/crypto.h>

#include <iostream>

#include "base/bytes.hpp"
#include "commands.hpp"
#include "securechannel/key_file.hpp"

namespace netsim {

namespace {

constexpr std::size_t kMaxExportBytes = 16 * 1024;

class ImportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Decodes one hex key of the document and wipes its text there, whatever happens.
std::optional<base::SecretBuffer> takeKey(nlohmann::json& doc, const char* name, std::size_t bytes,
                                          bool required) {
    if (!doc.contains(name)) {
        if (required) {
            throw ImportError(std::string("'") + name + "' is missing");
        }
        return std::nullopt;
    }
    auto* text = doc[name].get_ptr<std::string*>();
    if (text == nullptr) {
        throw ImportError(std::string("'") + name + "' is not a string");
    }
    base::SecretBuffer key(bytes);
    bool ok = text->size() == 2 * bytes;
    if (ok) {
        try {
            base::decodeHex(*text, key.mutableView());  // straight into locked memory
        } catch (const base::HexError&) {
            ok = false;
        }
    }
    OPENSSL_cleanse(text->data(), text->size());
    if (!ok) {
        throw ImportError(std::string("'") + name + "' is not " + std::to_string(bytes) +
                          " bytes of hex");
    }
    return key;
}

void wipeStrings(nlohmann::json& doc) {
    for (auto& [name, value] : doc.items()) {
        if (auto* text = value.get_ptr<std::string*>()) {
            OPENSSL_cleanse(text->data(), text->size());
        }
    }
}

ImportRecord parseExport(const base::SecretBuffer& content, const ImportOptions& o) {
    nlohmann::json doc = nlohmann::json::parse(content.data(), content.data() + content.size(),
                                               nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) {
        throw ImportError("not a JSON object");
    }
    try {
        ImportRecord r;
        r.node.iccid = doc.value("iccid", "");
        const base::Bytes id = base::fromHex(doc.value("node_id", ""));
        if (id.size() != 16) {
            throw ImportError("node_id is not 16 bytes of hex");
        }
        seuicc::NodeId nodeId{};
        std::copy(id.begin(), id.end(), nodeId.begin());
        r.node.nodeId = nodeHex(nodeId);
        if (!doc.contains("kmr_index") || !doc["kmr_index"].is_number_unsigned() ||
            doc["kmr_index"].get<std::uint64_t>() > 0xFFFFFFFFULL) {
            throw ImportError("kmr_index is missing or not a uint32");
        }
        r.node.kmrIndex = doc["kmr_index"].get<std::uint32_t>();
        if (!doc.contains("kmr_expiry_unix") || !doc["kmr_expiry_unix"].is_number_integer()) {
            throw ImportError("kmr_expiry_unix is missing");
        }
        r.node.kmrExpiry = doc["kmr_expiry_unix"].get<Seconds>();
        r.kmr = takeKey(doc, "kmr", 32, true);
        static_cast<void>(takeKey(doc, "kmsa", 16, false));  // wiped, not kept
        r.kbs = takeKey(doc, "kbs", 32, false);
        r.kiv = takeKey(doc, "kiv", 32, false);
        if (o.withoutKmr) {
            r.kmr.reset();
            if (!r.kbs) {
                throw ImportError("--without-kmr needs a Kbs in the export (TLS bootstrap)");
            }
        }
        r.node.sclId = o.sclId;
        r.node.nscl = o.nscl;
        r.node.masFqdn = o.masFqdn;
        wipeStrings(doc);
        return r;
    } catch (...) {
        wipeStrings(doc);
        throw;
    }
}

}  // namespace

int runImport(const ImportOptions& options) {
    try {
        const base::SecretBuffer content =
            securechannel::readSecretFile(options.keys, kMaxExportBytes);
        ImportRecord record;
        try {
            record = parseExport(content, options);
        } catch (const std::exception& e) {
            throw ImportError("key export '" + options.keys.string() + "': " + e.what());
        }
        Store store(options.db);
        store.importNode(record);
        std::cout << "imported node " << record.node.nodeId << " (ICCID " << record.node.iccid
                  << ", KmrIndex " << record.node.kmrIndex
                  << (record.kmr ? "" : ", no Kmr: TLS bootstrap with Kbs required")
                  << (record.kbs ? ", Kbs" : "") << ")\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "m2m-netsim import: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace netsim
