// How se-uicc asks for a protected exchange with a card application without knowing the crypto:
// the typed card clients take a SecureTunnel& for every command that must not travel in clear,
// and secure-channel supplies the implementation (the TS 102 484 session, TRANSACT DATA).
// Layering (architecture.md): secure-channel depends on se-uicc, never the reverse.
#pragma once

#include "seuicc/apdu.hpp"
#include "seuicc/transport.hpp"

namespace seuicc {

class SecureTunnel {
public:
    SecureTunnel() = default;
    virtual ~SecureTunnel() = default;
    // A tunnel is a live association with a card: it is neither copied nor moved (C.21).
    SecureTunnel(const SecureTunnel&) = delete;
    SecureTunnel& operator=(const SecureTunnel&) = delete;
    SecureTunnel(SecureTunnel&&) = delete;
    SecureTunnel& operator=(SecureTunnel&&) = delete;

    // Sends `inner` (a short-form command APDU for the application at the other end) protected,
    // and returns the application's response, verified and decrypted. The status word of the
    // result is the inner one, as a value: 6A88 from the application is an answer, not an
    // exception. Failures of the tunnel itself (a broken or expired session, a rejected MAC, a
    // lost card) are thrown by the implementation. `transaction` must hold the card's transport.
    //
    // The inner Le is the response data the caller expects (absent: none, only the status word).
    // State it exactly when the command's answer has a fixed size: the tunnel then knows the size
    // of the protected response before it asks for it, and a T=0 card answers without a 6Cxx
    // round. A shorter answer (an inner error status word) costs that round, nothing more.
    virtual ResponseApdu transmit(const Transaction& transaction, const CommandApdu& inner) = 0;
};

}  // namespace seuicc
