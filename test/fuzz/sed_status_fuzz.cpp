// The M2M-SED's GET DATA answer (SedStatus::parse, se-uicc/src/sed_status.cpp). Malformed data
// must be a SedMalformedResponse.
#include <cstdint>

#include "fuzz_support.hpp"
#include "seuicc/sed_errors.hpp"
#include "seuicc/sed_status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    try {
        const seuicc::SedStatus status = seuicc::SedStatus::parse(fuzz::bytes(data, size));
        static_cast<void>(seuicc::toString(status.lifecycle));
    } catch (const seuicc::SedMalformedResponse&) {
    }
    return 0;
}
