#include "provisioning/personalisation.hpp"

#include "provisioning/param_sets.hpp"

#include <openssl/crypto.h>

#include <chrono>

#include "base/log.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/key_file.hpp"
#include "seuicc/uicc.hpp"

namespace provisioning {

namespace {

using base::Bytes;
using base::ByteView;
using base::SecretBuffer;
using Clock = std::chrono::system_clock;

constexpr std::size_t kMaxExportFileBytes = 8 * 1024;

// Everything the card will hold, resolved from the profile or from an earlier run's files.
struct Material {
    seuicc::NodeId nodeId{};
    SecretBuffer kmr;
    SecretBuffer kmsa;
    std::optional<SecretBuffer> kbs;
    std::optional<SecretBuffer> kiv;
    Clock::time_point kmrExpiry;
};

SecretBuffer resolveKey(const KeySpec& spec, std::size_t bytes) {
    return spec.value ? SecretBuffer::copyOf(spec.value->view())
                      : securechannel::randomSecret(bytes);
}

// Decodes a hex key out of the parsed export document and wipes the text it came from.
SecretBuffer takeHexSecret(nlohmann::json& doc, const char* name, std::size_t bytes,
                           const std::filesystem::path& path) {
    auto* text = doc.contains(name) ? doc[name].get_ptr<std::string*>() : nullptr;
    if (text == nullptr || text->size() != 2 * bytes) {
        throw ProvisioningError("key export '" + path.string() + "': '" + name +
                                "' is missing or not " + std::to_string(bytes) + " bytes of hex");
    }
    SecretBuffer key(bytes);
    try {
        const Bytes decoded = base::fromHex(*text);
        std::copy(decoded.begin(), decoded.end(), key.data());
        OPENSSL_cleanse(const_cast<std::uint8_t*>(decoded.data()), decoded.size());
    } catch (const base::HexError&) {
        OPENSSL_cleanse(text->data(), text->size());
        throw ProvisioningError("key export '" + path.string() + "': '" + name + "' is not hex");
    }
    OPENSSL_cleanse(text->data(), text->size());
    return key;
}

// An earlier run's export for this card: its keys are the ones to (re)write.
std::optional<Material> loadExport(const std::filesystem::path& path, const std::string& iccid) {
    if (!std::filesystem::exists(std::filesystem::symlink_status(path))) {
        return std::nullopt;
    }
    const SecretBuffer content = securechannel::readSecretFile(path, kMaxExportFileBytes);
    nlohmann::json doc = nlohmann::json::parse(content.data(), content.data() + content.size(),
                                               nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) {
        throw ProvisioningError("key export '" + path.string() + "' is not a JSON object");
    }
    if (doc.value("iccid", "") != iccid) {
        throw ProvisioningError("key export '" + path.string() + "' belongs to the card " +
                                doc.value("iccid", std::string("?")) + ", not to " + iccid +
                                ": choose a new path for each card");
    }
    Material m;
    const Bytes nodeId = base::fromHex(doc.value("node_id", ""));
    if (nodeId.size() != m.nodeId.size()) {
        throw ProvisioningError("key export '" + path.string() + "': node_id is not 16 bytes");
    }
    std::copy(nodeId.begin(), nodeId.end(), m.nodeId.begin());
    m.kmr = takeHexSecret(doc, "kmr", 32, path);
    m.kmsa = takeHexSecret(doc, "kmsa", 16, path);
    if (doc.contains("kbs")) {
        m.kbs = takeHexSecret(doc, "kbs", 32, path);
    }
    if (doc.contains("kiv")) {
        m.kiv = takeHexSecret(doc, "kiv", 32, path);
    }
    m.kmrExpiry = Clock::time_point(std::chrono::seconds(doc.value("kmr_expiry_unix", 0LL)));
    return m;
}

void writeExport(const std::filesystem::path& path, const std::string& iccid, const Material& m,
                 const SimProfile& profile) {
    // Built by hand so that the key text lives in one string that is wiped after the write.
    std::string text =
        "{\n  \"iccid\": \"" + iccid + "\",\n  \"node_id\": \"" + base::toHex(m.nodeId) +
        "\",\n  \"kmr_index\": " + std::to_string(profile.kmrIndex) + ",\n  \"kmr_expiry_unix\": " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(m.kmrExpiry.time_since_epoch())
                .count()) +
        ",\n  \"kmr\": \"" + base::toHex(m.kmr.view()) + "\",\n  \"kmsa\": \"" +
        base::toHex(m.kmsa.view()) + "\"";
    if (m.kbs) {
        text += ",\n  \"kbs\": \"" + base::toHex(m.kbs->view()) + "\"";
    }
    if (m.kiv) {
        text += ",\n  \"kiv\": \"" + base::toHex(m.kiv->view()) + "\"";
    }
    text += "\n}\n";
    try {
        securechannel::writeSecretFile(
            path, ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    } catch (...) {
        OPENSSL_cleanse(text.data(), text.size());
        throw;
    }
    OPENSSL_cleanse(text.data(), text.size());
}

Material resolveMaterial(const SimProfile& profile, const PersonaliseOptions& options,
                         const std::string& iccid) {
    std::optional<Material> earlier;
    if (options.exportKeysFile) {
        earlier = loadExport(*options.exportKeysFile, iccid);
    }
    Material m;
    if (earlier) {
        m = std::move(*earlier);
    } else {
        if (profile.nodeId) {
            std::copy(profile.nodeId->begin(), profile.nodeId->end(), m.nodeId.begin());
        } else {
            const Bytes id = securechannel::randomBytes(m.nodeId.size());
            std::copy(id.begin(), id.end(), m.nodeId.begin());
        }
        m.kmr = resolveKey(profile.kmr, 32);
        m.kmsa = resolveKey(profile.kmsa, 16);
        if (profile.kbs) {
            m.kbs = resolveKey(*profile.kbs, 32);
        }
        if (profile.kiv) {
            m.kiv = resolveKey(*profile.kiv, 32);
        }
        m.kmrExpiry = std::chrono::floor<std::chrono::seconds>(Clock::now()) + profile.kmrLifetime;
    }

    // The terminal's copy of Kmsa: an existing file wins (an interrupted run wrote it).
    if (std::filesystem::exists(std::filesystem::symlink_status(options.kmsaFile))) {
        SecretBuffer existing = securechannel::loadKeyFile(options.kmsaFile, 16);
        if (earlier && !existing.equals(m.kmsa)) {
            throw ProvisioningError("the Kmsa file '" + options.kmsaFile.string() +
                                    "' does not match the key export for this card");
        }
        m.kmsa = std::move(existing);
    } else {
        securechannel::writeKeyFile(options.kmsaFile, m.kmsa.view());
    }
    if (options.exportKeysFile && !earlier) {
        writeExport(*options.exportKeysFile, iccid, m, profile);
    }
    return m;
}

bool kcvMatches(const std::optional<seuicc::KeyCheckValue>& card, const SecretBuffer* key) {
    if (key == nullptr) {
        return !card.has_value();
    }
    const Bytes kcv = securechannel::keyCheckValue(key->view());
    return card && std::equal(card->begin(), card->end(), kcv.begin(), kcv.end());
}

// Whether the card holds exactly `m` (by Node-ID and key check values): then the keys written
// are the ones recorded, or an earlier run already completed.
bool cardHolds(const seuicc::SedStatus& s, const Material& m) {
    return s.nodeId == m.nodeId && kcvMatches(s.kcv.kmr, &m.kmr) &&
           kcvMatches(s.kcv.kmsa, &m.kmsa) && kcvMatches(s.kcv.kbs, m.kbs ? &*m.kbs : nullptr) &&
           kcvMatches(s.kcv.kiv, m.kiv ? &*m.kiv : nullptr);
}

}  // namespace

nlohmann::ordered_json statusJson(const seuicc::SedStatus& s) {
    auto kcv = [](const std::optional<seuicc::KeyCheckValue>& v) -> nlohmann::ordered_json {
        return v ? nlohmann::ordered_json(base::toHex(*v)) : nlohmann::ordered_json(nullptr);
    };
    auto time = [](const std::optional<Clock::time_point>& t) -> nlohmann::ordered_json {
        return t ? nlohmann::ordered_json(toDateTime(*t)) : nlohmann::ordered_json(nullptr);
    };
    nlohmann::ordered_json j;
    j["lifecycle"] = std::string(seuicc::toString(s.lifecycle));
    j["node_id"] = s.nodeId ? nlohmann::ordered_json(base::toHex(*s.nodeId)) : nullptr;
    j["kmr_index"] = s.kmrIndex ? nlohmann::ordered_json(*s.kmrIndex) : nullptr;
    j["kmr_expiry"] = time(s.kmrExpiry);
    j["kmr_kcv"] = kcv(s.kcv.kmr);
    j["kmc_index"] = s.kmcIndex ? nlohmann::ordered_json(*s.kmcIndex) : nullptr;
    j["connection_id"] = s.connectionId ? nlohmann::ordered_json(*s.connectionId) : nullptr;
    j["kmc_expiry"] = time(s.kmcExpiry);
    j["kmc_kcv"] = kcv(s.kcv.kmc);
    j["kbs_kcv"] = kcv(s.kcv.kbs);
    j["kmsa_kcv"] = kcv(s.kcv.kmsa);
    j["kiv_kcv"] = kcv(s.kcv.kiv);
    j["scl_id"] = s.sclId ? nlohmann::ordered_json(*s.sclId) : nullptr;
    j["nscl"] = s.nsclList;
    j["mas_fqdn"] = s.masFqdn ? nlohmann::ordered_json(*s.masFqdn) : nullptr;
    j["admin_tries_left"] = s.adminTriesLeft ? nlohmann::ordered_json(*s.adminTriesLeft) : nullptr;
    return j;
}

nlohmann::ordered_json PersonaliseResult::record() const {
    nlohmann::ordered_json j;
    j["iccid"] = iccid;
    j["outcome"] =
        outcome == PersonaliseOutcome::Personalised ? "personalised" : "already personalised";
    j.update(statusJson(status));
    j.erase("admin_tries_left");
    return j;
}

PersonaliseResult personalise(seuicc::Transport& card, const SimProfile& profile,
                              const PersonaliseOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    auto log = base::log::kProvisioning;
    PersonaliseResult result;

    seuicc::Transaction tx(card);
    const seuicc::CardInfo info = seuicc::readCardInfo(card);
    result.iccid = info.iccid;
    result.counters += info.counters;
    const Material m = resolveMaterial(profile, options, info.iccid);

    seuicc::CardChannel basic(card);
    seuicc::CardChannel channel = seuicc::CardChannel::open(tx, basic);
    seuicc::M2mSedClient sed(channel);
    sed.select(tx);
    const seuicc::SedStatus before = sed.status(tx);

    if (before.lifecycle == seuicc::SedLifecycle::Locked) {
        if (!cardHolds(before, m)) {
            throw ProvisioningError(
                "the card " + info.iccid + " is already locked with other keys (Node-ID " +
                (before.nodeId ? base::toHex(*before.nodeId) : std::string("?")) +
                "); a locked M2M-SED cannot be personalised again");
        }
        log->info("card {} already holds this personalisation", info.iccid);
        result.outcome = PersonaliseOutcome::AlreadyPersonalised;
    } else {
        sed.verifyAdmin(tx, profile.adminCode.view());
        std::vector<seuicc::SedItem> items{
            seuicc::SedItem::nodeId(m.nodeId),
            seuicc::SedItem::kmrIndex(profile.kmrIndex),
            seuicc::SedItem::kmrExpiry(m.kmrExpiry),
            seuicc::SedItem::sclId(profile.sclId),
            seuicc::SedItem::nsclList(profile.nscl),
            seuicc::SedItem::masFqdn(profile.masFqdn),
            seuicc::SedItem::key(seuicc::SedKeySlot::Kmr, m.kmr.view()),
            seuicc::SedItem::key(seuicc::SedKeySlot::Kmsa, m.kmsa.view()),
        };
        if (m.kbs) {
            items.push_back(seuicc::SedItem::key(seuicc::SedKeySlot::Kbs, m.kbs->view()));
        }
        if (m.kiv) {
            items.push_back(seuicc::SedItem::key(seuicc::SedKeySlot::Kiv, m.kiv->view()));
        }
        sed.storeData(tx, items, /*clearFirst=*/true);
        sed.commit(tx, options.lock);
        log->info("card {} personalised{}", info.iccid, options.lock ? " and locked" : "");
    }

    result.status = sed.status(tx);
    if (!cardHolds(result.status, m)) {
        throw ProvisioningError("the card's key check values differ from the keys written");
    }
    channel.close(tx);
    result.counters += basic.counters();
    result.counters += channel.counters();
    result.elapsedMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace provisioning
