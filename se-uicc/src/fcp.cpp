// The FCP template of TS 102 221 §11.1.1.3: the few fields the host needs.
#include <fmt/format.h>

#include "seuicc/errors.hpp"
#include "seuicc/tlv.hpp"
#include "seuicc/uicc.hpp"

#include "base/big_endian.hpp"
namespace seuicc {

namespace {

constexpr std::uint32_t kTagFcp = 0x62;
constexpr std::uint32_t kTagFileSize = 0x80;
constexpr std::uint32_t kTagFileDescriptor = 0x82;
constexpr std::uint32_t kTagFileId = 0x83;
constexpr std::uint32_t kTagDfName = 0x84;

// A big-endian unsigned number of 1 to 4 bytes.
std::uint32_t bigEndian(ByteView bytes, std::string_view what) {
    if (bytes.empty() || bytes.size() > 4) {
        throw TlvError(
            fmt::format("FCP {}: {} bytes is not a 1 to 4 byte number", what, bytes.size()));
    }
    return static_cast<std::uint32_t>(base::readBigEndian(bytes));
}

}  // namespace

Fcp Fcp::parse(ByteView selectResponse) {
    const auto templ = findTlv(selectResponse, kTagFcp);
    if (!templ) {
        throw TlvError(fmt::format("not an FCP template (tag 62): \"{}\"", toHex(selectResponse)));
    }
    Fcp fcp;
    bool haveDescriptor = false;
    for (const Tlv& tlv : parseTlvs(templ->value)) {
        switch (tlv.tag) {
            case kTagFileDescriptor:
                if (tlv.value.empty()) {
                    throw TlvError("FCP file descriptor (82) is empty");
                }
                haveDescriptor = true;
                fcp.descriptor = tlv.value[0];
                // Record EFs add the data coding byte, then record length (2) and count (1).
                if (tlv.value.size() >= 5) {
                    fcp.recordLength = static_cast<std::uint16_t>(
                        bigEndian(ByteView(tlv.value).subspan(2, 2), "record length"));
                    fcp.recordCount = tlv.value[4];
                }
                break;
            case kTagFileId:
                fcp.fileId =
                    static_cast<std::uint16_t>(bigEndian(tlv.value, "file identifier (83)"));
                break;
            case kTagFileSize:
                fcp.fileSize = bigEndian(tlv.value, "file size (80)");
                break;
            case kTagDfName:
                fcp.dfName = tlv.value;
                break;
            default:
                break;  // security attributes, life cycle, proprietary data: not needed here
        }
    }
    if (!haveDescriptor) {
        throw TlvError("FCP template without a file descriptor (82)");
    }
    return fcp;
}

}  // namespace seuicc
