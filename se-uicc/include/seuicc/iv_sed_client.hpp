// The typed client of the Integrity Validation Secured Environment Domain
// (se-uicc/applet/IV-SED.md).
//
//   public data      select(), status()                         in clear, any lifecycle
//   personalisation  verifyAdmin(), storeData(), generateAttestationKey(), commit(), lock()
//                                                               in clear, before LOCK
//   operational      installManifest(), compare(), signReport(), verifyDecision()
//                                                               ONLY through the IV-SED's own
//                                                               SecureTunnel
//
// Status words become the typed errors of iv_sed_errors.hpp. The client knows nothing of CBOR: it
// moves the bytes of manifests, reports and decisions (integrity/FORMATS.md), the card checks them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "seuicc/card_channel.hpp"
#include "seuicc/secure_tunnel.hpp"
#include "seuicc/types.hpp"

namespace seuicc {

// GET DATA of the IV-SED (IV-SED.md §2); absent fields are empty/nullopt.
struct IvSedStatus {
    std::uint8_t lifecycle = 0;
    std::optional<std::uint8_t> adminTriesLeft;
    Bytes nodeId;  // 16
    std::uint32_t manifestVersion = 0;
    std::uint32_t reportCounter = 0;
    Bytes manifestDigest;        // 32
    Bytes attestationPublicKey;  // 65, SEC1 uncompressed
    Bytes referenceKeyId;        // 8
    Bytes policyKeyId;           // 8
    Bytes kmsaCheckValue;        // 3

    // Parses the GET DATA response; IvMalformedResponse when it breaks IV-SED.md §2.
    static IvSedStatus parse(ByteView getDataResponse);
};

// STORE DATA items of the IV-SED (IV-SED.md §3). Kmsa_iv is referred to, not copied (as SedItem).
struct IvSedPersonalisation {
    ByteView nodeId{};             // 16 (empty: not sent)
    ByteView kmsaIv{};             // 16, sent traced redacted
    ByteView referenceKeyPoint{};  // 65
    ByteView policyKeyPoint{};     // 65
};

enum class IvResult : std::uint8_t { Success = 1, Fail = 2, NotRun = 3, Absent = 4 };

struct CompareEntry {
    std::uint8_t index = 0;       // manifest object index
    std::optional<Bytes> sha256;  // nullopt: absent
};

class IvSedClient {
public:
    // F0 4D 32 4D 49 56 53 01: "M2MIVS" + version.
    static constexpr std::array<std::uint8_t, 8> kAid{0xF0, 0x4D, 0x32, 0x4D,
                                                      0x49, 0x56, 0x53, 0x01};
    static constexpr std::size_t kPointSize = 65;

    explicit IvSedClient(CardChannel& channel) : channel_(&channel) {}
    CardChannel& channel() const { return *channel_; }

    void select(const Transaction& tx);  // 6A82 -> IvSedNotInstalled
    IvSedStatus status(const Transaction& tx);

    void verifyAdmin(const Transaction& tx, ByteView code);
    void storeData(const Transaction& tx, const IvSedPersonalisation& items);
    Bytes generateAttestationKey(const Transaction& tx);  // the pending public point, 65 bytes
    void commit(const Transaction& tx, bool lock);
    void lock(const Transaction& tx);

    struct InstalledManifest {
        std::uint32_t version = 0;
        Bytes payloadSha256;  // 32
    };
    // LOAD BLOCK × n + INSTALL MANIFEST. 6300 -> IvSignatureInvalid, 6984 -> IvVersionNotNewer,
    // 6A80 -> IvMalformed, 6A84 -> IvTooLarge.
    InstalledManifest installManifest(const Transaction& tx, SecureTunnel& tunnel,
                                      ByteView coseSign1);
    // COMPARE, as few commands as the entries fit; the results in entry order.
    std::vector<IvResult> compare(const Transaction& tx, SecureTunnel& tunnel,
                                  std::span<const CompareEntry> entries);
    struct SignedReport {
        Bytes coseSign1;
        std::uint32_t counter = 0;
    };
    // SIGN REPORT + READ OUTPUT × n. With `submods` (a gateway's, integrity::encodeSubmods; the
    // card copies it as claim 266): LOAD BLOCK × n first, then SIGN REPORT P1 01. 6A80 ->
    // IvMalformed (not a map within the card's limits), 6A84 -> IvTooLarge (the map overflows the
    // input buffer, or the report the output buffer); the counter has not moved after either.
    SignedReport signReport(const Transaction& tx, SecureTunnel& tunnel, ByteView nonce,
                            std::optional<std::uint64_t> iatUnix,
                            std::optional<ByteView> submods = std::nullopt);
    struct DecisionCheck {
        std::uint8_t verdict = 0xFF;  // 0 full, 1 partial, 2 deny
        std::uint32_t counter = 0;
    };
    // LOAD BLOCK × n + VERIFY DECISION. 6300 -> IvSignatureInvalid, 6984 -> IvDecisionNotFresh.
    DecisionCheck verifyDecision(const Transaction& tx, SecureTunnel& tunnel, ByteView coseSign1);

private:
    CardChannel* channel_;
    std::size_t lastStatusSize_ = 0;
};

}  // namespace seuicc
