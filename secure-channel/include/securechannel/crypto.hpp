// Standard cryptographic primitives over OpenSSL 3 (EVP_MAC, EVP_KDF, EVP_CIPHER, EVP_MD).
//
// Only published algorithms live here. The profile's own arrangements (TS 102 484 session keys,
// SSCMAC, secured-data layout, security-profile.md §2 [PROFILE]) are built on top of these in the
// TS 102 484 code and must not move into this file.
//
// Conventions: keys and other inputs are byte views. Functions whose output is key material return
// SecretBuffer; MACs, digests, ciphertext and check values are returned as plain Bytes. Every
// failure throws CryptoError, whose message carries the OpenSSL error string when OpenSSL reported
// one, and never key bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "base/secret.hpp"
#include "securechannel/errors.hpp"
#include "securechannel/types.hpp"

namespace securechannel {

inline constexpr std::size_t kAesBlockSize = 16;

/// AES-CMAC (NIST SP 800-38B, RFC 4493) with a 16-byte (AES-128) or 32-byte (AES-256) key.
/// Returns the full 16-byte tag.
[[nodiscard]] Bytes aesCmac(ByteView key, ByteView data);

/// NIST SP 800-108 KDF in counter mode with AES-128-CMAC as PRF, as OpenSSL 3's "KBKDF"
/// (mode counter, mac CMAC, cipher AES-128-CBC; 32-bit counter, separator byte and L on):
/// block i = CMAC(key, uint32(i) ‖ label ‖ 00 ‖ context ‖ uint32(8·outBytes)), i = 1, 2, ...
/// `key` must be 16 bytes; `outBytes` > 0.
[[nodiscard]] SecretBuffer kbkdfCounterCmac(ByteView key, ByteView label, ByteView context,
                                            std::size_t outBytes);

/// HMAC-SHA-256 (RFC 2104, FIPS 198-1); returns 32 bytes. Use kdf33220/tls12Prf to derive keys.
[[nodiscard]] Bytes hmacSha256(ByteView key, ByteView data);

/// SHA-256 (FIPS 180-4); returns 32 bytes.
[[nodiscard]] Bytes sha256(ByteView data);

inline constexpr std::size_t kMd5Size = 16;
/// MD5 (RFC 1321) of the concatenation of `chunks`, written to `out` (exactly 16 bytes). Only for
/// HTTP Digest (RFC 2617, RFC 3310), whose hashes are MD5 by definition; never for anything new.
/// The chunks are hashed in place, so a password (an AKA RES) need not be copied next to the
/// text around it.
void md5(std::span<const ByteView> chunks, std::span<std::uint8_t> out);
[[nodiscard]] Bytes md5(ByteView data);

/// The generic key derivation function of 3GPP TS 33.220 Annex B.2:
/// HMAC-SHA-256(key, FC ‖ P0 ‖ L0 ‖ P1 ‖ L1 ‖ ...), Li = length of Pi as 2 bytes, big-endian.
/// Returns 32 bytes. Each Pi must be at most 65535 bytes.
[[nodiscard]] SecretBuffer kdf33220(ByteView key, std::uint8_t fc,
                                    std::span<const ByteView> params);
[[nodiscard]] SecretBuffer kdf33220(ByteView key, std::uint8_t fc,
                                    std::initializer_list<ByteView> params);

/// The TLS 1.2 PRF (RFC 5246 §5) with P_SHA256: PRF(secret, label, seed) truncated to `outLen`
/// bytes, via OpenSSL's "TLS1-PRF" KDF. Used for master secrets (RFC 5246 §8.1, RFC 7627 §4) and
/// exporters (RFC 5705). Fetched with the property query "?provider=default" so that the
/// in-process card provider of security-profile.md §3 is not consulted for terminal-side secrets.
[[nodiscard]] SecretBuffer tls12Prf(ByteView secret, std::string_view label, ByteView seed,
                                    std::size_t outLen);

/// The premaster secret of a plain TLS-PSK suite (RFC 4279 §2):
/// uint16(N) ‖ N zero bytes ‖ uint16(N) ‖ psk, N = psk size (at most 65535).
[[nodiscard]] SecretBuffer tlsPskPremaster(ByteView psk);

/// AES-128-CBC without padding. `key` 16 bytes, `iv` 16 bytes, input a multiple of 16 bytes.
[[nodiscard]] Bytes aesCbcEncrypt(ByteView key, ByteView iv, ByteView plaintext);
/// Decryption returns a SecretBuffer: over the UICC–terminal channel the plaintext carries keys.
[[nodiscard]] SecretBuffer aesCbcDecrypt(ByteView key, ByteView iv, ByteView ciphertext);

/// One raw AES block encryption (ECB), key 16 or 32 bytes, block exactly 16 bytes.
[[nodiscard]] Bytes aesEcbEncryptBlock(ByteView key, ByteView block);
/// The same into `out` (16 bytes), for blocks that are key material (Milenage's CK, IK and the
/// values they come from) and must stay in a SecretBuffer.
void aesEcbEncryptBlock(ByteView key, ByteView block, std::span<std::uint8_t> out);

/// ISO/IEC 9797-1 padding method 2: append 0x80, then zero bytes up to a multiple of `blockSize`
/// (always adds at least one byte). Returns a SecretBuffer because the input is usually a plaintext
/// that carries key material.
[[nodiscard]] SecretBuffer iso9797M2Pad(ByteView data, std::size_t blockSize = kAesBlockSize);
/// Removes ISO/IEC 9797-1 method 2 padding and returns the unpadded prefix of `padded` (a view into
/// the caller's buffer, no copy). Throws CryptoError if `padded` is empty, not a multiple of
/// `blockSize`, or its last block does not end in 0x80 followed by zero bytes only.
/// Not constant-time: verify the MAC over the ciphertext before decrypting and unpadding.
[[nodiscard]] ByteView iso9797M2Unpad(ByteView padded, std::size_t blockSize = kAesBlockSize);

/// Key check value: the first 3 bytes of AES-ECB(key, 16 zero bytes), with AES-128 for a 16-byte
/// key and AES-256 for a 32-byte key.
[[nodiscard]] Bytes keyCheckValue(ByteView key);

/// `n` bytes from OpenSSL's private DRBG (RAND_priv_bytes), for nonces and identifiers.
[[nodiscard]] Bytes randomBytes(std::size_t n);
/// `n` bytes from the private DRBG written straight into locked memory, for new keys.
[[nodiscard]] SecretBuffer randomSecret(std::size_t n);

}  // namespace securechannel
