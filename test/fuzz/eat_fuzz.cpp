// The integrity report (integrity::EatClaims::decode, Report::decode, decodeSubmods): what the NSCL
// reads from the node's registration. Whatever decodes must re-encode to the same bytes.
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    const auto input = fuzz::bytes(data, size);
    try {
        const auto claims = integrity::EatClaims::decode(input);
        const auto encoded = claims.encode();
        if (!std::equal(input.begin(), input.end(), encoded.begin(), encoded.end())) {
            throw std::logic_error("decoded report claims re-encode to other bytes");
        }
        integrity::Manifest manifest;
        manifest.version = 1;
        manifest.objects.push_back({"@agent", base::Bytes(32, 0), true, {}});
        (void)claims.passes(manifest);
    } catch (const integrity::MalformedInput&) {
    }
    try {
        // The submods map alone: what the gateway loads into its card.
        const auto encoded = integrity::encodeSubmods(integrity::decodeSubmods(input));
        if (!std::equal(input.begin(), input.end(), encoded.begin(), encoded.end())) {
            throw std::logic_error("decoded submods re-encode to other bytes");
        }
    } catch (const integrity::MalformedInput&) {
    }
    try {
        (void)integrity::Report::decode(input);
    } catch (const integrity::MalformedInput&) {
    }
    return 0;
}
