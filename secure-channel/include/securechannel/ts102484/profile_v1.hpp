// Security profile v1 of the TS 102 484 secure channel: every [PROFILE] choice of
// se-uicc/applet/M2M-SED.md §5-§7 and security-profile.md §2, and nothing else.
//
// TS 102 484's own cryptographic definitions could not be read, so this profile fixes them in the
// arrangement of GlobalPlatform SCP03 (KBKDF session keys from both nonces, counter-derived IV,
// chained and truncated CMAC). When the standard's text turns up, this namespace is what changes
// (a v2 next to it); the command coding, the steps and the session do not.
//
// Pure functions: no I/O, no clock, no randomness. Session keys live in SecretBuffers only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/secret.hpp"
#include "securechannel/ts102484/errors.hpp"
#include "securechannel/types.hpp"

namespace securechannel::profile::v1 {

// --- Sizes -----------------------------------------------------------------------------------
inline constexpr std::size_t kKmsaSize = 16;        // AES-128 master key of the master SA
inline constexpr std::size_t kSessionKeySize = 16;  // S-ENC, S-MAC, S-RMAC
inline constexpr std::size_t kNonceSize = 16;       // terminal nonce '8A', UICC nonce '8C'
inline constexpr std::size_t kSaIdSize = 16;        // MSA_ID '88', CSA_ID '8B' [STD]
inline constexpr std::size_t kFullMacSize = 16;     // SSCMAC, terminate MACs, chaining value
inline constexpr std::size_t kCounterSize = 4;
inline constexpr std::size_t kMacSize = 8;  // truncated MAC of a secured message
inline constexpr std::size_t kMaxPlaintext = 1024;
// The smallest secured value: counter, one cipher block, MAC.
inline constexpr std::size_t kMinSecuredValueSize = kCounterSize + 16 + kMacSize;
// Data container size ('8E') the card accepts; the upper bound 255 is the one-byte field [STD].
inline constexpr unsigned kMinContainerSize = 32;
inline constexpr unsigned kMaxContainerSize = 255;

// --- Tags the standard's tables define but that could not be read ------------------------------
inline constexpr std::uint32_t kTagTerminalId = 0x80;       // master SA command, 1..32 bytes
inline constexpr std::uint32_t kTagTerminalAppliId = 0x81;  // master SA command, 1..32 bytes
inline constexpr std::uint32_t kTagUiccId = 0x83;           // ICCID: endpoints response, MSA cmd
inline constexpr std::uint32_t kTagUiccAppliId = 0x84;      // AID: master SA command
inline constexpr std::uint32_t kTagTerminalNonce = 0x8A;    // connection SA command
inline constexpr std::uint32_t kTagUiccNonce = 0x8C;        // connection SA response
inline constexpr std::uint32_t kTagSecuredData = 0x86;      // TRANSACT DATA payload
inline constexpr std::size_t kMaxIdentityLength = 32;       // Terminal_ID, Terminal_appli_ID

// --- Session keys ------------------------------------------------------------------------------

struct SessionKeys {
    SecretBuffer enc;   // S-ENC: AES-128-CBC of both directions, and the IVs
    SecretBuffer mac;   // S-MAC: terminal-to-card MACs, SSCMACs, the CSA terminate MAC
    SecretBuffer rmac;  // S-RMAC: card-to-terminal MACs
};

// KBKDF-CMAC(Kmsa, label, terminal nonce ‖ UICC nonce ‖ CSA_ID), 16 bytes each, with the labels
// "S-ENC", "S-MAC", "S-RMAC". Throws CryptoError on a wrong input size.
[[nodiscard]] SessionKeys deriveSessionKeys(ByteView kmsa, ByteView terminalNonce,
                                            ByteView uiccNonce, ByteView csaId);

// --- Start and terminate MACs (16 bytes, full CMAC) --------------------------------------------

// CMAC(S-MAC, "T2U" ‖ CSA_ID ‖ algorithms ‖ containerSize), algorithms = the '89' value (04 04).
[[nodiscard]] Bytes terminalSscmac(const SessionKeys& keys, ByteView csaId, ByteView algorithms,
                                   std::uint8_t containerSize);
// CMAC(S-MAC, "U2T" ‖ CSA_ID ‖ algorithms ‖ containerSize).
[[nodiscard]] Bytes uiccSscmac(const SessionKeys& keys, ByteView csaId, ByteView algorithms,
                               std::uint8_t containerSize);
// CMAC(S-MAC, "TERM" ‖ CSA_ID).
[[nodiscard]] Bytes connectionSaTerminateMac(const SessionKeys& keys, ByteView csaId);
// CMAC(Kmsa, "TERM" ‖ MSA_ID).
[[nodiscard]] Bytes masterSaTerminateMac(ByteView kmsa, ByteView msaId);

// --- Secured messages (value of TLV 86) --------------------------------------------------------

enum class Direction { TerminalToCard, CardToTerminal };

// One direction's replay and chaining state. Both sides keep one per direction.
struct DirectionState {
    std::uint32_t counter = 0;                       // the last counter sent or accepted
    std::array<std::uint8_t, kFullMacSize> chain{};  // the last full MAC (zeros at first)
};

// The P1 and P2 that go into the MAC of a message cut into `blocks` TRANSACT DATA blocks:
// terminal-to-card 04 ‖ blocks-1, card-to-terminal 00 ‖ blocks-1.
struct MacHeader {
    std::uint8_t p1 = 0;
    std::uint8_t p2 = 0;
};
[[nodiscard]] MacHeader macHeader(Direction direction, std::size_t blocks);

// The size of the secured value for a plaintext of `plaintextSize` bytes: known before
// protect() runs, so that the block count (and with it the MAC's P2) can be fixed first.
[[nodiscard]] std::size_t securedValueSize(std::size_t plaintextSize);

// counter ‖ AES-128-CBC(S-ENC, IV, M2-pad(plaintext)) ‖ first 8 bytes of
// CMAC(K, chain ‖ P1 ‖ P2 ‖ counter ‖ ciphertext), with counter = state.counter + 1,
// IV = AES-ECB(S-ENC, 12×00 ‖ counter) (first byte | 80 for card-to-terminal), K = S-MAC
// terminal-to-card, S-RMAC card-to-terminal. Advances `state`. Throws CryptoError for a
// plaintext over 1024 bytes, SessionExpired when the counter space is used up.
[[nodiscard]] Bytes protect(const SessionKeys& keys, Direction direction, DirectionState& state,
                            std::uint8_t p1, std::uint8_t p2, ByteView plaintext);

// Checks and opens a secured value: size, counter strictly greater than state.counter, MAC
// (constant-time compare, before anything is decrypted), padding, plaintext size. Advances
// `state` only on success. Throws SecuredMessageRejected with the reason.
[[nodiscard]] SecretBuffer unprotect(const SessionKeys& keys, Direction direction,
                                     DirectionState& state, std::uint8_t p1, std::uint8_t p2,
                                     ByteView securedValue);

// --- TRANSACT DATA status words ------------------------------------------------------------------

// 92 NN: "NN response blocks waiting / still to come"; 92 00 acknowledges a non-last block.
[[nodiscard]] constexpr std::uint16_t blocksPendingStatus(std::uint8_t blocks) {
    return static_cast<std::uint16_t>(0x9200 | blocks);
}
// NN of a 92 NN status word, nullopt for any other.
[[nodiscard]] std::optional<std::uint8_t> blocksPending(std::uint16_t sw);

}  // namespace securechannel::profile::v1
