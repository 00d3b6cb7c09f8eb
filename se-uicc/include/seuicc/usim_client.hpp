// The typed client of the USIM applet (se-uicc/applet/USIM.md): AUTHENTICATE in 3G context and in
// GBA context (bootstrapping, NAF derivation), EF_IMSI, EF_GBABP, and the personalisation.
//
//   UsimError (CardStatusError: sw(), the operation in the message)
//   ├── UsimNotInstalled        6A82 on SELECT: no USIM on this card
//   ├── UsimMacFailure          98 62 on AUTHENTICATE: AUTN was not made with this card's K/OPc
//   ├── UsimNotPersonalised     69 85 on AUTHENTICATE 3G/bootstrapping, or LOCK before all items
//   ├── UsimNoBootstrap         69 85 on NAF derivation: no Ks yet
//   ├── UsimLocked              69 85 on personalisation: the USIM is LOCKED
//   └── UsimSecurityNotSatisfied 69 82: no VERIFY ADMIN, or writing a read-only EF
// A synchronisation failure is an answer, not an error: AkaOutcome::Kind::SyncFailure with AUTS.
// A card answer that breaks the format is UsimMalformedResponse.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/secret.hpp"
#include "seuicc/apdu.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/errors.hpp"

namespace seuicc {

class UsimError : public CardStatusError {
public:
    using CardStatusError::CardStatusError;
};
class UsimNotInstalled : public UsimError {
public:
    using UsimError::UsimError;
};
class UsimMacFailure : public UsimError {
public:
    using UsimError::UsimError;
};
class UsimNotPersonalised : public UsimError {
public:
    using UsimError::UsimError;
};
class UsimNoBootstrap : public UsimError {
public:
    using UsimError::UsimError;
};
class UsimLocked : public UsimError {
public:
    using UsimError::UsimError;
};
class UsimSecurityNotSatisfied : public UsimError {
public:
    using UsimError::UsimError;
};
class UsimMalformedResponse : public Error {
public:
    using Error::Error;
};

// The outcome of one AKA run on the card.
struct AkaOutcome {
    enum class Kind { Ok, SyncFailure };
    Kind kind = Kind::Ok;
    base::SecretBuffer res;  // Ok
    base::SecretBuffer ck;   // Ok, 3G context only
    base::SecretBuffer ik;   // Ok, 3G context only
    base::SecretBuffer kc;   // Ok, 3G context only (GSM c3)
    Bytes auts;              // SyncFailure: 14 bytes
};

// EF_GBABP (TS 31.102 4.2.79): what the terminal writes after a bootstrap.
struct GbaBootstrapParams {
    Bytes rand;            // 16 bytes
    std::string btid;      // base64(RAND)@BSF
    std::string lifetime;  // the BootstrappingInfo lifetime, as received (xs:dateTime)
    // L RAND L B-TID L lifetime. Throws Error if a field does not fit one length byte.
    Bytes encode() const;
    // An all-FF (never written) file gives nullopt. Throws UsimMalformedResponse on a bad layout.
    static std::optional<GbaBootstrapParams> parse(ByteView ef);
};

// What the personalisation sets (USIM.md §4). Empty fields are left as they are.
struct UsimPersonalisation {
    std::string imsi;                     // 6..15 digits
    std::optional<base::SecretBuffer> k;  // 16 bytes
    std::optional<base::SecretBuffer> opc;
    std::optional<base::SecretBuffer> op;  // turned into OPc on the card; never with opc
    std::optional<Bytes> sqn;              // start SQN_MS, 6 bytes
};

struct UsimStatus {
    enum class Lifecycle : std::uint8_t { Installed = 0x01, Personalised = 0x03, Locked = 0x07 };
    Lifecycle lifecycle = Lifecycle::Installed;
    unsigned adminTriesLeft = 0;
    Bytes sqnMs;  // the highest SQN accepted (6 bytes)
};

// EF_IMSI content (TS 31.102 4.2.2) from digits and back.
Bytes encodeImsi(std::string_view digits);
std::string decodeImsi(ByteView ef);

class UsimClient {
public:
    // The 3GPP USIM RID and application code A0000000871002 with this project's PIX.
    static constexpr std::array<std::uint8_t, 12> kAid{0xA0, 0x00, 0x00, 0x00, 0x87, 0x10,
                                                       0x02, 0xFF, 0x49, 0xFF, 0x05, 0x89};
    static constexpr std::size_t kRandSize = 16;
    static constexpr std::size_t kAutnSize = 16;
    static constexpr std::size_t kAutsSize = 14;
    static constexpr std::size_t kKsNafSize = 32;

    explicit UsimClient(CardChannel& channel) : channel_(&channel) {}

    CardChannel& channel() const { return *channel_; }

    // The USIM's AID as EF_DIR lists it (the first entry with the 3GPP USIM prefix
    // A0000000871002), kAid if EF_DIR names none. Reads EF_DIR on this channel.
    Bytes findAid(const Transaction& tx);
    // SELECT by that AID. 6A82 -> UsimNotInstalled.
    void select(const Transaction& tx);
    // SELECT by `aid` (findAid's answer, kept by a caller that selects again): one APDU.
    void select(const Transaction& tx, ByteView aid);

    // AUTHENTICATE 00 88 00 81: RES, CK, IK, Kc, or AUTS.
    AkaOutcome authenticate3g(const Transaction& tx, ByteView rand, ByteView autn);
    // AUTHENTICATE 00 88 00 84, tag DD: RES or AUTS; Ks = CK ‖ IK stays in the card.
    AkaOutcome authenticateGbaBootstrap(const Transaction& tx, ByteView rand, ByteView autn);
    // AUTHENTICATE 00 88 00 84, tag DE: Ks_ext_NAF (32 bytes); the card keeps Ks_int_NAF.
    base::SecretBuffer nafDerivation(const Transaction& tx, ByteView nafId, std::string_view impi);

    std::string readImsi(const Transaction& tx);
    std::optional<GbaBootstrapParams> readGbaBp(const Transaction& tx);
    void writeGbaBp(const Transaction& tx, const GbaBootstrapParams& params);

    UsimStatus status(const Transaction& tx);
    // VERIFY ADMIN 00 20 00 81 (traced redacted). 63Cx/6983: UsimError.
    void verifyAdmin(const Transaction& tx, ByteView code);
    // STORE DATA 80 E2 00 00 with every item in one command (traced redacted).
    void personalise(const Transaction& tx, const UsimPersonalisation& items);
    // LOCK 80 E8 02 00.
    void lock(const Transaction& tx);

private:
    AkaOutcome authenticate(const Transaction& tx, std::uint8_t p2, Bytes data, bool gba,
                            std::string_view operation);
    Bytes readTransparent(const Transaction& tx, std::uint16_t fid, std::string_view name);

    CardChannel* channel_;
};

}  // namespace seuicc
