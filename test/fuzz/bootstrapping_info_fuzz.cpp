// The BSF's BootstrappingInfo document (provisioning/src/bootstrapping_info.cpp), which comes
// from the network. Anything malformed must be a BootstrappingInfoError; what parses must write
// back (toXml) to XML that parses to the same values.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "provisioning/bootstrapping_info.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    using namespace provisioning::ub;
    try {
        const BootstrappingInfo info = parseBootstrappingInfo(fuzz::text(data, size));
        const BootstrappingInfo again = parseBootstrappingInfo(toXml(info));
        if (again.btid != info.btid || again.lifetime != info.lifetime) {
            throw std::logic_error("BootstrappingInfo: parse(toXml(b)) differs from b");
        }
    } catch (const BootstrappingInfoError&) {
    }
    return 0;
}
