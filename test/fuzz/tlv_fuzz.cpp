// BER-TLV (se-uicc/src/tlv.cpp): parseTlvs, findTlv and the recursive findTlvRecursive on any
// bytes. A malformed input must be a TlvError; a parsed object must encode back to TLVs that parse
// to the same tag and value.
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/tlv.hpp"

namespace {

// Tags the card's answers use at some depth: FCP 62 and its 82/83, EF_DIR's 61/4F, MSC's 73,
// TRANSACT DATA's 86, a two-byte one and one no parser produces (0x1F: a bare first byte).
constexpr std::uint32_t kTags[] = {0x62, 0x82, 0x83, 0x61, 0x4F, 0x73, 0x86, 0xBF2D, 0x1F};

void checkRoundTrip(const seuicc::Tlv& tlv) {
    const auto again = seuicc::parseTlvs(seuicc::encodeTlv(tlv.tag, tlv.value));
    if (again.size() != 1 || again[0].tag != tlv.tag || again[0].value != tlv.value) {
        throw std::logic_error("encodeTlv(parseTlvs(x)) does not parse back to the same object");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    const auto input = fuzz::bytes(data, size);
    try {
        for (const seuicc::Tlv& tlv : seuicc::parseTlvs(input)) {
            static_cast<void>(tlv.constructed());
            checkRoundTrip(tlv);
        }
    } catch (const seuicc::TlvError&) {
    }
    for (const std::uint32_t tag : kTags) {
        try {
            static_cast<void>(seuicc::findTlv(input, tag));
        } catch (const seuicc::TlvError&) {
        }
        try {
            if (const auto found = seuicc::findTlvRecursive(input, tag);
                found && found->tag != tag) {
                throw std::logic_error("findTlvRecursive returned another tag");
            }
        } catch (const seuicc::TlvError&) {
        }
    }
    return 0;
}
