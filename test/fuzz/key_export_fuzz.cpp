// The key export of `m2m provision --export-keys` (provisioning::readKeyExport, provisioning/src/
// key_export.cpp) on a real 0600 file holding the input: anything but a complete, in-range
// record must be a KeyExportError (or the key file rules' KeyFileError).
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "provisioning/key_export.hpp"
#include "securechannel/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    static fuzz::ScratchFile file("keys.json");
    const auto& path = file.write(fuzz::bytes(data, size));
    try {
        const provisioning::KeyExport record = provisioning::readKeyExport(path);
        // A software device's record has no card, so no Kmsa; every other record has one.
        if (record.kmr.size() != 32 || record.kmsa.size() != (record.software ? 0U : 16U) ||
            (record.software && (!record.iccid.empty() || !record.sclId)) ||
            (record.kbs && record.kbs->size() != 32) || (record.kiv && record.kiv->size() != 32)) {
            throw std::logic_error(
                "readKeyExport accepted a key of the wrong size or a "
                "software record with a card's fields");
        }
    } catch (const provisioning::KeyExportError&) {
    } catch (const securechannel::KeyFileError&) {
    }
    return 0;
}
