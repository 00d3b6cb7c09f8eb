// Command and response APDUs (ISO/IEC 7816-4 §5.1): the four cases, short and extended length.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "seuicc/types.hpp"

namespace seuicc {

// Case 1: no data, no response data. Case 2: response data only. Case 3: command data only.
// Case 4: both.
enum class ApduCase { Case1, Case2, Case3, Case4 };

struct CommandApdu {
    std::uint8_t cla = 0;
    std::uint8_t ins = 0;
    std::uint8_t p1 = 0;
    std::uint8_t p2 = 0;
    Bytes data;                       // Nc = data.size(): 0..65535
    std::optional<std::uint32_t> le;  // Ne: 1..256 short, up to 65536 extended; absent = none

    // The largest Ne of each form: Le byte 00 means 256, Le bytes 0000 mean 65536.
    static constexpr std::uint32_t kMaxShortNe = 256;
    static constexpr std::uint32_t kMaxExtendedNe = 65536;

    ApduCase apduCase() const;
    // Extended length is needed when Nc > 255 or Ne > 256; Lc and Le then both use it.
    bool isExtended() const;
    // The bytes on the wire. Throws ApduFormatError if Nc or Ne is out of range.
    Bytes encode() const;
    // Where the data field starts in encode() (for traces that must hide it).
    std::size_t dataOffset() const;
    // Decodes any short or extended form. Throws ApduFormatError when the length fields do not
    // agree with the size of `bytes`.
    static CommandApdu parse(ByteView bytes);
};

struct ResponseApdu {
    Bytes data;
    std::uint16_t sw = 0;

    std::uint8_t sw1() const { return static_cast<std::uint8_t>(sw >> 8); }
    std::uint8_t sw2() const { return static_cast<std::uint8_t>(sw & 0xFF); }
    bool ok() const { return sw == 0x9000; }
    // Throws CardStatusError naming `operation` unless the status word is 9000.
    const ResponseApdu& requireOk(std::string_view operation) const;

    // The last two bytes are SW1 SW2. Throws ApduFormatError on fewer than two bytes.
    static ResponseApdu parse(ByteView bytes);
    Bytes encode() const;
};

}  // namespace seuicc
