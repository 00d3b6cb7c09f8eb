#include "securechannel/crypto.hpp"

#include <array>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <vector>
#include "base/big_endian.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace securechannel {

namespace {

// ---- OpenSSL object ownership -----------------------------------------------------------------

template <auto FreeFn>
struct Deleter {
    template <typename T>
    void operator()(T* object) const noexcept {
        FreeFn(object);
    }
};
using MacPtr = std::unique_ptr<EVP_MAC, Deleter<EVP_MAC_free>>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, Deleter<EVP_MAC_CTX_free>>;
using KdfPtr = std::unique_ptr<EVP_KDF, Deleter<EVP_KDF_free>>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX_free>>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, Deleter<EVP_CIPHER_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;
using MdPtr = std::unique_ptr<EVP_MD, Deleter<EVP_MD_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;

// The TLS PRF is fetched with a preference for the default provider: security-profile.md §3 makes
// an in-process provider the preferred TLS1-PRF for libssl; the terminal's own PRF calls skip it.
constexpr const char* kTlsPrfProperties = "?provider=default";

// ---- errors ---------------------------------------------------------------------------------

/// Throws CryptoError("<what>: <OpenSSL error queue>") and empties the thread's error queue.
[[noreturn]] void throwOpenSsl(const std::string& what) {
    std::string message = what;
    const char* separator = ": ";
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        std::array<char, 256> text{};
        ERR_error_string_n(code, text.data(), text.size());
        message += separator;
        message += text.data();
        separator = "; ";
    }
    throw CryptoError(message);
}

[[noreturn]] void throwInput(const std::string& what) {
    throw CryptoError(what);
}

void requireSize(std::string_view function, std::string_view what, ByteView value,
                 std::size_t expected) {
    if (value.size() != expected) {
        throwInput(std::string(function) + ": " + std::string(what) + " must be " +
                   std::to_string(expected) + " bytes, got " + std::to_string(value.size()));
    }
}

/// Accepts AES-128 and AES-256 keys and returns the matching algorithm name.
const char* aesName(std::string_view function, ByteView key, const char* name128,
                    const char* name256) {
    if (key.size() != 16 && key.size() != 32) {
        throwInput(std::string(function) + ": key must be 16 or 32 bytes, got " +
                   std::to_string(key.size()));
    }
    return key.size() == 16 ? name128 : name256;
}

void requireBlockMultiple(std::string_view function, ByteView data) {
    if (data.size() % kAesBlockSize != 0) {
        throwInput(std::string(function) + ": input of " + std::to_string(data.size()) +
                   " bytes is not a multiple of the 16-byte block");
    }
}

// OSSL_PARAM wants mutable pointers for input buffers it only reads.
OSSL_PARAM octetParam(const char* name, ByteView value) {
    static std::uint8_t empty = 0;
    auto* pointer = value.empty() ? &empty : const_cast<std::uint8_t*>(value.data());
    return OSSL_PARAM_construct_octet_string(name, pointer, value.size());
}
OSSL_PARAM textParam(const char* name, const char* value) {
    return OSSL_PARAM_construct_utf8_string(name, const_cast<char*>(value), 0);
}

/// A non-null pointer for a possibly empty view (for a MAC, a null key means "keep the old key").
const unsigned char* nonNull(ByteView bytes) {
    static const unsigned char empty = 0;
    return bytes.empty() ? &empty : bytes.data();
}

// ---- MAC and cipher engines ----------------------------------------------------------------

/// MAC over the concatenation of `chunks`, written to `out` (which must have the MAC's size).
void computeMac(const std::string& function, const char* algorithm, const OSSL_PARAM* params,
                ByteView key, std::span<const ByteView> chunks, std::span<std::uint8_t> out) {
    const MacPtr mac(EVP_MAC_fetch(nullptr, algorithm, nullptr));
    if (!mac) {
        throwOpenSsl(function + ": EVP_MAC_fetch(" + algorithm + ")");
    }
    const MacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));
    if (!ctx) {
        throwOpenSsl(function + ": EVP_MAC_CTX_new");
    }
    if (EVP_MAC_init(ctx.get(), nonNull(key), key.size(), params) != 1) {
        throwOpenSsl(function + ": EVP_MAC_init");
    }
    for (const ByteView chunk : chunks) {
        if (!chunk.empty() && EVP_MAC_update(ctx.get(), chunk.data(), chunk.size()) != 1) {
            throwOpenSsl(function + ": EVP_MAC_update");
        }
    }
    std::size_t written = 0;
    if (EVP_MAC_final(ctx.get(), out.data(), &written, out.size()) != 1) {
        throwOpenSsl(function + ": EVP_MAC_final");
    }
    if (written != out.size()) {
        throwInput(function + ": unexpected MAC size " + std::to_string(written));
    }
}

