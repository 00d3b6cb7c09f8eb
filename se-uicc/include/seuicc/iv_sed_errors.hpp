// The IV-SED's status words as typed errors (se-uicc/applet/IV-SED.md §3-§4). The words it
// shares with the M2M-SED (admin code, security status, lengths, parameters) keep the M2M-SED's
// types (sed_errors.hpp); the IV-SED's own meanings derive from them where they refine one:
//
//   SedError (CardStatusError: sw(), the operation in the message)
//   ├── SedNotInstalled
//   │   └── IvSedNotInstalled      6A82 on SELECT: no IV-SED on this card
//   ├── SedWrongState
//   │   └── IvWrongState           6985: not personalised, LOCKED, incomplete COMMIT, no
//   │                              manifest (COMPARE, SIGN REPORT), no report (VERIFY DECISION)
//   ├── SedWrongData
//   │   └── IvMalformed            6A80: a manifest, decision or submods map that is not the
//   │                              format, a point not on P-256, a COMPARE index beyond the
//   manifest ├── IvSignatureInvalid         6300: the manifest's or decision's ES256 signature is
//   wrong ├── IvVersionNotNewer          6984 on INSTALL MANIFEST: version not above the held one
//   ├── IvDecisionNotFresh         6984 on VERIFY DECISION: node, nonce or counter not the last
//   │                              report's
//   └── IvTooLarge                 6A84: the input buffer (4096 bytes) would overflow, or a report
//                                  with submods the output buffer (3072 bytes)
// plus AdminCodeRejected, AdminBlocked, SedSecurityNotSatisfied, SedWrongParameters,
// SedWrongLength, SedNotSupported as for the M2M-SED. A card answer that breaks the contract:
// IvMalformedResponse.
#pragma once

#include "seuicc/sed_errors.hpp"

namespace seuicc {

class IvSedNotInstalled : public SedNotInstalled {
public:
    using SedNotInstalled::SedNotInstalled;
};
class IvWrongState : public SedWrongState {
public:
    using SedWrongState::SedWrongState;
};
class IvMalformed : public SedWrongData {
public:
    using SedWrongData::SedWrongData;
};
class IvSignatureInvalid : public SedError {
public:
    using SedError::SedError;
};
class IvVersionNotNewer : public SedError {
public:
    using SedError::SedError;
};
class IvDecisionNotFresh : public SedError {
public:
    using SedError::SedError;
};
class IvTooLarge : public SedError {
public:
    using SedError::SedError;
};
class IvMalformedResponse : public SedMalformedResponse {
public:
    using SedMalformedResponse::SedMalformedResponse;
};

}  // namespace seuicc
