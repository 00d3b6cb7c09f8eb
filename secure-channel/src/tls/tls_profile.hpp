// The TLS settings of security-profile.md §3, fixed and never configurable: TLS 1.2 only; the
// PSK suites 0x00AE and 0x00A8 first, 0x008C last; no certificate suite, ever. Private to
// src/tls/: the SSL_CTX and the curl handle are set from here, and every negotiated session is
// checked against it.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "securechannel/tls/https_client.hpp"

namespace securechannel::tls::detail {

inline constexpr const char* kCipherList =
    "PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA";
inline constexpr std::array<std::uint16_t, 3> kCipherIds{0x00AE, 0x00A8, 0x008C};
inline constexpr const char* kProtocol = "TLSv1.2";

// Whether a negotiated session is one the profile allows (checked again after each handshake).
inline bool withinProfile(const TlsSummary& session) {
    return session.protocol == kProtocol &&
           std::find(kCipherIds.begin(), kCipherIds.end(), session.cipherId) != kCipherIds.end();
}

}  // namespace securechannel::tls::detail
