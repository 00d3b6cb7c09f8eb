#include "agent/software_card.hpp"

#include <algorithm>
#include <map>

#include "base/log.hpp"
#include "base/process.hpp"
#include "provisioning/key_export.hpp"
#include "securechannel/crypto.hpp"

namespace agent {

namespace {

seuicc::KeyCheckValue kcvOf(base::ByteView key) {
    const base::Bytes kcv = securechannel::keyCheckValue(key);
    seuicc::KeyCheckValue result{};
    std::copy_n(kcv.begin(), result.size(), result.begin());
    return result;
}

}  // namespace

// The card's operational commands computed here; ACTIVATE KEY also keeps the synthesised public
// data in step, as CardSession does with the card's.
class SoftwareCard::Operations final : public provisioning::CardOperations {
public:
    explicit Operations(SoftwareCard& owner) : owner_(owner) {}

    base::SecretBuffer computeMasterSecret(seuicc::KeySlot slot, seuicc::MasterSecretMode mode,
                                           base::ByteView seed) override {
        return owner_.keys_->computeMasterSecret(slot, mode, seed);
    }

    seuicc::KeyCheckValue deriveExportedKey(seuicc::ExportTarget target,
                                            base::ByteView clientRandom,
                                            base::ByteView serverRandom) override {
        return owner_.keys_->deriveExportedKey(target, clientRandom, serverRandom);
    }

    void activateKey(seuicc::ExportTarget target, std::uint32_t index,
                     std::chrono::system_clock::time_point expiry,
                     std::optional<std::uint64_t> connectionId) override {
        // The card client's argument rule (M2mSedClient::activateKey), before any change.
        if ((target == seuicc::ExportTarget::Kmc) != connectionId.has_value()) {
            throw seuicc::SedInvalidArgument(target == seuicc::ExportTarget::Kmc
                                                 ? "ACTIVATE KEY Kmc needs a ConnectionId"
                                                 : "ACTIVATE KEY Kmr takes no ConnectionId");
        }
        const std::optional<seuicc::KeyCheckValue> kcv =
            owner_.keys_->pendingKey().empty() ? std::nullopt
                                               : std::optional(kcvOf(owner_.keys_->pendingKey()));
        owner_.keys_->activatePending(target);
        seuicc::SedStatus& s = owner_.status_;
        const auto seconds = std::chrono::floor<std::chrono::seconds>(expiry);
        if (target == seuicc::ExportTarget::Kmr) {
            s.kmrIndex = index;
            s.kmrExpiry = seconds;
            s.kcv.kmr = kcv;
        } else {
            s.kmcIndex = index;
            s.kmcExpiry = seconds;
            s.connectionId = connectionId;
            s.kcv.kmc = kcv;
        }
    }

    provisioning::AkaAnswer authenticateGbaBootstrap(const provisioning::AkaChallenge&) override {
        throw NotOnSoftwareCard("GBA AUTHENTICATE: a software card has no USIM");
    }
    std::string readImsi() override {
        throw NotOnSoftwareCard("EF_IMSI: a software card has no USIM");
    }
    seuicc::M2mSedClient::GbaKey setKeyFromGba(seuicc::ExportTarget, base::ByteView,
                                               std::string_view) override {
        throw NotOnSoftwareCard("SET KEY FROM GBA: a software card has no USIM");
    }
    void writeGbaBootstrap(const seuicc::GbaBootstrapParams&) override {
        throw NotOnSoftwareCard("EF_GBABP: a software card has no USIM");
    }

private:
    SoftwareCard& owner_;
};

SoftwareCard::SoftwareCard(const std::filesystem::path& keyFile) {
    base::hardenProcess();
    provisioning::KeyExport record = provisioning::readKeyExport(keyFile);
    if (!record.software) {
        // A card's export: its Kmr belongs in the card, not in this process.
        throw SoftwareCardError("key file '" + keyFile.string() +
                                "' is a card's key export, not a software device's record "
                                "(\"software\": true; m2m soft-device create)");
    }
    status_.lifecycle = seuicc::SedLifecycle::Locked;
    status_.nodeId = record.nodeId;
    status_.sclId = record.sclId;
    status_.kmrIndex = record.kmrIndex;
    status_.kmrExpiry = record.kmrExpiry;
    status_.kcv.kmr = kcvOf(record.kmr.view());
    keys_ = std::make_unique<securechannel::tls::InMemoryKeyOperations>(seuicc::KeySlot::Kmr,
                                                                        std::move(record.kmr));
    base::log::kAgent->warn("card: software (no secured environment): Kmr from '{}'; {}",
                            keyFile.string(), kSoftwareCardWarning);
}

SoftwareCard::~SoftwareCard() = default;

void SoftwareCard::run(const std::function<void(provisioning::CardOperations&)>& procedure) {
    Operations operations(*this);
    procedure(operations);
}

void SoftwareCard::runWithIvSed(
    const std::function<void(provisioning::CardOperations&, IvSedPort&)>& procedure) {
    static_cast<void>(procedure);
    throw NotOnSoftwareCard(
        "a software card has no IV-SED: integrity validation needs a UICC ([integrity] enabled "
        "must be false with [card] kind = \"software\")");
}

CardPathInfo SoftwareCard::info() const {
    CardPathInfo i;
    i.kind = CardKind::Software;
    i.masterSa = "none: software card";
    return i;
}

}  // namespace agent
