// A gateway's device records (provisioning::parseDeviceRecords, provisioning/src/
// device_records.cpp): anything but an array of complete, in-range records of distinct nodes must
// be a KeyExportError.
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "provisioning/device_records.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    try {
        const auto records = provisioning::parseDeviceRecords(fuzz::bytes(data, size), "fuzz");
        for (const provisioning::DeviceRecord& r : records) {
            if (r.kmr.size() != 32 || r.sclId.empty() || (r.software && r.ivAttestationPublicKey)) {
                throw std::logic_error("parseDeviceRecords accepted an invalid record");
            }
        }
    } catch (const provisioning::KeyExportError&) {
    }
    return 0;
}
