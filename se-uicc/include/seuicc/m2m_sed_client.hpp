// The typed client of the M2M Secured Environment Domain applet (se-uicc/applet/M2M-SED.md).
//
//   public data     select(), status()                      in clear, any lifecycle
//   personalisation verifyAdmin(), storeData(), commit(),   in clear, before LOCK (the documented
//                   lock()                                   exception: no Kmsa exists yet)
//   operational     computeMasterSecret(),                  ONLY through a SecureTunnel: there is
//                   deriveExportedKey(), activateKey()       no overload that sends them in clear
//
// Every status word other than 9000 becomes an exception of the SedError family, which carries
// the SW (SedError is a CardStatusError). A card answer whose data does not follow the contract
// is a SedMalformedResponse.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "seuicc/apdu.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/secure_tunnel.hpp"

namespace seuicc {

// ---------------------------------------------------------------------------------------------
// Sensitive bytes without secure-channel's SecretBuffer (se-uicc may not depend on it).

// Overwrites `bytes` with zeros in a way the compiler cannot drop (explicit_bzero).
void secureWipe(std::span<std::uint8_t> bytes) noexcept;

// A fixed-size, move-only heap buffer that is wiped before it is freed. No copy constructor, no
// stream output, no conversion to Bytes. (Not locked in RAM: the T-SED copies it into a
// SecretBuffer at once.)
class SensitiveBytes {
public:
    SensitiveBytes() noexcept = default;
    // Copies `data`.
    explicit SensitiveBytes(ByteView data);
    // Copies `source` and then wipes and clears it.
    static SensitiveBytes takeFrom(Bytes& source);

    SensitiveBytes(const SensitiveBytes&) = delete;
    SensitiveBytes& operator=(const SensitiveBytes&) = delete;
    SensitiveBytes(SensitiveBytes&& other) noexcept;
    SensitiveBytes& operator=(SensitiveBytes&& other) noexcept;
    ~SensitiveBytes();

    [[nodiscard]] const std::uint8_t* data() const noexcept { return data_.get(); }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] ByteView view() const noexcept { return {data_.get(), size_}; }

private:
    void release() noexcept;