Bytes cmacOver(const std::string& function, ByteView key, std::span<const ByteView> chunks) {
    const char* cipher = aesName(function, key, "AES-128-CBC", "AES-256-CBC");
    const OSSL_PARAM params[] = {textParam(OSSL_MAC_PARAM_CIPHER, cipher), OSSL_PARAM_END};
    Bytes tag(kAesBlockSize);
    computeMac(function, "CMAC", params, key, chunks, tag);
    return tag;
}

void hmacSha256Over(const std::string& function, ByteView key, std::span<const ByteView> chunks,
                    std::span<std::uint8_t> out) {
    const OSSL_PARAM params[] = {textParam(OSSL_MAC_PARAM_DIGEST, "SHA256"), OSSL_PARAM_END};
    computeMac(function, "HMAC", params, key, chunks, out);
}

/// One-shot AES without padding; `out` must have the input's size.
void aesCrypt(const std::string& function, const char* algorithm, bool encrypt, ByteView key,
              const unsigned char* iv, ByteView input, std::span<std::uint8_t> out) {
    const CipherPtr cipher(EVP_CIPHER_fetch(nullptr, algorithm, nullptr));
    if (!cipher) {
        throwOpenSsl(function + ": EVP_CIPHER_fetch(" + algorithm + ")");
    }
    const CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) {
        throwOpenSsl(function + ": EVP_CIPHER_CTX_new");
    }
    if (EVP_CipherInit_ex2(ctx.get(), cipher.get(), key.data(), iv, encrypt ? 1 : 0, nullptr) !=
            1 ||
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
        throwOpenSsl(function + ": EVP_CipherInit_ex2");
    }
    if (input.size() > static_cast<std::size_t>(INT_MAX)) {
        throwInput(function + ": input too large");
    }
    int updated = 0;
    if (!input.empty() && EVP_CipherUpdate(ctx.get(), out.data(), &updated, input.data(),
                                           static_cast<int>(input.size())) != 1) {
        throwOpenSsl(function + ": EVP_CipherUpdate");
    }
    int finished = 0;
    if (EVP_CipherFinal_ex(ctx.get(), out.data() + updated, &finished) != 1) {
        throwOpenSsl(function + ": EVP_CipherFinal_ex");
    }
    if (static_cast<std::size_t>(updated) + static_cast<std::size_t>(finished) != input.size()) {
        throwInput(function + ": unexpected output size");
    }
}

/// EVP_KDF derivation of `outLen` bytes into a new SecretBuffer.
SecretBuffer deriveKdf(const std::string& function, const char* algorithm, const char* properties,
                       const OSSL_PARAM* params, std::size_t outLen) {
    if (outLen == 0) {
        throwInput(function + ": output length must be greater than 0");
    }
    const KdfPtr kdf(EVP_KDF_fetch(nullptr, algorithm, properties));
    if (!kdf) {
        throwOpenSsl(function + ": EVP_KDF_fetch(" + algorithm + ")");
    }
    const KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
    if (!ctx) {
        throwOpenSsl(function + ": EVP_KDF_CTX_new");
    }
    SecretBuffer out(outLen);
    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
        throwOpenSsl(function + ": EVP_KDF_derive");
    }
    return out;
}

}  // namespace

// ---- MACs and digests -----------------------------------------------------------------------

Bytes aesCmac(ByteView key, ByteView data) {
    const ByteView chunks[] = {data};
    return cmacOver("aesCmac", key, chunks);
}

Bytes hmacSha256(ByteView key, ByteView data) {
    const ByteView chunks[] = {data};
    Bytes tag(32);
    hmacSha256Over("hmacSha256", key, chunks, tag);
    return tag;
}

Bytes sha256(ByteView data) {
    const MdPtr md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    if (!md) {
        throwOpenSsl("sha256: EVP_MD_fetch(SHA256)");
    }
    Bytes digest(32);
    unsigned int written = 0;
    if (EVP_Digest(nonNull(data), data.size(), digest.data(), &written, md.get(), nullptr) != 1 ||
        written != digest.size()) {
        throwOpenSsl("sha256: EVP_Digest");
    }
    return digest;
}

