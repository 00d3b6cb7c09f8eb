// The error family of integrity validation (FORMATS.md). Each names what failed in words a person
// can act on; none carries key material or the input's bytes.
#pragma once

#include "base/error.hpp"

namespace integrity {

class Error : public base::Error {
public:
    using base::Error::Error;
};

// The input does not follow the format: not CBOR, not deterministic, a wrong type, a field
// missing or out of range, trailing bytes, a size limit exceeded.
class MalformedInput : public Error {
public:
    using Error::Error;
};

// Well-formed, but the ES256 signature does not verify under the key given.
class SignatureInvalid : public Error {
public:
    using Error::Error;
};

// A manifest whose version is not greater than the one held (no rollback of policy).
class VersionNotNewer : public Error {
public:
    using Error::Error;
};

// A report or decision that answers another challenge, node or counter (replay, mix-up).
class NotFresh : public Error {
public:
    using Error::Error;
};

// A key or certificate that cannot be used: not P-256, not a public key, a broken chain.
class KeyError : public Error {
public:
    using Error::Error;
};

}  // namespace integrity