    std::unique_ptr<std::uint8_t[]> data_;
    std::size_t size_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Errors.
//
//   SedError (CardStatusError: sw(), the operation in the message)
//   ├── SedNotInstalled            6A82 on SELECT: no M2M-SED on this card
//   ├── AdminCodeRejected          63Cx on VERIFY ADMIN: triesLeft() = x
//   ├── AdminBlocked               6983: the administrative code is blocked
//   ├── SedSecurityNotSatisfied    6982: no VERIFY ADMIN yet, or an operational command in clear
//   ├── SedWrongState              6985 (conditions of use not satisfied), by command:
//   │   ├── SedLocked                STORE DATA, VERIFY ADMIN: the applet is LOCKED
//   │   ├── SedIncomplete            COMMIT: a mandatory item is missing (or the applet is LOCKED)
//   │   ├── SedNotPersonalised       COMPUTE MASTER SECRET: the applet is still blank
//   │   ├── SedNoMasterSecret        DERIVE EXPORTED KEY: no master secret, or from the wrong slot
//   │   └── SedNoPendingKey          ACTIVATE KEY: nothing derived to activate
//   ├── SedWrongData               6A80: wrong length or unknown tag in the data
//   ├── SedKeyMissing              6A88: the key slot (or referenced data) is empty
//   ├── SedWrongParameters         6A86 / 6B00: P1-P2 not supported
//   ├── SedWrongLength             6700
//   └── SedNotSupported            6D00 / 6E00: INS or CLA not supported
// Any other status word: SedError itself.
class SedError : public CardStatusError {
public:
    using CardStatusError::CardStatusError;
};
class SedNotInstalled : public SedError {
public:
    using SedError::SedError;
};
class AdminCodeRejected : public SedError {
public:
    AdminCodeRejected(std::uint16_t sw, std::string_view operation)
        : SedError(sw, operation), triesLeft_(static_cast<unsigned>(sw & 0x0F)) {}
    unsigned triesLeft() const { return triesLeft_; }

private:
    unsigned triesLeft_;
};
class AdminBlocked : public SedError {
public:
    using SedError::SedError;
};
class SedSecurityNotSatisfied : public SedError {
public:
    using SedError::SedError;
};
class SedWrongState : public SedError {
public:
    using SedError::SedError;
};
class SedLocked : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedIncomplete : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedNotPersonalised : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedNoMasterSecret : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedNoPendingKey : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedWrongData : public SedError {
public:
    using SedError::SedError;
};
class SedKeyMissing : public SedError {
public:
    using SedError::SedError;
};
class SedWrongParameters : public SedError {
public:
    using SedError::SedError;
};
class SedWrongLength : public SedError {
public:
    using SedError::SedError;
};
class SedNotSupported : public SedError {
public:
    using SedError::SedError;
};

// The card's data does not follow M2M-SED.md (a GET DATA field of the wrong size, a master
// secret that is not 48 bytes...). Not a status word.
class SedMalformedResponse : public Error {
public:
    using Error::Error;
};

// An argument the client refuses before anything is sent (wrong key size, SCL-ID too long...).
class SedInvalidArgument : public Error {
public:
    using Error::Error;
};

// ---------------------------------------------------------------------------------------------
// Public data (GET DATA).

enum class SedLifecycle : std::uint8_t {
    Installed = 0x01,     // blank
    Personalised = 0x03,  // committed, personalisation still open
    Locked = 0x07,        // operational, personalisation closed
};
std::string_view toString(SedLifecycle lifecycle);

using KeyCheckValue = std::array<std::uint8_t, 3>;
using NodeId = std::array<std::uint8_t, 16>;

struct SedKeyCheckValues {
    std::optional<KeyCheckValue> kmr;   // E1
    std::optional<KeyCheckValue> kmc;   // E2
    std::optional<KeyCheckValue> kbs;   // E3
    std::optional<KeyCheckValue> kmsa;  // E4
    std::optional<KeyCheckValue> kiv;   // E5
};

struct SedStatus {
    SedLifecycle lifecycle = SedLifecycle::Installed;                // C0 (mandatory)
    std::optional<unsigned> adminTriesLeft;                          // CF
    std::optional<NodeId> nodeId;                                    // C1
    std::optional<std::uint32_t> kmrIndex;                           // C2
    std::optional<std::chrono::system_clock::time_point> kmrExpiry;  // C3
    std::optional<std::string> sclId;                                // C4
    std::vector<std::string> nsclList;          // C5, split at single spaces; empty if absent
    std::optional<std::string> masFqdn;         // C6
    std::optional<std::uint32_t> kmcIndex;      // C7
    std::optional<std::uint64_t> connectionId;  // C8
    std::optional<std::chrono::system_clock::time_point> kmcExpiry;  // C9
    SedKeyCheckValues kcv;                                           // E1..E5

    // Parses the GET DATA response data. Unknown tags are skipped (a later applet may add
    // some). Throws SedMalformedResponse on a missing C0, an unknown lifecycle value, a known
    // tag of the wrong length, an empty NSCL entry, or an expiry beyond the clock's range.
    static SedStatus parse(ByteView getDataResponse);
};

// ---------------------------------------------------------------------------------------------
// Personalisation items (STORE DATA).

enum class SedKeySlot : std::uint8_t { Kmr = 0xD1, Kbs = 0xD3, Kmsa = 0xD4, Kiv = 0xD5 };

// One TLV of STORE DATA. Public items own their encoding; key items only refer to the caller's
// key (a SecretBuffer's view, typically), which must outlive the storeData() call: no copy of the
// key is made here. Factories check sizes and throw SedInvalidArgument.
class SedItem {
public:
    static SedItem nodeId(ByteView id);                                  // C1, 16 bytes
    static SedItem kmrIndex(std::uint32_t index);                        // C2
    static SedItem kmrExpiry(std::chrono::system_clock::time_point at);  // C3, Unix seconds
    static SedItem sclId(std::string_view uri);                          // C4, 1..128
    static SedItem nsclList(std::span<const std::string> uris);          // C5, 1..255 in all
    static SedItem masFqdn(std::string_view fqdn);                       // C6, 1..128
    static SedItem key(SedKeySlot slot, ByteView key);  // D1/D3/D5: 32 bytes, D4: 16 bytes

