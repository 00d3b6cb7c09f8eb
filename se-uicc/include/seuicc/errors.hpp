// Every failure the card library reports, as exception types callers can catch by meaning.
//
//   Error (a base::Error, like every error of the project)
//   ├── ApduFormatError, TlvError, AtrError             malformed input (ours or the card's)
//   ├── CardStatusError                                  the card answered with an error SW
//   └── PcscError                                        the PC/SC stack failed (code, name,
//   advice)
//       ├── PcscServiceUnavailable   pcscd not running / stopped
//       ├── PcscNoReaders            no reader at all
//       ├── PcscReaderNotFound       the named reader does not exist (or went away)
//       ├── PcscNoCard               no card in the reader
//       ├── PcscCardRemoved          the card was pulled
//       ├── PcscCardReset            someone reset or unpowered the card: session state is lost
//       ├── PcscTimeout              a PC/SC wait expired
//       ├── PcscSharingViolation     another process holds the card exclusively
//       └── PcscTransmitFailed       the exchange with the card broke down
//
// Status words are not exceptions by themselves: CardChannel::transmit returns them as values,
// and only code that needs 9000 turns a failure into CardStatusError (ResponseApdu::requireOk).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace seuicc {

class Error : public base::Error {
public:
    using base::Error::Error;
};

class ApduFormatError : public Error {
public:
    using Error::Error;
};

class TlvError : public Error {
public:
    using Error::Error;
};

class AtrError : public Error {
public:
    using Error::Error;
};

// A status word other than the one the operation needed.
class CardStatusError : public Error {
public:
    // `operation` says what was attempted, e.g. "SELECT EF_ICCID".
    CardStatusError(std::uint16_t sw, std::string_view operation);
    std::uint16_t sw() const { return sw_; }

private:
    std::uint16_t sw_;
};

// What a status word means (ISO 7816-4 and ETSI TS 102 221 §10.2). Never empty: unknown words
// get the meaning of their SW1 group.
std::string_view describeStatusWord(std::uint16_t sw);

// A failed PC/SC call. Construct through throwPcscError(), which picks the subclass.
class PcscError : public Error {
public:
    // `context` says what was attempted, e.g. "SCardConnect(\"vpcd 0\")".
    PcscError(long code, std::string_view context);
    long code() const { return code_; }
    // The constant's name, e.g. "SCARD_E_NO_SERVICE".
    std::string_view name() const { return name_; }
    // Plain words: what happened and what to do about it.
    std::string_view explanation() const { return explanation_; }

private:
    long code_;
    std::string_view name_;
    std::string_view explanation_;
};

class PcscServiceUnavailable : public PcscError {
public:
    using PcscError::PcscError;
};
class PcscNoReaders : public PcscError {
public:
    using PcscError::PcscError;
};
class PcscReaderNotFound : public PcscError {
public:
    using PcscError::PcscError;
};
class PcscNoCard : public PcscError {
public:
    using PcscError::PcscError;
};
class PcscCardRemoved : public PcscError {
public:
    using PcscError::PcscError;
};
class PcscCardReset : public PcscError {
public:
    using PcscError::PcscError;
};
class PcscTimeout : public PcscError {
public:
    using PcscError::PcscError;
};
class PcscSharingViolation : public PcscError {
public:
    using PcscError::PcscError;
};
class PcscTransmitFailed : public PcscError {
public:
    using PcscError::PcscError;
};

// The one place a PC/SC return code becomes an exception: throws the PcscError subclass the
// code maps to (see pcsc_errors.cpp for the table). `context` names the call.
[[noreturn]] void throwPcscError(long code, std::string_view context);

// Throws the mapped PcscError if `code` is not SCARD_S_SUCCESS.
void checkPcsc(long code, std::string_view context);

}  // namespace seuicc
