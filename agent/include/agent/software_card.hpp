// The card of a device without a UICC (agent/GATEWAY.md §5): a CardPort that computes in this
// process, with its keys in locked memory, what the M2M-SED computes — the TLS 1.2 master secret
// for Kmr or Kmc, the exporter "EXPORTER-ETSI-TC-M2M-Connection" into a pending Kmc, ACTIVATE KEY
// (securechannel::tls::InMemoryKeyOperations does the crypto, with the card's rules and errors).
//
// NO SECURED ENVIRONMENT: Kmr and Kmc live in the agent's memory, which is what a card is there to
// prevent (security-profile.md §1). For devices behind a gateway that have no card; never for a
// gateway. It has no Kbs (no bootstrap), no GBA, no IV-SED (no integrity validation) and no
// secure channel; asking for one of them is a NotOnSoftwareCard.
//
// Its key file (`[card] key_file`) is a software device's record in the key export format
// (provisioning/key_export.hpp, `"software": true`; `m2m soft-device create` writes one): Node-ID,
// SCL-ID, Kmr with its index and expiry; 0600 or 0400, refused otherwise. Kmc is never written.
#pragma once

#include <filesystem>
#include <memory>

#include "agent/card_port.hpp"
#include "securechannel/errors.hpp"
#include "securechannel/tls/memory_keys.hpp"

namespace agent {

// What every status and log line says of a software card (GATEWAY.md §5).
inline constexpr const char* kSoftwareCardWarning =
    "no secured environment: keys in process memory";

// The key file is not a software device's record (a card's export, say). Never names a key.
class SoftwareCardError : public securechannel::Error {
public:
    using securechannel::Error::Error;
};
// Something only a card has: the IV-SED, GBA (the USIM), a Kbs.
class NotOnSoftwareCard : public SoftwareCardError {
public:
    using SoftwareCardError::SoftwareCardError;
};

class SoftwareCard final : public CardPort {
public:
    // Reads the key file (KeyExportError / KeyFileError on a bad one; SoftwareCardError if it is
    // not a software record) and hardens the process (no core dumps, no ptrace).
    explicit SoftwareCard(const std::filesystem::path& keyFile);
    ~SoftwareCard() override;

    // The status synthesised from the key file, kept in step with every activation.
    const seuicc::SedStatus& open() override { return status_; }
    void run(const std::function<void(provisioning::CardOperations&)>& procedure) override;
    // Throws NotOnSoftwareCard: a software card has no IV-SED.
    void runWithIvSed(
        const std::function<void(provisioning::CardOperations&, IvSedPort&)>& procedure) override;
    [[nodiscard]] const seuicc::SedStatus& status() const override { return status_; }
    // kind "software", no reader, no ICCID, no secure channel (masterSa "none: software card").
    [[nodiscard]] CardPathInfo info() const override;
    void close() noexcept override {}

private:
    class Operations;

    std::unique_ptr<securechannel::tls::InMemoryKeyOperations> keys_;
    seuicc::SedStatus status_;
};

}  // namespace agent
