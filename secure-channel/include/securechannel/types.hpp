// The base vocabulary (se-uicc/base) as secure-channel spells it inside its own namespace.
#pragma once

#include "base/bytes.hpp"
#include "base/secret.hpp"

namespace securechannel {

using base::asBytes;
using base::Bytes;
using base::ByteView;
using base::constantTimeEqual;
using base::SecretBuffer;

}  // namespace securechannel
