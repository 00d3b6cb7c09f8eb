// What one perform() observes while curl runs it: the OpenSSL callbacks (ssl_context.cpp) and
// the curl callbacks (curl_easy.cpp) write into it, the client and the error mapping
// (transfer_errors.cpp) read it afterwards. Private to src/tls/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "psk_handles.hpp"
#include "securechannel/tls/https_client.hpp"
#include "seuicc/m2m_sed_client.hpp"

namespace securechannel::tls::detail {

struct Transfer {
    const PskKey* key = nullptr;
    CardKeyOperations* card = nullptr;
    std::size_t maxBody = 0;
    const char* cipherList = nullptr;  // ClientOptions::onlyCipherSuite applied (tls_profile.hpp)
    std::vector<std::unique_ptr<HandleRegistration>> handles;
    std::string callbackFailure;  // why the PSK callback refused (no secret in here)

    unsigned handshakes = 0;
    bool serverHelloSeen = false;
    std::optional<int> fatalAlertReceived;
    std::array<std::uint8_t, seuicc::M2mSedClient::kRandomSize> clientRandom{};
    std::array<std::uint8_t, seuicc::M2mSedClient::kRandomSize> serverRandom{};
    TlsSummary summary;  // of the handshake, when there was one

    // The HTTP response as the curl callbacks collect it (curl_easy.cpp). The fields above are
    // the PSK profile's: a transfer of CertHttpClient leaves them as they are (key null).
    std::string body;
    bool bodyTooLarge = false;
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercase, in order
};

}  // namespace securechannel::tls::detail
