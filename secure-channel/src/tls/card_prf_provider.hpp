// The in-process OpenSSL provider of security-profile.md §3 and the registry of per-handshake
// handles it recognises. Private to src/tls/: only the PSK HTTPS client hands out handles.
//
// The PSK client callback gives libssl a random 32-byte handle instead of the key. libssl then
// derives the master secret with TLS1-PRF over the premaster uint16(32) ‖ 32×00 ‖ uint16(32) ‖
// handle; this provider's TLS1-PRF sees that premaster, finds the handle in the registry and asks
// the card. Every other TLS1-PRF call goes to the default provider unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>

#include "base/secret.hpp"
#include "securechannel/tls/card_keys.hpp"

namespace securechannel::tls::detail {

inline constexpr std::size_t kHandleSize = 32;
inline constexpr const char* kCardProviderName = "m2mcard";

// Adds the provider to the default library context, loads it next to "default" and makes it the
// preferred implementation ("?provider=m2mcard"). Once per process; safe from any thread.
// Throws CryptoError if OpenSSL refuses.
void ensureCardPrfProvider();

// A fresh random handle bound to (card, slot) for as long as the object lives. Unregistered and
// wiped on destruction. If the card failed inside a derivation, error() holds what it threw
// (OpenSSL's C frames must not see the exception; perform() rethrows it after curl returns).
class HandleRegistration {
public:
    HandleRegistration(CardKeyOperations& card, seuicc::KeySlot slot);
    ~HandleRegistration();
    HandleRegistration(const HandleRegistration&) = delete;
    HandleRegistration& operator=(const HandleRegistration&) = delete;

    [[nodiscard]] ByteView handle() const;
    [[nodiscard]] std::exception_ptr error() const;
    // Master secrets the card computed for this handle.
    [[nodiscard]] unsigned masterSecrets() const;

    struct Entry;

private:
    std::shared_ptr<Entry> entry_;
};

}  // namespace securechannel::tls::detail
