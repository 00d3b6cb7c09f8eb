// Typed errors of the TS 102 484 terminal endpoint. Messages never contain key bytes.
//
//   securechannel::Error
//   └── SecureChannelError            (sw(): the card's status word, when one caused it)
//       ├── SecuredMessageRejected    a secured message (TLV 86) failed verification: reason()
//       ├── ProtocolError             the card broke the command coding (chaining, TLVs, SWs)
//       ├── EndpointUnsupported       no endpoint this terminal can use (capabilities, key)
//       ├── CardRefused               an MSC step got an error status word (6A80, 6A88...)
//       │   └── MasterSaUnknown       the card does not know the MSA_ID (6A88 on a connection SA)
//       ├── AuthenticationFailed      a wrong UICC SSCMAC, or the card's 9862 (wrong Kmsa/MAC)
//       ├── SessionExpired            the session's lifetime is over, or the card's 9863
//       ├── ChannelBroken             the session is dead; a new connection SA is needed
//       └── MasterSaRecordError       a remembered master SA's text form is malformed
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "securechannel/errors.hpp"

namespace securechannel {

class SecureChannelError : public Error {
public:
    explicit SecureChannelError(const std::string& message,
                                std::optional<std::uint16_t> sw = std::nullopt)
        : Error(message), sw_(sw) {}
    // The status word the card answered, when the error comes from one.
    std::optional<std::uint16_t> sw() const { return sw_; }

private:
    std::optional<std::uint16_t> sw_;
};

class SecuredMessageRejected : public SecureChannelError {
public:
    enum class Reason {
        Malformed,  // not a TLV 86, too short, not whole blocks, block sequence or size wrong
        Counter,    // counter not greater than the last one accepted (replay, reordering)
        Mac,        // MAC mismatch (tampered counter, header, ciphertext or MAC)
        Padding,    // ISO/IEC 9797-1 method 2 padding wrong after a valid MAC
    };
    SecuredMessageRejected(Reason reason, const std::string& message)
        : SecureChannelError(message), reason_(reason) {}
    Reason reason() const { return reason_; }

private:
    Reason reason_;
};
std::string_view toString(SecuredMessageRejected::Reason reason);

class ProtocolError : public SecureChannelError {
public:
    using SecureChannelError::SecureChannelError;
};

class EndpointUnsupported : public SecureChannelError {
public:
    using SecureChannelError::SecureChannelError;
};

class CardRefused : public SecureChannelError {
public:
    using SecureChannelError::SecureChannelError;
};

// The connection SA named an MSA_ID the card does not know (any more): another program made a
// new master SA, Kmsa was re-personalised, or it is another card. A new master SA is needed.
class MasterSaUnknown : public CardRefused {
public:
    using CardRefused::CardRefused;
};

class AuthenticationFailed : public SecureChannelError {
public:
    using SecureChannelError::SecureChannelError;
};

class SessionExpired : public SecureChannelError {
public:
    using SecureChannelError::SecureChannelError;
};

class ChannelBroken : public SecureChannelError {
public:
    using SecureChannelError::SecureChannelError;
};

// The text form of a master SA record (ts102484::MasterSaRecord::fromText) is not one this
// version reads.
class MasterSaRecordError : public SecureChannelError {
public:
    using SecureChannelError::SecureChannelError;
};

}  // namespace securechannel
