// The base vocabulary (se-uicc/base) as the card library spells it inside its own namespace.
#pragma once

#include "base/bytes.hpp"

namespace seuicc {

using base::Bytes;
using base::ByteView;
using base::fromHex;
using base::toHex;

}  // namespace seuicc