    std::uint8_t tag() const { return tag_; }
    ByteView value() const { return sensitive_ ? keyView_ : ByteView(owned_); }
    bool sensitive() const { return sensitive_; }

private:
    SedItem(std::uint8_t tag, Bytes owned) : tag_(tag), owned_(std::move(owned)) {}
    SedItem(std::uint8_t tag, ByteView key) : tag_(tag), keyView_(key), sensitive_(true) {}

    std::uint8_t tag_;
    Bytes owned_;
    ByteView keyView_;
    bool sensitive_ = false;
};

// ---------------------------------------------------------------------------------------------
// Operational parameters.

enum class KeySlot : std::uint8_t { Kmr = 0x01, Kmc = 0x02, Kbs = 0x03 };
enum class MasterSecretMode : std::uint8_t {
    Plain = 0x00,     // seed = client_random ‖ server_random (64 bytes), "master secret"
    Extended = 0x01,  // seed = session hash (20..64 bytes), "extended master secret"
};
enum class ExportTarget : std::uint8_t {
    Kmr = 0x01,  // "EXPORTER-ETSI-TC-M2M-Bootstrap", from a Kbs master secret
    Kmc = 0x02,  // "EXPORTER-ETSI-TC-M2M-Connection", from a Kmr master secret
};

// ---------------------------------------------------------------------------------------------

class M2mSedClient {
public:
    // F0 4D 32 4D 53 45 44 01: "M2MSED" + version.
    static constexpr std::array<std::uint8_t, 8> kAid{0xF0, 0x4D, 0x32, 0x4D,
                                                      0x53, 0x45, 0x44, 0x01};
    static constexpr std::size_t kAdminCodeSize = 8;
    static constexpr std::size_t kMasterSecretSize = 48;
    static constexpr std::size_t kRandomSize = 32;

    // `channel` is the logical channel the M2M-SED is (or will be) selected on; it must outlive
    // the client.
    explicit M2mSedClient(CardChannel& channel) : channel_(&channel) {}

    CardChannel& channel() const { return *channel_; }

    // SELECT by AID (no FCP). 6A82 -> SedNotInstalled.
    void select(const Transaction& tx);
    // GET DATA 80 CA 00 FF.
    SedStatus status(const Transaction& tx);

    // VERIFY ADMIN 00 20 00 81 with the 8-byte code (traced redacted).
    // 63Cx -> AdminCodeRejected, 6983 -> AdminBlocked.
    void verifyAdmin(const Transaction& tx, ByteView code);
    // STORE DATA 80 E2. The items are packed into as few commands of at most 255 data bytes as
    // fit, public and key-bearing items never in the same command; the key-bearing commands are
    // traced with their data redacted. With `clearFirst`, the first command has P1 b1 set.
    // An item whose TLV alone exceeds 255 bytes (a 253..255-byte NSCL list) goes in an
    // extended-length command. Returns the number of STORE DATA commands sent.
    std::size_t storeData(const Transaction& tx, std::span<const SedItem> items, bool clearFirst);
    // COMMIT 80 E8 01 00, or with `lock` 80 E8 03 00 (commit and lock).
    void commit(const Transaction& tx, bool lock);
    // LOCK 80 E8 02 00.
    void lock(const Transaction& tx);

    // COMPUTE MASTER SECRET 80 40 through the tunnel. Plain: `seed` 64 bytes; extended: 20..64.
    // Returns the 48-byte TLS master secret. 6A88 -> SedKeyMissing, 6985 -> SedNotPersonalised.
    SensitiveBytes computeMasterSecret(const Transaction& tx, SecureTunnel& tunnel, KeySlot slot,
                                       MasterSecretMode mode, ByteView seed);
    // DERIVE EXPORTED KEY 80 42 through the tunnel: returns the KCV of the pending key.
    // 6985 -> SedNoMasterSecret.
    KeyCheckValue deriveExportedKey(const Transaction& tx, SecureTunnel& tunnel,
                                    ExportTarget target, ByteView clientRandom,
                                    ByteView serverRandom);
    // ACTIVATE KEY 80 44 through the tunnel. `connectionId` is required for Kmc and refused for
    // Kmr (SedInvalidArgument). 6985 -> SedNoPendingKey.
    void activateKey(const Transaction& tx, SecureTunnel& tunnel, ExportTarget target,
                     std::uint32_t index, std::chrono::system_clock::time_point expiry,
                     std::optional<std::uint64_t> connectionId);

private:
    CardChannel* channel_;
};

}  // namespace seuicc