void md5(std::span<const ByteView> chunks, std::span<std::uint8_t> out) {
    if (out.size() != kMd5Size) {
        throwInput("md5: output must be 16 bytes, got " + std::to_string(out.size()));
    }
    const MdPtr md(EVP_MD_fetch(nullptr, "MD5", nullptr));
    if (!md) {
        throwOpenSsl("md5: EVP_MD_fetch(MD5)");
    }
    const MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1) {
        throwOpenSsl("md5: EVP_DigestInit_ex2");
    }
    for (const ByteView chunk : chunks) {
        if (!chunk.empty() && EVP_DigestUpdate(ctx.get(), chunk.data(), chunk.size()) != 1) {
            throwOpenSsl("md5: EVP_DigestUpdate");
        }
    }
    unsigned int written = 0;
    if (EVP_DigestFinal_ex(ctx.get(), out.data(), &written) != 1 || written != kMd5Size) {
        throwOpenSsl("md5: EVP_DigestFinal_ex");
    }
}

Bytes md5(ByteView data) {
    const ByteView chunks[] = {data};
    Bytes digest(kMd5Size);
    md5(chunks, digest);
    return digest;
}

// ---- key derivation -------------------------------------------------------------------------

SecretBuffer kbkdfCounterCmac(ByteView key, ByteView label, ByteView context,
                              std::size_t outBytes) {
    requireSize("kbkdfCounterCmac", "key", key, 16);
    if (outBytes > (std::size_t{1} << 28)) {  // L = 8·outBytes must fit in 32 bits
        throwInput("kbkdfCounterCmac: output length too large");
    }
    const OSSL_PARAM params[] = {
        textParam(OSSL_KDF_PARAM_MODE, "counter"),
        textParam(OSSL_KDF_PARAM_MAC, "CMAC"),
        textParam(OSSL_KDF_PARAM_CIPHER, "AES-128-CBC"),
        octetParam(OSSL_KDF_PARAM_KEY, key),
        octetParam(OSSL_KDF_PARAM_SALT, label),    // SP 800-108 Label
        octetParam(OSSL_KDF_PARAM_INFO, context),  // SP 800-108 Context
        OSSL_PARAM_END,
    };
    return deriveKdf("kbkdfCounterCmac", "KBKDF", nullptr, params, outBytes);
}

SecretBuffer kdf33220(ByteView key, std::uint8_t fc, std::span<const ByteView> params) {
    // S = FC ‖ P0 ‖ L0 ‖ P1 ‖ L1 ‖ ..., fed to the MAC piece by piece (no copy of the Pi).
    std::vector<std::array<std::uint8_t, 2>> lengths(params.size());
    std::vector<ByteView> chunks;
    chunks.reserve(1 + 2 * params.size());
    const std::array<std::uint8_t, 1> fcByte{fc};
    chunks.emplace_back(fcByte);
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (params[i].size() > 0xFFFF) {
            throwInput("kdf33220: parameter P" + std::to_string(i) + " is longer than 65535 bytes");
        }
        lengths[i] = base::toBigEndian<2>(params[i].size());
        chunks.push_back(params[i]);
        chunks.emplace_back(lengths[i]);
    }
    SecretBuffer out(32);
    hmacSha256Over("kdf33220", key, chunks, out.mutableView());
    return out;
}

SecretBuffer kdf33220(ByteView key, std::uint8_t fc, std::initializer_list<ByteView> params) {
    return kdf33220(key, fc, std::span<const ByteView>(params.begin(), params.size()));
}

SecretBuffer tls12Prf(ByteView secret, std::string_view label, ByteView seed, std::size_t outLen) {
    // OpenSSL's TLS1-PRF takes label ‖ seed as its "seed" (public values, no secret in here).
    Bytes labelAndSeed;
    labelAndSeed.reserve(label.size() + seed.size());
    const ByteView labelBytes = asBytes(label);
    labelAndSeed.insert(labelAndSeed.end(), labelBytes.begin(), labelBytes.end());
    labelAndSeed.insert(labelAndSeed.end(), seed.begin(), seed.end());
    if (labelAndSeed.empty()) {
        throwInput("tls12Prf: label and seed are both empty");
    }
    const OSSL_PARAM params[] = {
        textParam(OSSL_KDF_PARAM_DIGEST, "SHA256"),
        octetParam(OSSL_KDF_PARAM_SECRET, secret),
        octetParam(OSSL_KDF_PARAM_SEED, labelAndSeed),
        OSSL_PARAM_END,
    };
    return deriveKdf("tls12Prf", "TLS1-PRF", kTlsPrfProperties, params, outLen);
}

SecretBuffer tlsPskPremaster(ByteView psk) {
    const std::size_t n = psk.size();
    if (n > 0xFFFF) {
        throwInput("tlsPskPremaster: PSK longer than 65535 bytes");
    }
    SecretBuffer premaster(2 * n + 4);  // zero-filled: the N zero bytes are already there
    std::uint8_t* out = premaster.data();
    const auto length = base::toBigEndian<2>(n);
    std::copy(length.begin(), length.end(), out);
    std::copy(length.begin(), length.end(), out + 2 + n);
    if (n != 0) {
        std::memcpy(out + 4 + n, psk.data(), n);
    }
    return premaster;
}

