// How a request that failed becomes the typed error of https_client.hpp, for both clients: the
// card's own failure first (it is why the handshake broke), then curl's result code and, with
// the PSK profile, the TLS alert the server sent. Only public facts go into a message: the URL, the
// identity, the alert, curl's text. Private to src/tls/.
#pragma once

#include <string>

#include <curl/curl.h>

namespace securechannel::tls::detail {

struct Transfer;

// If the card failed inside the handshake: rethrows what it threw (CardFailure when that was
// not even a std::exception). Returns otherwise.
void rethrowCardFailure(const Transfer& transfer, const std::string& url);

// ConnectFailed, ResponseTooLarge or TransferFailed for a transfer curl ended with `code` (not
// CURLE_OK); with the PSK profile (transfer.key set) also PskRejected, NoSharedCipher or
// HandshakeFailed. `curlText` is curl's
// error buffer (may be empty); `connected`: a TCP connection was made.
[[noreturn]] void throwTransferError(const Transfer& transfer, CURLcode code,
                                     const std::string& url, const std::string& curlText,
                                     bool connected);

}  // namespace securechannel::tls::detail
