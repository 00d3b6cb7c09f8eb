#include "securechannel/tls/memory_keys.hpp"

#include <algorithm>
#include <string>

#include "securechannel/crypto.hpp"
#include "seuicc/m2m_sed_client.hpp"

namespace securechannel::tls {

namespace {

// M2M-SED.md §4: the card's key slots, its master secret and its exported keys.
constexpr std::size_t kKeySize = 32;
constexpr std::size_t kMasterSecretSize = seuicc::M2mSedClient::kMasterSecretSize;

constexpr const char* kComputeMasterSecret = "COMPUTE MASTER SECRET (key in memory)";
constexpr const char* kDeriveExportedKey = "DERIVE EXPORTED KEY (key in memory)";
constexpr const char* kActivateKey = "ACTIVATE KEY (key in memory)";
constexpr std::uint16_t kSwConditionsNotSatisfied = 0x6985;
constexpr std::uint16_t kSwReferencedDataNotFound = 0x6A88;

void requireSize(ByteView value, std::size_t size, const char* what) {
    if (value.size() != size) {
        throw seuicc::SedInvalidArgument(std::string(what) + ": " + std::to_string(value.size()) +
                                         " bytes, " + std::to_string(size) + " expected");
    }
}

}  // namespace

InMemoryKeyOperations::InMemoryKeyOperations(std::map<seuicc::KeySlot, SecretBuffer> keys)
    : keys_(std::move(keys)) {
    for (const auto& [slot, key] : keys_) {
        requireSize(key.view(), kKeySize, "a key slot of the M2M-SED");
    }
}

InMemoryKeyOperations::InMemoryKeyOperations(seuicc::KeySlot slot, SecretBuffer key)
    : InMemoryKeyOperations([&] {
          std::map<seuicc::KeySlot, SecretBuffer> keys;
          keys.emplace(slot, std::move(key));
          return keys;
      }()) {}

SecretBuffer InMemoryKeyOperations::computeMasterSecret(seuicc::KeySlot slot,
                                                        seuicc::MasterSecretMode mode,
                                                        ByteView seed) {
    seuicc::M2mSedClient::checkMasterSecretSeed(mode, seed);
    const bool extended = mode == seuicc::MasterSecretMode::Extended;
    const auto key = keys_.find(slot);
    if (key == keys_.end()) {
        throw seuicc::SedKeyMissing(kSwReferencedDataNotFound, kComputeMasterSecret);
    }
    const SecretBuffer premaster = tlsPskPremaster(key->second.view());
    lastMaster_ = tls12Prf(premaster.view(), extended ? "extended master secret" : "master secret",
                           seed, kMasterSecretSize);
    lastMasterSlot_ = slot;
    return SecretBuffer::copyOf(lastMaster_.view());
}

seuicc::KeyCheckValue InMemoryKeyOperations::deriveExportedKey(seuicc::ExportTarget target,
                                                               ByteView clientRandom,
                                                               ByteView serverRandom) {
    seuicc::M2mSedClient::checkRandoms(clientRandom, serverRandom);
    const bool bootstrap = target == seuicc::ExportTarget::Kmr;
    // Kmr comes from a master secret made with Kbs (bootstrap), Kmc from one made with Kmr.
    const seuicc::KeySlot source = bootstrap ? seuicc::KeySlot::Kbs : seuicc::KeySlot::Kmr;
    if (lastMasterSlot_ != source) {
        throw seuicc::SedNoMasterSecret(kSwConditionsNotSatisfied, kDeriveExportedKey);
    }
    pending_ = SecretBuffer();  // as the card: the old pending key is gone even if this fails
    pendingTarget_.reset();
    pending_ =
        tls12Prf(lastMaster_.view(), bootstrap ? kBootstrapExporterLabel : kConnectionExporterLabel,
                 base::concat({clientRandom, serverRandom}), kKeySize);
    pendingTarget_ = target;
    const Bytes kcv = keyCheckValue(pending_.view());
    seuicc::KeyCheckValue result{};
    std::copy_n(kcv.begin(), result.size(), result.begin());
    return result;
}

void InMemoryKeyOperations::activatePending(seuicc::ExportTarget target) {
    if (pendingTarget_ != target || pending_.empty()) {
        throw seuicc::SedNoPendingKey(kSwConditionsNotSatisfied, kActivateKey);
    }
    const seuicc::KeySlot slot =
        target == seuicc::ExportTarget::Kmr ? seuicc::KeySlot::Kmr : seuicc::KeySlot::Kmc;
    keys_.insert_or_assign(slot, std::move(pending_));
    pending_ = SecretBuffer();
    pendingTarget_.reset();
    if (lastMasterSlot_ == slot) {
        // A master secret of the old key must not feed an exporter for the new one.
        lastMaster_ = SecretBuffer();
        lastMasterSlot_.reset();
    }
}

}  // namespace securechannel::tls
