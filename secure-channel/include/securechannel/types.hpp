// Byte types of secure-channel: the project-wide ones from se-uicc.
#pragma once

#include <cstdint>
#include <string_view>

#include "seuicc/bytes.hpp"

namespace securechannel {

using seuicc::Bytes;
using seuicc::ByteView;

/// The bytes of an ASCII string (a KDF label, for instance), without a terminating NUL.
inline ByteView asBytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace securechannel
