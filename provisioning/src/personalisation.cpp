#include "provisioning/personalisation.hpp"

#include "provisioning/key_export.hpp"

#include "provisioning/param_sets.hpp"

#include <openssl/crypto.h>

#include <chrono>

#include "base/log.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/key_file.hpp"
#include "securechannel/milenage.hpp"
#include "seuicc/uicc.hpp"
#include "seuicc/usim_client.hpp"

namespace provisioning {

namespace {

using base::Bytes;
using base::ByteView;
using base::SecretBuffer;
using Clock = std::chrono::system_clock;

// Everything the card will hold, resolved from the profile or from an earlier run's export.
using Material = KeyExport;

SecretBuffer resolveKey(const KeySpec& spec, std::size_t bytes) {
    return spec.value ? SecretBuffer::copyOf(spec.value->view())
                      : securechannel::randomSecret(bytes);
}

// An earlier run's export for this card: its keys are the ones to (re)write.
std::optional<Material> loadExport(const std::filesystem::path& path, const std::string& iccid) {
    if (!std::filesystem::exists(std::filesystem::symlink_status(path))) {
        return std::nullopt;
    }
    Material m = readKeyExport(path);
    if (m.iccid != iccid) {
        throw ProvisioningError("key export '" + path.string() + "' belongs to the card " +
                                m.iccid + ", not to " + iccid +
                                ": choose a new path for each card");
    }
    return m;
}

// The test network's IMSI: MCC 001, MNC 01 (TS 23.003 test PLMN), then 10 random digits.
std::string generatedImsi() {
    const Bytes r = securechannel::randomBytes(10);
    std::string imsi = "00101";
    for (const std::uint8_t b : r) {
        imsi.push_back(static_cast<char>('0' + b % 10));
    }
    return imsi;
}

void resolveUsim(const UsimSpec& spec, Material& m) {
    m.imsi = spec.imsi ? *spec.imsi : generatedImsi();
    m.usimK = resolveKey(spec.k, 16);
    SecretBuffer opc = resolveKey(spec.opc, 16);
    if (spec.fromOp) {
        // The AuC and the card both need OPc; OP stays here.
        opc = securechannel::milenage::opcFromOp(m.usimK->view(), opc.view());
    }
    m.usimOpc = std::move(opc);
}

// The terminal's copy of a TS 102 484 key: an existing file wins (an interrupted run wrote it).
void terminalKeyFile(const std::filesystem::path& path, std::string_view name, SecretBuffer& key,
                     bool fromExport) {
    if (std::filesystem::exists(std::filesystem::symlink_status(path))) {
        SecretBuffer existing = securechannel::loadKeyFile(path, 16);
        if (fromExport && !existing.equals(key)) {
            throw ProvisioningError("the " + std::string(name) + " file '" + path.string() +
                                    "' does not match the key export for this card");
        }
        key = std::move(existing);
    } else {
        securechannel::writeKeyFile(path, key.view());
    }
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
        m.iccid = iccid;
        m.kmrIndex = profile.kmrIndex;
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
        if (profile.usim) {
            resolveUsim(*profile.usim, m);
        }
    }
    if (profile.ivSed && !m.kmsaIv) {
        if (earlier) {
            throw ProvisioningError(
                "the key export for this card has no Kmsa_iv, but the profile has an [iv_sed] "
                "section: choose a new export path");
        }
        m.kmsaIv = resolveKey(profile.ivSed->kmsaIv, 16);
    }
    if (profile.usim && !m.imsi) {
        throw ProvisioningError(
            "the key export for this card has no USIM subscription, but the "
            "profile has a [usim] section: choose a new export path");
    }

    terminalKeyFile(options.kmsaFile, "Kmsa", m.kmsa, earlier.has_value());
    if (profile.ivSed) {
        if (!options.kmsaIvFile) {
            throw ProvisioningError(
                "the profile has an [iv_sed] section: give the terminal's Kmsa_iv file too");
        }
        terminalKeyFile(*options.kmsaIvFile, "Kmsa_iv", *m.kmsaIv, earlier.has_value());
    }
    if (options.exportKeysFile && !earlier) {
        writeKeyExport(*options.exportKeysFile, m);
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

// The USIM on the basic channel. A locked USIM cannot be checked key by key (it has no KCV):
// it is accepted when its IMSI is the recorded one, refused otherwise.
void personaliseUsim(const seuicc::Transaction& tx, seuicc::CardChannel& basic,
                     const SimProfile& profile, const Material& m, bool lock,
                     const std::string& iccid) {
    seuicc::UsimClient usim(basic);
    usim.select(tx);
    const seuicc::UsimStatus before = usim.status(tx);
    if (before.lifecycle == seuicc::UsimStatus::Lifecycle::Locked) {
        if (usim.readImsi(tx) != *m.imsi) {
            throw ProvisioningError("the card " + iccid +
                                    "'s USIM is already locked with another IMSI; a locked USIM "
                                    "cannot be personalised again");
        }
        return;
    }
    usim.verifyAdmin(tx, profile.adminCode.view());
    seuicc::UsimPersonalisation items;
    items.imsi = *m.imsi;
    items.k = SecretBuffer::copyOf(m.usimK->view());
    items.opc = SecretBuffer::copyOf(m.usimOpc->view());
    items.sqn = profile.usim->sqn;
    usim.personalise(tx, items);
    if (lock) {
        usim.lock(tx);
    }
    if (usim.readImsi(tx) != *m.imsi) {
        throw ProvisioningError("the USIM's EF_IMSI differs from the IMSI written");
    }
    base::log::kProvisioning->info("card {}: USIM personalised{}", iccid,
                                   lock ? " and locked" : "");
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
    if (imsi) {
        j["imsi"] = *imsi;  // an identity; the USIM's keys are never in the record
    }
    if (ivSed) {
        j["iv_sed"] = ivSedStatusJson(ivSed->status);
        j["iv_sed"]["manifest_installed"] = ivSed->manifestInstalled;
        j["iv_attestation_public_key"] = ivSed->attestationPublicKeyPem;
    }
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
    Material m = resolveMaterial(profile, options, info.iccid);

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
    if (profile.usim) {
        personaliseUsim(tx, basic, profile, m, options.lock, info.iccid);
        result.imsi = m.imsi;
    }
    if (profile.ivSed) {
        result.ivSed = personaliseIvSed(tx, basic, profile, m.nodeId, m.kmsaIv->view(),
                                        *options.kmsaIvFile, options.lock);
        result.counters += result.ivSed->counters;
        // The attestation key exists only now: the network's record gains it.
        if (options.exportKeysFile &&
            m.ivAttestationPublicKey != result.ivSed->attestationPublicKeyPem) {
            m.ivAttestationPublicKey = result.ivSed->attestationPublicKeyPem;
            replaceKeyExport(*options.exportKeysFile, m);
        }
    }
    result.counters += basic.counters();
    result.counters += channel.counters();
    result.elapsedMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace provisioning
