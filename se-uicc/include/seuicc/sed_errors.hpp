// The M2M-SED's status words as typed errors (se-uicc/applet/M2M-SED.md §2-§4), and its other
// failures: a card answer that breaks the contract, an argument refused before sending.
//
//
//   SedError (CardStatusError: sw(), the operation in the message)
//   ├── SedNotInstalled            6A82 on SELECT: no M2M-SED on this card
//   ├── AdminCodeRejected          63Cx on VERIFY ADMIN: triesLeft() = x
//   ├── AdminBlocked               6983: the administrative code is blocked
//   ├── SedSecurityNotSatisfied    6982: no VERIFY ADMIN yet, or an operational command in clear
//   ├── SedWrongState              6985 (conditions of use not satisfied), by command:
//   │   ├── SedLocked                STORE DATA, VERIFY ADMIN: the applet is LOCKED
//   │   ├── SedIncomplete            COMMIT: a mandatory item is missing (or the applet is LOCKED)
//   │   ├── SedNotPersonalised       COMPUTE MASTER SECRET: the applet is still blank
//   │   ├── SedNoMasterSecret        DERIVE EXPORTED KEY: no master secret, or from the wrong slot
//   │   ├── SedNoPendingKey          ACTIVATE KEY: nothing derived to activate
//   │   └── SedNoGbaBootstrap        SET KEY FROM GBA: the USIM has no Ks yet
//   ├── SedWrongData               6A80: wrong length or unknown tag in the data
//   ├── SedKeyMissing              6A88: the key slot (or referenced data) is empty
//   ├── SedWrongParameters         6A86 / 6B00: P1-P2 not supported
//   ├── SedWrongLength             6700
//   └── SedNotSupported            6D00 / 6E00: INS or CLA not supported
// Any other status word: SedError itself.
#pragma once

#include <cstdint>
#include <string_view>

#include "seuicc/errors.hpp"

namespace seuicc {

class SedError : public CardStatusError {
public:
    using CardStatusError::CardStatusError;
};
class SedNotInstalled : public SedError {
public:
    using SedError::SedError;
};
class AdminCodeRejected : public SedError {
public:
    AdminCodeRejected(std::uint16_t sw, std::string_view operation)
        : SedError(sw, operation), triesLeft_(static_cast<unsigned>(sw & 0x0F)) {}
    unsigned triesLeft() const { return triesLeft_; }

private:
    unsigned triesLeft_;
};
class AdminBlocked : public SedError {
public:
    using SedError::SedError;
};
class SedSecurityNotSatisfied : public SedError {
public:
    using SedError::SedError;
};
class SedWrongState : public SedError {
public:
    using SedError::SedError;
};
class SedLocked : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedIncomplete : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedNotPersonalised : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedNoMasterSecret : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedNoPendingKey : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedNoGbaBootstrap : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class SedWrongData : public SedError {
public:
    using SedError::SedError;
};
class SedKeyMissing : public SedError {
public:
    using SedError::SedError;
};
class SedWrongParameters : public SedError {
public:
    using SedError::SedError;
};
class SedWrongLength : public SedError {
public:
    using SedError::SedError;
};
class SedNotSupported : public SedError {
public:
    using SedError::SedError;
};

// The card's data does not follow M2M-SED.md (a GET DATA field of the wrong size, a master
// secret that is not 48 bytes...). Not a status word.
class SedMalformedResponse : public Error {
public:
    using Error::Error;
};

// An argument the client refuses before anything is sent (wrong key size, SCL-ID too long...).
class SedInvalidArgument : public Error {
public:
    using Error::Error;
};
}  // namespace seuicc
