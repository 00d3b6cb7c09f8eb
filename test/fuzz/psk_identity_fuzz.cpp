// The PSK identity a peer sends (provisioning::parsePskIdentity, provisioning/src/
// psk_identity.cpp): strict, nullopt for anything else; an identity that parses is exactly the
// one the writer functions make of its parts.
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "provisioning/psk_identity.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    const std::string_view text = fuzz::text(data, size);
    const auto parsed = provisioning::parsePskIdentity(text);
    if (parsed) {
        const std::string written = parsed->index
                                        ? provisioning::kmrIdentity(parsed->nodeId, *parsed->index)
                                        : provisioning::kbsIdentity(parsed->nodeId);
        if (written != text) {
            throw std::logic_error("parsePskIdentity accepted an identity no writer makes");
        }
    }
    return 0;
}
