#include "card_prf_provider.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "base/log.hpp"
#include "base/text.hpp"
#include "psk_handles.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/errors.hpp"
#include "securechannel/tls/https_client.hpp"

namespace securechannel::tls::detail {

namespace {

using Entry = HandleEntry;

// ---- the premaster of a handle --------------------------------------------------------------

constexpr std::size_t kPremasterSize = 2 + kHandleSize + 2 + kHandleSize;

// RFC 4279 §2 with N = 32: uint16(32) ‖ 32 zero bytes ‖ uint16(32) ‖ psk. Returns the psk part
// when `secret` has that shape (a 32-byte PSK's premaster: a handle's, or a real key's).
std::optional<ByteView> pskOfPremaster(const void* data, std::size_t size) {
    if (data == nullptr || size != kPremasterSize) {
        return std::nullopt;
    }
    const auto* p = static_cast<const std::uint8_t*>(data);
    if (p[0] != 0x00 || p[1] != kHandleSize || p[2 + kHandleSize] != 0x00 ||
        p[3 + kHandleSize] != kHandleSize) {
        return std::nullopt;
    }
    if (!std::all_of(p + 2, p + 2 + kHandleSize, [](std::uint8_t b) { return b == 0; })) {
        return std::nullopt;
    }
    return ByteView(p + 4 + kHandleSize, kHandleSize);
}

constexpr std::string_view kMasterSecretLabel = "master secret";
constexpr std::string_view kExtendedMasterSecretLabel = "extended master secret";
constexpr std::size_t kMasterSecretSize = 48;

bool startsWith(const Bytes& seed, std::string_view label) {
    return seed.size() >= label.size() && std::memcmp(seed.data(), label.data(), label.size()) == 0;
}

bool isSha256(std::string_view digest) {
    return base::equalsIgnoreCase(digest, "SHA256") || base::equalsIgnoreCase(digest, "SHA2-256") ||
           base::equalsIgnoreCase(digest, "SHA-256");
}

// ---- the provider's TLS1-PRF ----------------------------------------------------------------

struct PrfContext {
    EVP_KDF_CTX* inner = nullptr;  // the default provider's TLS1-PRF: gets every parameter
    std::shared_ptr<Entry> card;   // set when the secret is a registered handle's premaster
    Bytes seed;                    // label ‖ seed, concatenated as TLS1-PRF does (public)
    std::string digest;
};

EVP_KDF_CTX* newDefaultPrf() {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_TLS1_PRF, "provider=default");
    if (kdf == nullptr) {
        return nullptr;
    }
    EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);  // the context keeps its own reference
    return ctx;
}

void* prfNew(void* /*provctx*/) {
    EVP_KDF_CTX* inner = newDefaultPrf();
    if (inner == nullptr) {
        return nullptr;
    }
    auto* ctx = new (std::nothrow) PrfContext();
    if (ctx == nullptr) {
        EVP_KDF_CTX_free(inner);
        return nullptr;
    }
    ctx->inner = inner;
    return ctx;
}

void prfFree(void* vctx) {
    auto* ctx = static_cast<PrfContext*>(vctx);
    if (ctx != nullptr) {
        EVP_KDF_CTX_free(ctx->inner);
        delete ctx;
    }
}

void* prfDup(void* vsrc) {
    const auto* src = static_cast<const PrfContext*>(vsrc);
    EVP_KDF_CTX* inner = EVP_KDF_CTX_dup(src->inner);
    if (inner == nullptr) {
        return nullptr;
    }
    try {
        auto* ctx = new PrfContext(*src);
        ctx->inner = inner;
        return ctx;
    } catch (...) {
        EVP_KDF_CTX_free(inner);
        return nullptr;
    }
}

void prfReset(void* vctx) {
    auto* ctx = static_cast<PrfContext*>(vctx);
    EVP_KDF_CTX_reset(ctx->inner);
    ctx->card.reset();
    ctx->seed.clear();
    ctx->digest.clear();
}

