// The TLS settings of security-profile.md §3, fixed and never configurable: TLS 1.2 only; the
// PSK suites 0x00AE and 0x00A8 first, 0x008C last; no certificate suite, ever. Private to
// src/tls/: the SSL_CTX and the curl handle are set from here, and every negotiated session is
// checked against it.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "securechannel/tls/https_client.hpp"

namespace securechannel::tls::detail {

inline constexpr const char* kCipherList =
    "PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA";
inline constexpr std::array<std::uint16_t, 3> kCipherIds{0x00AE, 0x00A8, 0x008C};
inline constexpr std::array<const char*, 3> kCipherNames{
    "PSK-AES128-CBC-SHA256", "PSK-AES128-GCM-SHA256", "PSK-AES128-CBC-SHA"};
inline constexpr const char* kProtocol = "TLSv1.2";

// The OpenSSL cipher list to offer: the profile's, or only `suite` (one of kCipherIds); nullptr
// for a suite outside the profile.
inline const char* cipherListFor(const std::optional<std::uint16_t>& suite) {
    if (!suite) {
        return kCipherList;
    }
    const auto* at = std::find(kCipherIds.begin(), kCipherIds.end(), *suite);
    return at == kCipherIds.end() ? nullptr : kCipherNames[at - kCipherIds.begin()];
}

// Whether a negotiated session is one the profile allows (checked again after each handshake).
inline bool withinProfile(const TlsSummary& session) {
    return session.protocol == kProtocol &&
           std::find(kCipherIds.begin(), kCipherIds.end(), session.cipherId) != kCipherIds.end();
}

}  // namespace securechannel::tls::detail
