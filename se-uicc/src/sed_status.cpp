#include "seuicc/sed_status.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/big_endian.hpp"
#include "base/log.hpp"
#include "base/unix_time.hpp"
#include "sed_coding.hpp"
#include "seuicc/sed_errors.hpp"
#include "seuicc/tlv.hpp"

namespace seuicc {

using namespace sed;

namespace {

std::chrono::system_clock::time_point fromUnixSeconds(std::uint64_t seconds, std::uint32_t tag) {
    const auto at = seconds > static_cast<std::uint64_t>(base::kMaxUnixSeconds)
                        ? std::nullopt
                        : base::timeFromUnixSeconds(static_cast<std::int64_t>(seconds));
    if (!at) {
        throw SedMalformedResponse(fmt::format(
            "M2M-SED GET DATA: expiry {:02X} = {} s is beyond the clock's range", tag, seconds));
    }
    return *at;
}

ByteView fixedField(const Tlv& tlv, std::size_t size) {
    if (tlv.value.size() != size) {
        throw SedMalformedResponse(
            fmt::format("M2M-SED GET DATA: tag {:02X} has {} bytes, the contract says {}", tlv.tag,
                        tlv.value.size(), size));
    }
    return tlv.value;
}

std::string textField(const Tlv& tlv, std::size_t maxSize) {
    if (tlv.value.empty() || tlv.value.size() > maxSize) {
        throw SedMalformedResponse(
            fmt::format("M2M-SED GET DATA: tag {:02X} has {} bytes, the contract says 1..{}",
                        tlv.tag, tlv.value.size(), maxSize));
    }
    return std::string(tlv.value.begin(), tlv.value.end());
}

template <std::size_t N>
std::array<std::uint8_t, N> arrayField(const Tlv& tlv) {
    const ByteView value = fixedField(tlv, N);
    std::array<std::uint8_t, N> out{};
    std::copy(value.begin(), value.end(), out.begin());
    return out;
}

std::vector<std::string> splitNsclList(const Tlv& tlv) {
    const std::string text = textField(tlv, kMaxNsclListLength);
    std::vector<std::string> uris;
    std::size_t start = 0;
    while (true) {
        const std::size_t space = text.find(' ', start);
        const std::size_t end = space == std::string::npos ? text.size() : space;
        if (end == start) {
            throw SedMalformedResponse(
                "M2M-SED GET DATA: the NSCL list (C5) has an empty entry (URIs are separated by "
                "exactly one space)");
        }
        uris.push_back(text.substr(start, end - start));
        if (space == std::string::npos) {
            return uris;
        }
        start = space + 1;
    }
}

SedLifecycle lifecycleOf(const Tlv& tlv) {
    const std::uint8_t value = fixedField(tlv, 1)[0];
    switch (value) {
        case static_cast<std::uint8_t>(SedLifecycle::Installed):
        case static_cast<std::uint8_t>(SedLifecycle::Personalised):
        case static_cast<std::uint8_t>(SedLifecycle::Locked):
            return static_cast<SedLifecycle>(value);
        default:
            throw SedMalformedResponse(
                fmt::format("M2M-SED GET DATA: unknown lifecycle {:02X}", value));
    }
}

}  // namespace

std::string_view toString(SedLifecycle lifecycle) {
    switch (lifecycle) {
        case SedLifecycle::Installed:
            return "INSTALLED";
        case SedLifecycle::Personalised:
            return "PERSONALISED";
        case SedLifecycle::Locked:
            return "LOCKED";
    }
    return "unknown";
}

// ---------------------------------------------------------------------------------------------
// SedStatus

SedStatus SedStatus::parse(ByteView getDataResponse) {
    std::vector<Tlv> tlvs;
    try {
        tlvs = parseTlvs(getDataResponse);
    } catch (const TlvError& e) {
        throw SedMalformedResponse(fmt::format("M2M-SED GET DATA: {}", e.what()));
    }
    SedStatus status;
    bool haveLifecycle = false;
    for (const Tlv& tlv : tlvs) {
        switch (tlv.tag) {
            case kTagLifecycle:
                status.lifecycle = lifecycleOf(tlv);
                haveLifecycle = true;
                break;
            case kTagAdminTries:
                status.adminTriesLeft = fixedField(tlv, 1)[0];
                break;
            case kTagNodeId:
                status.nodeId = arrayField<16>(tlv);
                break;
            case kTagKmrIndex:
                status.kmrIndex =
                    static_cast<std::uint32_t>(base::readBigEndian(fixedField(tlv, 4)));
                break;
            case kTagKmrExpiry:
                status.kmrExpiry =
                    fromUnixSeconds(base::readBigEndian(fixedField(tlv, 8)), tlv.tag);
                break;
            case kTagSclId:
                status.sclId = textField(tlv, kMaxUriLength);
                break;
            case kTagNsclList:
                status.nsclList = splitNsclList(tlv);
                break;
            case kTagMasFqdn:
                status.masFqdn = textField(tlv, kMaxUriLength);
                break;
            case kTagKmcIndex:
                status.kmcIndex =
                    static_cast<std::uint32_t>(base::readBigEndian(fixedField(tlv, 4)));
                break;
            case kTagConnectionId:
                status.connectionId = base::readBigEndian(fixedField(tlv, 8));
                break;
            case kTagKmcExpiry:
                status.kmcExpiry =
                    fromUnixSeconds(base::readBigEndian(fixedField(tlv, 8)), tlv.tag);
                break;
            case kTagKcvKmr:
                status.kcv.kmr = arrayField<3>(tlv);
                break;
            case kTagKcvKmc:
                status.kcv.kmc = arrayField<3>(tlv);
                break;
            case kTagKcvKbs:
                status.kcv.kbs = arrayField<3>(tlv);
                break;
            case kTagKcvKmsa:
                status.kcv.kmsa = arrayField<3>(tlv);
                break;
            case kTagKcvKiv:
                status.kcv.kiv = arrayField<3>(tlv);
                break;
            default:
                base::log::kCard->debug("M2M-SED GET DATA: skipping unknown tag {:02X}", tlv.tag);
                break;
        }
    }
    if (!haveLifecycle) {
        throw SedMalformedResponse("M2M-SED GET DATA: no lifecycle (C0)");
    }
    return status;
}

}  // namespace seuicc