// ---- AES ------------------------------------------------------------------------------------

Bytes aesCbcEncrypt(ByteView key, ByteView iv, ByteView plaintext) {
    requireSize("aesCbcEncrypt", "key", key, 16);
    requireSize("aesCbcEncrypt", "IV", iv, kAesBlockSize);
    requireBlockMultiple("aesCbcEncrypt", plaintext);
    Bytes ciphertext(plaintext.size());
    aesCrypt("aesCbcEncrypt", "AES-128-CBC", true, key, iv.data(), plaintext, ciphertext);
    return ciphertext;
}

SecretBuffer aesCbcDecrypt(ByteView key, ByteView iv, ByteView ciphertext) {
    requireSize("aesCbcDecrypt", "key", key, 16);
    requireSize("aesCbcDecrypt", "IV", iv, kAesBlockSize);
    requireBlockMultiple("aesCbcDecrypt", ciphertext);
    SecretBuffer plaintext(ciphertext.size());
    aesCrypt("aesCbcDecrypt", "AES-128-CBC", false, key, iv.data(), ciphertext,
             plaintext.mutableView());
    return plaintext;
}

Bytes aesEcbEncryptBlock(ByteView key, ByteView block) {
    Bytes out(kAesBlockSize);
    aesEcbEncryptBlock(key, block, out);
    return out;
}

void aesEcbEncryptBlock(ByteView key, ByteView block, std::span<std::uint8_t> out) {
    const char* algorithm = aesName("aesEcbEncryptBlock", key, "AES-128-ECB", "AES-256-ECB");
    requireSize("aesEcbEncryptBlock", "block", block, kAesBlockSize);
    if (out.size() != kAesBlockSize) {
        throwInput("aesEcbEncryptBlock: output must be 16 bytes");
    }
    aesCrypt("aesEcbEncryptBlock", algorithm, true, key, nullptr, block, out);
}

Bytes keyCheckValue(ByteView key) {
    static_cast<void>(aesName("keyCheckValue", key, "AES-128", "AES-256"));  // checks the size
    const std::array<std::uint8_t, kAesBlockSize> zeros{};
    Bytes kcv = aesEcbEncryptBlock(key, zeros);
    kcv.resize(3);
    return kcv;
}

// ---- padding --------------------------------------------------------------------------------

SecretBuffer iso9797M2Pad(ByteView data, std::size_t blockSize) {
    if (blockSize == 0) {
        throwInput("iso9797M2Pad: block size must be greater than 0");
    }
    SecretBuffer padded((data.size() / blockSize + 1) * blockSize);  // zero-filled
    if (!data.empty()) {
        std::memcpy(padded.data(), data.data(), data.size());
    }
    padded.data()[data.size()] = 0x80;
    return padded;
}

ByteView iso9797M2Unpad(ByteView padded, std::size_t blockSize) {
    if (blockSize == 0) {
        throwInput("iso9797M2Unpad: block size must be greater than 0");
    }
    if (padded.empty() || padded.size() % blockSize != 0) {
        throwInput("iso9797M2Unpad: padded data of " + std::to_string(padded.size()) +
                   " bytes is not a non-empty multiple of " + std::to_string(blockSize));
    }
    // The padding lies inside the last block: zero or more 0x00 after one 0x80.
    std::size_t index = padded.size();
    const std::size_t lastBlockStart = padded.size() - blockSize;
    while (index > lastBlockStart && padded[index - 1] == 0x00) {
        --index;
    }
    if (index == lastBlockStart || padded[index - 1] != 0x80) {
        throwInput("iso9797M2Unpad: malformed ISO/IEC 9797-1 method 2 padding");
    }
    return padded.first(index - 1);
}

// ---- randomness and comparison ---------------------------------------------------------------

Bytes randomBytes(std::size_t n) {
    if (n > static_cast<std::size_t>(INT_MAX)) {
        throwInput("randomBytes: request too large");
    }
    Bytes out(n);
    if (n != 0 && RAND_priv_bytes(out.data(), static_cast<int>(n)) != 1) {
        throwOpenSsl("randomBytes: RAND_priv_bytes");
    }
    return out;
}

SecretBuffer randomSecret(std::size_t n) {
    if (n > static_cast<std::size_t>(INT_MAX)) {
        throwInput("randomSecret: request too large");
    }
    SecretBuffer out(n);
    if (n != 0 && RAND_priv_bytes(out.data(), static_cast<int>(n)) != 1) {
        throwOpenSsl("randomSecret: RAND_priv_bytes");
    }
    return out;
}

}  // namespace securechannel
