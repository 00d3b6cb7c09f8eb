// COSE_Sign1 (integrity::CoseSign1::decode, integrity/src/cose.cpp and the strict CBOR reader):
// manifests, reports and decisions all arrive in it. Whatever decodes must re-encode to the same
// bytes (deterministic CBOR has one encoding per value) and verify or fail with SignatureInvalid.
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "integrity/cose.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    const auto input = fuzz::bytes(data, size);
    try {
        const auto message = integrity::CoseSign1::decode(input);
        const auto encoded = message.encode();  // always tagged
        const bool tagged = size > 0 && data[0] == 0xd2;
        if (base::ByteView(encoded).subspan(tagged ? 0 : 1).size() != size ||
            !std::equal(input.begin(), input.end(), encoded.begin() + (tagged ? 0 : 1))) {
            throw std::logic_error("a decoded COSE_Sign1 re-encodes to other bytes");
        }
        // The COSE WG example key (testdata/vectors/cose-sign1-es256.json).
        static const auto key = integrity::PublicKey::fromPoint(
            base::fromHex("04BAC5B11CAD8F99F9C72B05CF4B9E26D244DC189F745228255A219A86D6A09EFF"
                          "20138BF82DC1B6D562BE0FA54AB7804A3A64B6D72CCFED6B6FB6ED28BBFC117E"));
        try {
            message.verify(key);
        } catch (const integrity::SignatureInvalid&) {
        }
    } catch (const integrity::MalformedInput&) {
    }
    return 0;
}
