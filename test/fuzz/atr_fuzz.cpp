// The ATR (se-uicc/src/atr.cpp): Atr::parse on any bytes, then what `m2m card info` shows of it.
// A malformed ATR must be an AtrError.
#include <cstdint>

#include "fuzz_support.hpp"
#include "seuicc/atr.hpp"
#include "seuicc/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    try {
        const seuicc::Atr atr = seuicc::Atr::parse(fuzz::bytes(data, size));
        static_cast<void>(atr.describe());
        static_cast<void>(atr.secureChannelSupported());
        static_cast<void>(atr.platformSecuredApduRequired());
    } catch (const seuicc::AtrError&) {
    }
    return 0;
}
