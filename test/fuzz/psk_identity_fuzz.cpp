// The PSK identities a peer sends (provisioning/src/psk_identity.cpp): parsePskIdentity, strict,
// nullopt for anything else, an identity that parses being exactly the one the writer functions
// make of its parts; and btidOfUaIdentity (GBA's Ua, any of its separators), whose B-TID the
// writer uaIdentity turns into an identity that gives the same B-TID back.
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
    if (const auto btid = provisioning::btidOfUaIdentity(text)) {
        if (parsed) {
            throw std::logic_error("an identity parsed both as a node's and as a Ua one");
        }
        if (btid->find('@') == std::string::npos ||
            provisioning::btidOfUaIdentity(provisioning::uaIdentity(*btid)) != btid) {
            throw std::logic_error("btidOfUaIdentity gave a B-TID uaIdentity does not round-trip");
        }
    }
    return 0;
}