int prfSetParams(void* vctx, const OSSL_PARAM params[]) {
    auto* ctx = static_cast<PrfContext*>(vctx);
    if (params == nullptr) {
        return 1;
    }
    try {
        if (const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_KDF_PARAM_SECRET)) {
            const auto psk = pskOfPremaster(p->data, p->data_size);
            ctx->card = psk ? findHandle(*psk) : nullptr;
        }
        if (const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_KDF_PARAM_DIGEST)) {
            const char* name = nullptr;
            if (OSSL_PARAM_get_utf8_string_ptr(p, &name) == 0) {
                return 0;
            }
            ctx->digest = name;
        }
        // Like the default TLS1-PRF: every SEED parameter is appended (libssl passes the label
        // and up to four seed parts, some of them empty).
        for (const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_KDF_PARAM_SEED);
             p != nullptr; p = OSSL_PARAM_locate_const(p + 1, OSSL_KDF_PARAM_SEED)) {
            if (p->data_type != OSSL_PARAM_OCTET_STRING) {
                return 0;
            }
            if (p->data != nullptr && p->data_size != 0) {
                const auto* bytes = static_cast<const std::uint8_t*>(p->data);
                ctx->seed.insert(ctx->seed.end(), bytes, bytes + p->data_size);
            }
        }
    } catch (...) {
        return 0;
    }
    return EVP_KDF_CTX_set_params(ctx->inner, params);
}

// The card's part. Never lets an exception out: it is kept in the handle's entry and the
// derivation fails, which makes libssl abort the handshake.
int deriveWithCard(PrfContext& ctx, unsigned char* key, std::size_t keylen) {
    Entry& entry = *ctx.card;
    auto log = base::log::kTls;
    try {
        if (entry.card == nullptr) {
            throw CardFailure("TLS1-PRF for a handle whose transfer has ended");
        }
        seuicc::MasterSecretMode mode{};
        std::size_t labelSize = 0;
        if (startsWith(ctx.seed, kExtendedMasterSecretLabel)) {
            mode = seuicc::MasterSecretMode::Extended;
            labelSize = kExtendedMasterSecretLabel.size();
        } else if (startsWith(ctx.seed, kMasterSecretLabel)) {
            mode = seuicc::MasterSecretMode::Plain;
            labelSize = kMasterSecretLabel.size();
        } else {
            // The handle's premaster is only ever used for the master secret; anything else
            // would compute with the handle as if it were a key.
            throw CardFailure("TLS1-PRF with a card-held PSK's premaster for another label");
        }
        if (keylen != kMasterSecretSize || !isSha256(ctx.digest)) {
            throw CardFailure("TLS1-PRF for a card-held PSK: the card computes a 48-byte " +
                              std::string("P_SHA256 master secret, libssl asked for ") +
                              std::to_string(keylen) + " bytes with " + ctx.digest);
        }
        const ByteView rest(ctx.seed.data() + labelSize, ctx.seed.size() - labelSize);
        log->debug("master secret from the card: slot {}, {}, seed {} bytes",
                   static_cast<int>(entry.slot),
                   mode == seuicc::MasterSecretMode::Extended ? "extended" : "plain", rest.size());
        const SecretBuffer master = entry.card->computeMasterSecret(entry.slot, mode, rest);
        if (master.size() != kMasterSecretSize) {
            throw CardFailure("the card returned a master secret of " +
                              std::to_string(master.size()) + " bytes");
        }
        std::memcpy(key, master.data(), kMasterSecretSize);
        ++entry.masterSecrets;
        return 1;
    } catch (...) {
        if (!entry.error) {
            entry.error = std::current_exception();
        }
        log->debug("master secret from the card failed; the handshake is aborted");
        return 0;
    }
}

int prfDerive(void* vctx, unsigned char* key, std::size_t keylen, const OSSL_PARAM params[]) {
    auto* ctx = static_cast<PrfContext*>(vctx);
    if (prfSetParams(ctx, params) == 0) {
        return 0;
    }
    if (ctx->card) {
        return deriveWithCard(*ctx, key, keylen);
    }
    return EVP_KDF_derive(ctx->inner, key, keylen, nullptr);
}

int prfGetParams(void* vctx, OSSL_PARAM params[]) {
    auto* ctx = static_cast<PrfContext*>(vctx);
    return EVP_KDF_CTX_get_params(ctx->inner, params);
}

