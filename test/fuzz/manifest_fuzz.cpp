// The reference manifest (integrity::Manifest::decodePayload, SignedManifest::decode): a manifest
// comes from the NSCL in a decision's remediation. Whatever decodes must re-encode to the same
// bytes, and its object names must stay inside the integrity root.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "integrity/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    const auto input = fuzz::bytes(data, size);
    try {
        const auto manifest = integrity::Manifest::decodePayload(input);
        const auto encoded = manifest.encodePayload();
        if (!std::equal(input.begin(), input.end(), encoded.begin(), encoded.end())) {
            throw std::logic_error("a decoded manifest re-encodes to other bytes");
        }
        for (const auto& object : manifest.objects) {
            const std::string padded = "/" + object.name + "/";
            if (object.name.front() == '/' || padded.find("/../") != std::string::npos ||
                padded.find("/./") != std::string::npos || padded.find("//") != std::string::npos) {
                throw std::logic_error("a manifest object name leaves the integrity root");
            }
        }
    } catch (const integrity::MalformedInput&) {
    }
    try {
        (void)integrity::SignedManifest::decode(input);
    } catch (const integrity::MalformedInput&) {
    }
    return 0;
}
