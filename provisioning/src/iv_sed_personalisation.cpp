#include "provisioning/iv_sed_personalisation.hpp"

#include "base/log.hpp"
#include "integrity/cose.hpp"
#include "provisioning/personalisation.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/terminal_se.hpp"

namespace provisioning {

namespace {

// IV-SED.md §1: the lifecycle byte.
constexpr std::uint8_t kLocked = 0x07;

bool sameBytes(const base::Bytes& card, base::ByteView expected) {
    return std::equal(card.begin(), card.end(), expected.begin(), expected.end());
}

// Whether the IV-SED holds exactly the profile's personalisation (by Node-ID, key ids and the
// KCV of Kmsa_iv) and an attestation key.
bool holds(const seuicc::IvSedStatus& s, const IvSedSpec& spec, const seuicc::NodeId& nodeId,
           base::ByteView kmsaIv) {
    return sameBytes(s.nodeId, nodeId) &&
           sameBytes(s.kmsaCheckValue, securechannel::keyCheckValue(kmsaIv)) &&
           sameBytes(s.referenceKeyId,
                     integrity::PublicKey::fromPoint(spec.referenceKeyPoint).keyId()) &&
           sameBytes(s.policyKeyId, integrity::PublicKey::fromPoint(spec.policyKeyPoint).keyId()) &&
           s.attestationPublicKey.size() == seuicc::IvSedClient::kPointSize;
}

}  // namespace

nlohmann::ordered_json ivSedStatusJson(const seuicc::IvSedStatus& s) {
    auto hexOrNull = [](const base::Bytes& b) -> nlohmann::ordered_json {
        return b.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(base::toHex(b));
    };
    nlohmann::ordered_json j;
    j["lifecycle"] = s.lifecycle == 0x01      ? "installed"
                     : s.lifecycle == 0x03    ? "personalised"
                     : s.lifecycle == kLocked ? "locked"
                                              : "unknown";
    j["node_id"] = hexOrNull(s.nodeId);
    j["manifest_version"] = s.manifestVersion;
    j["manifest_digest"] = hexOrNull(s.manifestDigest);
    j["report_counter"] = s.reportCounter;
    j["reference_key_id"] = hexOrNull(s.referenceKeyId);
    j["policy_key_id"] = hexOrNull(s.policyKeyId);
    j["kmsa_iv_kcv"] = hexOrNull(s.kmsaCheckValue);
    return j;
}

IvSedOutcome personaliseIvSed(const seuicc::Transaction& tx, seuicc::CardChannel& basic,
                              const SimProfile& profile, const seuicc::NodeId& nodeId,
                              base::ByteView kmsaIv, const std::filesystem::path& kmsaIvFile,
                              bool lock) {
    auto log = base::log::kProvisioning;
    const IvSedSpec& spec = *profile.ivSed;
    IvSedOutcome out;
    seuicc::CardChannel channel = seuicc::CardChannel::open(tx, basic);
    seuicc::IvSedClient iv(channel);
    iv.select(tx);
    const seuicc::IvSedStatus before = iv.status(tx);
    if (before.lifecycle == kLocked) {
        if (!holds(before, spec, nodeId, kmsaIv)) {
            throw ProvisioningError(
                "the card's IV-SED is already locked with other keys; a locked IV-SED cannot be "
                "personalised again");
        }
        log->info("IV-SED already holds this personalisation");
    } else {
        iv.verifyAdmin(tx, profile.adminCode.view());
        seuicc::IvSedPersonalisation items;
        items.nodeId = nodeId;
        items.kmsaIv = kmsaIv;
        items.referenceKeyPoint = spec.referenceKeyPoint;
        items.policyKeyPoint = spec.policyKeyPoint;
        iv.storeData(tx, items);
        // The key pair is made once: a re-run on a committed, unlocked IV-SED keeps the key the
        // record already carries.
        if (before.attestationPublicKey.empty()) {
            static_cast<void>(iv.generateAttestationKey(tx));
        }
        iv.commit(tx, lock);
        log->info("IV-SED personalised{}", lock ? " and locked" : "");
    }
    out.status = iv.status(tx);
    if (!holds(out.status, spec, nodeId, kmsaIv)) {
        throw ProvisioningError(
            "the IV-SED's key ids or Kmsa_iv check value differ from the "
            "personalisation written");
    }
    out.attestationPublicKeyPem =
        integrity::PublicKey::fromPoint(out.status.attestationPublicKey).pem();

    if (out.status.manifestVersion < spec.manifestVersion) {
        securechannel::TerminalSecuredEnvironment::Options o;
        o.kmsaKeyFile = kmsaIvFile;
        securechannel::TerminalSecuredEnvironment tsed(std::move(o));
        auto session = tsed.openSession(tx, channel, seuicc::IvSedClient::kAid);
        const auto installed = iv.installManifest(tx, *session, spec.manifest);
        session->terminate(tx);
        out.manifestInstalled = true;
        log->info("IV-SED: manifest version {} installed", installed.version);
        out.status = iv.status(tx);
    }
    channel.close(tx);
    out.counters = channel.counters();
    return out;
}

}  // namespace provisioning
