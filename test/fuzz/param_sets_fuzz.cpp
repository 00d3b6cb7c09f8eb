// The parameter sets the MSBF and the NSCL send (provisioning/src/param_sets.cpp): XML into
// parseBootstrapParamSet / parseConnectionParamSet, and the text into parseDateTime. Anything
// malformed must be a ParamSetError; what parses must write back (toXml) to XML that parses to
// the same values.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "provisioning/param_sets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    using namespace provisioning;
    const std::string_view text = fuzz::text(data, size);
    try {
        const BootstrapParamSet b = parseBootstrapParamSet(text);
        const BootstrapParamSet again = parseBootstrapParamSet(toXml(b));
        if (again.nodeId != b.nodeId || again.kmrIndex != b.kmrIndex ||
            again.kmrExpiry != b.kmrExpiry || again.masFqdn != b.masFqdn ||
            again.sclId != b.sclId || again.nsclList != b.nsclList) {
            throw std::logic_error("bootstrapParamSet: parse(toXml(p)) differs from p");
        }
    } catch (const ParamSetError&) {
    }
    try {
        const ConnectionParamSet c = parseConnectionParamSet(text);
        const ConnectionParamSet again = parseConnectionParamSet(toXml(c));
        if (again.connectionId != c.connectionId || again.kmcIndex != c.kmcIndex ||
            again.kmcExpiry != c.kmcExpiry || again.sclId != c.sclId ||
            again.midFlags != c.midFlags) {
            throw std::logic_error("connectionParamSet: parse(toXml(p)) differs from p");
        }
    } catch (const ParamSetError&) {
    }
    try {
        const auto at = parseDateTime(text);
        // Whole seconds in UTC come back as they were written.
        if (parseDateTime(toDateTime(at)) != at) {
            throw std::logic_error("parseDateTime(toDateTime(t)) differs from t");
        }
    } catch (const ParamSetError&) {
    }
    return 0;
}
