// An IV-SED on an emulated card (slot 1), personalised by the test through IvSedClient with keys
// it knows, and a connection that reaches it on its own logical channel (and the M2M-SED on
// another, for the isolation tests).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "emulated_card.hpp"
#include "iv_signing.hpp"
#include "securechannel/key_file.hpp"
#include "securechannel/terminal_se.hpp"
#include "sed_fixture.hpp"
#include "seuicc/iv_sed_client.hpp"
#include "seuicc/iv_sed_errors.hpp"
#include "seuicc/pcsc.hpp"
#include "seuicc/uicc.hpp"

namespace testsupport {

// The P-256 generator: a valid public point (of the private key 1), for tests that verify no
// signature under it.
inline base::Bytes generatorPoint() {
    return base::fromHex(
        "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
        "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5");
}

struct IvSedKeys {
    base::Bytes nodeId = base::fromHex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
    base::Bytes kmsaIv = base::fromHex("606162636465666768696A6B6C6D6E6F");
    base::Bytes referencePoint = generatorPoint();
    base::Bytes policyPoint = generatorPoint();
    base::Bytes adminCode = base::fromHex("3132333435363738");
};

// One PC/SC connection inside one transaction, the IV-SED selected on its own logical channel.
struct IvConnection : ChannelConnection {
    explicit IvConnection(const std::string& reader) : ChannelConnection(reader), iv(channel) {
        iv.select(tx);
    }
    // The M2M-SED on a further logical channel of the same connection.
    seuicc::M2mSedClient& sed() {
        if (!sedChannel) {
            sedChannel.emplace(seuicc::CardChannel::open(tx, basic));
            sedClient.emplace(*sedChannel);
            sedClient->select(tx);
        }
        return *sedClient;
    }
    seuicc::IvSedClient iv;
    std::optional<seuicc::CardChannel> sedChannel;
    std::optional<seuicc::M2mSedClient> sedClient;
};

// Personalises the IV-SED (VERIFY ADMIN, STORE DATA, GENERATE ATTESTATION KEY, COMMIT); returns
// the attestation point the card generated.
inline base::Bytes personaliseIvSed(IvConnection& c, const IvSedKeys& k, bool lock = false) {
    c.iv.verifyAdmin(c.tx, k.adminCode);
    c.iv.storeData(c.tx, {.nodeId = k.nodeId,
                          .kmsaIv = k.kmsaIv,
                          .referenceKeyPoint = k.referencePoint,
                          .policyKeyPoint = k.policyPoint});
    base::Bytes point = c.iv.generateAttestationKey(c.tx);
    c.iv.commit(c.tx, lock);
    return point;
}

// An emulated card with its IV-SED, whose reference-value and policy keys are those of fresh
// test signers; with `withSed`, the M2M-SED personalised and locked too (by provisioning, as
// PersonalisedCard does).
class IvSedCard {
public:
    explicit IvSedCard(bool withSed = false) {
        keys_.referencePoint = signers_.reference.publicKey().point();
        keys_.policyPoint = signers_.policy.publicKey().point();
        if (withSed) {
            sim_.emplace(/*lock=*/true);
        } else {
            EmulatedCard::Options o;
            o.slot = 1;
            own_.emplace(o);
        }
        dir_ = runDir() / ("iv-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        securechannel::writeKeyFile(kmsaIvFile(), keys_.kmsaIv);
    }

    EmulatedCard& card() { return sim_ ? sim_->card() : *own_; }
    PersonalisedCard& sed() { return *sim_; }
    const IvSedKeys& keys() const { return keys_; }
    const IvSigners& signers() const { return signers_; }
    // A manifest of `objects` objects signed by the personalised reference-value key.
    base::Bytes manifest(std::uint32_t version, std::size_t objects = 4) const {
        return signManifest(signers_.reference, testManifest(version, objects),
                            signers_.referenceCertificate);
    }
    std::filesystem::path kmsaIvFile() const { return dir_ / "kmsa-iv.key"; }

    std::unique_ptr<IvConnection> connect() {
        return std::make_unique<IvConnection>(card().readerName());
    }

    // Personalises the IV-SED on a connection of its own; the attestation point.
    base::Bytes personalise(bool lock = false) {
        auto c = connect();
        return personaliseIvSed(*c, keys_, lock);
    }

    securechannel::TerminalSecuredEnvironment terminal() const {
        securechannel::TerminalSecuredEnvironment::Options o;
        o.kmsaKeyFile = kmsaIvFile();
        return securechannel::TerminalSecuredEnvironment(std::move(o));
    }

private:
    static int& counter() {
        static int n = 0;
        return n;
    }

    IvSigners signers_;
    IvSedKeys keys_;
    std::optional<PersonalisedCard> sim_;
    std::optional<EmulatedCard> own_;
    std::filesystem::path dir_;
};

}  // namespace testsupport
