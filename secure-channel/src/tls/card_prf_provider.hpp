// The in-process OpenSSL provider of security-profile.md §3. Private to src/tls/.
//
// libssl derives the master secret of a PSK suite with TLS1-PRF over the premaster
// uint16(32) ‖ 32×00 ‖ uint16(32) ‖ psk. Where the PSK client callback gave it a registered handle
// (psk_handles.hpp) instead of a key, this provider's TLS1-PRF sees that premaster, finds the
// handle and asks the card for the master secret. Every other TLS1-PRF call goes to the default
// provider unchanged.
#pragma once

namespace securechannel::tls::detail {

inline constexpr const char* kCardProviderName = "m2mcard";

// Adds the provider to the default library context, loads it next to "default" and makes it the
// preferred implementation ("?provider=m2mcard"). Once per process; safe from any thread.
// Throws CryptoError if OpenSSL refuses.
void ensureCardPrfProvider();

}  // namespace securechannel::tls::detail