const OSSL_PARAM* prfSettable(void* /*ctx*/, void* /*provctx*/) {
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_PROPERTIES, nullptr, 0),
        OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST, nullptr, 0),
        OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SECRET, nullptr, 0),
        OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SEED, nullptr, 0),
        OSSL_PARAM_END,
    };
    return settable;
}

const OSSL_PARAM* prfGettable(void* /*ctx*/, void* /*provctx*/) {
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_size_t(OSSL_KDF_PARAM_SIZE, nullptr),
        OSSL_PARAM_END,
    };
    return gettable;
}

template <typename F>
void (*fn(F* f))(void) {
    return reinterpret_cast<void (*)(void)>(f);
}

const OSSL_DISPATCH kPrfFunctions[] = {
    {OSSL_FUNC_KDF_NEWCTX, fn(&prfNew)},
    {OSSL_FUNC_KDF_DUPCTX, fn(&prfDup)},
    {OSSL_FUNC_KDF_FREECTX, fn(&prfFree)},
    {OSSL_FUNC_KDF_RESET, fn(&prfReset)},
    {OSSL_FUNC_KDF_DERIVE, fn(&prfDerive)},
    {OSSL_FUNC_KDF_SETTABLE_CTX_PARAMS, fn(&prfSettable)},
    {OSSL_FUNC_KDF_SET_CTX_PARAMS, fn(&prfSetParams)},
    {OSSL_FUNC_KDF_GETTABLE_CTX_PARAMS, fn(&prfGettable)},
    {OSSL_FUNC_KDF_GET_CTX_PARAMS, fn(&prfGetParams)},
    {0, nullptr},
};

const OSSL_ALGORITHM kKdfs[] = {
    {OSSL_KDF_NAME_TLS1_PRF, "provider=m2mcard", kPrfFunctions,
     "TLS1-PRF with card-held PSKs (security-profile §3)"},
    {nullptr, nullptr, nullptr, nullptr},
};

const OSSL_ALGORITHM* queryOperation(void* /*provctx*/, int operation, int* noCache) {
    *noCache = 0;
    return operation == OSSL_OP_KDF ? kKdfs : nullptr;
}

const OSSL_DISPATCH kProviderFunctions[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, fn(&queryOperation)},
    {0, nullptr},
};

int providerInit(const OSSL_CORE_HANDLE* /*core*/, const OSSL_DISPATCH* /*in*/,
                 const OSSL_DISPATCH** out, void** provctx) {
    static int context = 0;  // nothing per provider instance; OpenSSL wants a non-null pointer
    *out = kProviderFunctions;
    *provctx = &context;
    return 1;
}

[[noreturn]] void throwOpenSsl(const std::string& what) {
    std::string message = what;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        message += ": ";
        message += text;
    }
    throw CryptoError(message);
}

}  // namespace

void ensureCardPrfProvider() {
    static std::once_flag once;
    std::call_once(once, [] {
        static_assert(std::string_view("m2mcard") == std::string_view(kCardProviderName));
        if (OSSL_PROVIDER_add_builtin(nullptr, kCardProviderName, &providerInit) == 0) {
            throwOpenSsl("OSSL_PROVIDER_add_builtin(m2mcard)");
        }
        // Both stay loaded for the life of the process (kept here, so leak checkers see them
        // as reachable). Loading any provider explicitly stops OpenSSL from loading "default"
        // on its own, hence both.
        static OSSL_PROVIDER* defaultProvider = OSSL_PROVIDER_load(nullptr, "default");
        if (defaultProvider == nullptr) {
            throwOpenSsl("OSSL_PROVIDER_load(default)");
        }
        static OSSL_PROVIDER* cardProvider = OSSL_PROVIDER_load(nullptr, kCardProviderName);
        if (cardProvider == nullptr) {
            throwOpenSsl("OSSL_PROVIDER_load(m2mcard)");
        }
        if (EVP_set_default_properties(nullptr, "?provider=m2mcard") == 0) {
            throwOpenSsl("EVP_set_default_properties(?provider=m2mcard)");
        }
        base::log::kTls->debug("OpenSSL provider m2mcard loaded (TLS1-PRF)");
    });
}

}  // namespace securechannel::tls::detail
