// Typed errors of secure-channel. Messages never contain key bytes or key-file content.
#pragma once

#include "base/error.hpp"

namespace securechannel {

/// Base of every error secure-channel throws; a base::Error like every error of the project.
class Error : public base::Error {
public:
    using base::Error::Error;
};

/// A cryptographic operation failed or was called with malformed input (wrong key length, input not
/// a multiple of the block size, bad padding). Carries the OpenSSL error string where there is one.
class CryptoError : public Error {
public:
    using Error::Error;
};

/// A key file could not be used. The message names the file and says what to do about it.
class KeyFileError : public Error {
public:
    using Error::Error;
};

}  // namespace securechannel
