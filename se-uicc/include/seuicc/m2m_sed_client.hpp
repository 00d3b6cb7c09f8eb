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
#include <optional>
#include <span>
#include <string_view>

#include "base/secret.hpp"
#include "seuicc/apdu.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/secure_tunnel.hpp"
#include "seuicc/sed_errors.hpp"
#include "seuicc/sed_items.hpp"
#include "seuicc/sed_status.hpp"

namespace seuicc {

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

    // The arguments the card's key operations take (M2M-SED.md §4), checked before anything is
    // sent: a seed of 64 bytes (plain) or a 20..64-byte session hash (extended); two 32-byte
    // randoms. SedInvalidArgument otherwise. Public so that every implementation of these
    // operations (the key in memory, for baselines) refuses what the card refuses.
    static void checkMasterSecretSeed(MasterSecretMode mode, ByteView seed);
    static void checkRandoms(ByteView clientRandom, ByteView serverRandom);

    // `channel` is the logical channel the M2M-SED is (or will be) selected on; it must outlive
    // the client.
    explicit M2mSedClient(CardChannel& channel) : channel_(&channel) {}

    CardChannel& channel() const { return *channel_; }

    // SELECT by AID (no FCP). 6A82 -> SedNotInstalled.
    void select(const Transaction& tx);
    // GET DATA 80 CA 00 FF, with Le = the size of this client's previous answer (00 the first
    // time): under T=0 one APDU as long as the public data keep their size, two otherwise.
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

    // The operational commands state the exact inner Le (48, 3, none), so the tunnel reads each
    // protected response with the right length at once: 2 APDUs per command under T=0.
    //
    // COMPUTE MASTER SECRET 80 40 through the tunnel. Plain: `seed` 64 bytes; extended: 20..64.
    // Returns the 48-byte TLS master secret. 6A88 -> SedKeyMissing, 6985 -> SedNotPersonalised.
    base::SecretBuffer computeMasterSecret(const Transaction& tx, SecureTunnel& tunnel,
                                           KeySlot slot, MasterSecretMode mode, ByteView seed);
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

    // SET KEY FROM GBA 80 46 through the tunnel (M2M-SED.md §4.1): the card makes its *pending*
    // Kmr (or Kmc) = Ks_int_NAF of the USIM's current GBA bootstrap for `nafId` and `impi`, as
    // DERIVE EXPORTED KEY does for the TLS-based procedures, and returns Ks_ext_NAF, only inside
    // the secured response, and the pending key's KCV. activateKey() then makes it active with
    // the index and lifetime the NAF gave over Ua. 6A88 -> SedKeyMissing (no USIM, or it refused
    // the M2M-SED), 6985 -> SedNoGbaBootstrap.
    struct GbaKey {
        base::SecretBuffer ksExtNaf;  // 32 bytes: the PSK for Ua on the terminal side
        KeyCheckValue kcv{};          // of Ks_int_NAF, now the pending Kmr or Kmc
    };
    GbaKey setKeyFromGba(const Transaction& tx, SecureTunnel& tunnel, ExportTarget target,
                         ByteView nafId, std::string_view impi);

private:
    CardChannel* channel_;
    std::size_t lastStatusSize_ = 0;  // data bytes of the last GET DATA answer; 0: none yet
};

}  // namespace seuicc
