// The IV-SED's public data (IV-SED.md §2), parsed from GET DATA.
#include <fmt/format.h>

#include "base/big_endian.hpp"
#include "iv_sed_coding.hpp"
#include "seuicc/iv_sed_client.hpp"
#include "seuicc/iv_sed_errors.hpp"
#include "seuicc/tlv.hpp"

namespace seuicc {

namespace {

Bytes fixed(const Tlv& tlv, std::size_t size) {
    if (tlv.value.size() != size) {
        throw IvMalformedResponse(
            fmt::format("IV-SED GET DATA: tag {:02X} has {} bytes, the contract says {}", tlv.tag,
                        tlv.value.size(), size));
    }
    return Bytes(tlv.value.begin(), tlv.value.end());
}

std::uint32_t uint32Of(const Tlv& tlv) {
    return static_cast<std::uint32_t>(base::readBigEndian(fixed(tlv, 4)));
}

}  // namespace

IvSedStatus IvSedStatus::parse(ByteView getDataResponse) {
    using namespace iv;
    std::vector<Tlv> tlvs;
    try {
        tlvs = parseTlvs(getDataResponse);
    } catch (const TlvError& e) {
        throw IvMalformedResponse(fmt::format("IV-SED GET DATA: {}", e.what()));
    }
    IvSedStatus status;
    bool haveLifecycle = false;
    for (const Tlv& tlv : tlvs) {
        switch (tlv.tag) {
            case kTagLifecycle:
                status.lifecycle = fixed(tlv, 1)[0];
                haveLifecycle = status.lifecycle == 0x01 || status.lifecycle == 0x03 ||
                                status.lifecycle == 0x07;
                if (!haveLifecycle) {
                    throw IvMalformedResponse(
                        fmt::format("IV-SED GET DATA: unknown lifecycle {:02X}", status.lifecycle));
                }
                break;
            case kTagAdminTries:
                status.adminTriesLeft = fixed(tlv, 1)[0];
                break;
            case kTagNodeId:
                status.nodeId = fixed(tlv, 16);
                break;
            case kTagManifestVersion:
                status.manifestVersion = uint32Of(tlv);
                break;
            case kTagReportCounter:
                status.reportCounter = uint32Of(tlv);
                break;
            case kTagManifestDigest:
                status.manifestDigest = fixed(tlv, kDigestSize);
                break;
            case kTagAttestationKey:
                status.attestationPublicKey = fixed(tlv, 65);
                if (status.attestationPublicKey[0] != 0x04) {
                    throw IvMalformedResponse("IV-SED GET DATA: D3 is not an uncompressed point");
                }
                break;
            case kTagReferenceKeyId:
                status.referenceKeyId = fixed(tlv, 8);
                break;
            case kTagPolicyKeyId:
                status.policyKeyId = fixed(tlv, 8);
                break;
            case kTagKcvKmsa:
                status.kmsaCheckValue = fixed(tlv, 3);
                break;
            default:
                break;  // a tag a later applet may add
        }
    }
    if (!haveLifecycle) {
        throw IvMalformedResponse("IV-SED GET DATA: no lifecycle (C0)");
    }
    return status;
}

}  // namespace seuicc
