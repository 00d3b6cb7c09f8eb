// The registry of per-handshake PSK handles (security-profile.md §3). Private to src/tls/.
//
// The PSK client callback registers a fresh random 32-byte handle bound to (card, slot) and gives
// libssl the handle in place of the key; the card PRF provider finds the handle again in the
// premaster of the master-secret derivation and asks that card for that slot.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>

#include "base/secret.hpp"
#include "securechannel/tls/card_keys.hpp"

namespace securechannel::tls::detail {

inline constexpr std::size_t kHandleSize = 32;

// A registered handle, as the provider sees it.
struct HandleEntry {
    SecretBuffer handle;
    CardKeyOperations* card = nullptr;  // null once the registration has ended
    seuicc::KeySlot slot = seuicc::KeySlot::Kmr;
    // Written and read on the thread that runs the transfer (libssl calls the provider from
    // inside SSL_connect, on the caller's stack), so no lock is needed.
    std::exception_ptr error;
    unsigned masterSecrets = 0;
};

// A fresh random handle bound to (card, slot) for as long as the object lives. Unregistered on
// destruction; the handle is wiped when the last reference to its entry (maybe a PRF context)
// goes. If the card failed inside a derivation, error() holds what it threw (OpenSSL's C frames
// must not see the exception; perform() rethrows it after curl returns).
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

private:
    std::shared_ptr<HandleEntry> entry_;
};

// The registered entry whose handle is `candidate` (kHandleSize bytes), or null.
std::shared_ptr<HandleEntry> findHandle(ByteView candidate);

}  // namespace securechannel::tls::detail
