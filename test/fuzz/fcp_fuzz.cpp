// The file system answers of a UICC (se-uicc/src/fcp.cpp, uicc.cpp): the FCP template a SELECT
// returns, an EF_DIR record, EF_ICCID's digits. Malformed input must be a TlvError.
#include <cstdint>

#include "fuzz_support.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/uicc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    const auto input = fuzz::bytes(data, size);
    try {
        static_cast<void>(seuicc::Fcp::parse(input));
    } catch (const seuicc::TlvError&) {
    }
    try {
        static_cast<void>(seuicc::parseEfDirRecord(input));
    } catch (const seuicc::TlvError&) {
    }
    static_cast<void>(seuicc::decodeIccid(input));
    return 0;
}
