// The IV-SED's GET DATA answer (IvSedStatus::parse, se-uicc/src/iv_sed_status.cpp). Malformed
// data must be an IvMalformedResponse, and what is accepted has the contract's sizes.
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "seuicc/iv_sed_client.hpp"
#include "seuicc/iv_sed_errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    try {
        const seuicc::IvSedStatus s = seuicc::IvSedStatus::parse(fuzz::bytes(data, size));
        if ((!s.nodeId.empty() && s.nodeId.size() != 16) ||
            (!s.attestationPublicKey.empty() && s.attestationPublicKey.size() != 65) ||
            (!s.manifestDigest.empty() && s.manifestDigest.size() != 32)) {
            throw std::logic_error("a field of another size accepted");
        }
    } catch (const seuicc::IvMalformedResponse&) {
    }
    return 0;
}
