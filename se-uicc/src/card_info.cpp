// readCardInfo: what a person or a log wants to know about the card in one call, and the
// EF_DIR record format it needs (TS 102 221 §13.1).
#include <algorithm>

#include "base/big_endian.hpp"

#include "base/log.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/tlv.hpp"
#include "seuicc/uicc.hpp"

namespace seuicc {

namespace {

constexpr std::uint32_t kTagApplicationTemplate = 0x61;
constexpr std::uint32_t kTagAid = 0x4F;
constexpr std::uint32_t kTagLabel = 0x50;
constexpr std::uint16_t kSwFileNotFound = 0x6A82;

bool isEmptyRecord(ByteView record) {
    return std::all_of(record.begin(), record.end(), [](std::uint8_t b) { return b == 0xFF; });
}

}  // namespace

std::vector<ApplicationEntry> readEfDir(const Transaction& tx, CardChannel& channel) {
    std::vector<ApplicationEntry> applications;
    // By path: the channel's current DF does not matter. The FCP is what gives the records.
    const ResponseApdu selected =
        selectByPath(tx, channel, base::toBigEndian<2>(kFidEfDir), /*wantFcp=*/true);
    if (selected.sw == kSwFileNotFound) {
        base::log::kCard->debug("no EF_DIR: the card lists no applications");
        return applications;
    }
    selected.requireOk("SELECT EF_DIR");
    const Fcp fcp = Fcp::parse(selected.data);
    if (!fcp.recordCount || !fcp.recordLength || *fcp.recordLength > 0xFF) {
        throw TlvError("EF_DIR's FCP does not describe records of at most 255 bytes");
    }
    for (unsigned record = 1; record <= *fcp.recordCount; ++record) {
        const Bytes data = readRecord(tx, channel, static_cast<std::uint8_t>(record),
                                      static_cast<std::uint8_t>(*fcp.recordLength));
        if (isEmptyRecord(data)) {
            continue;
        }
        for (auto& entry : parseEfDirRecord(data)) {
            applications.push_back(std::move(entry));
        }
    }
    return applications;
}

std::vector<ApplicationEntry> parseEfDirRecord(ByteView record) {
    std::vector<ApplicationEntry> entries;
    for (const Tlv& tlv : parseTlvs(record)) {
        if (tlv.tag != kTagApplicationTemplate) {
            continue;
        }
        const auto aid = findTlv(tlv.value, kTagAid);
        if (!aid) {
            throw TlvError("EF_DIR application template (61) without an AID (4F)");
        }
        const auto label = findTlv(tlv.value, kTagLabel);
        entries.push_back({aid->value, label ? std::string(label->value.begin(), label->value.end())
                                             : std::string()});
    }
    return entries;
}

CardInfo readCardInfo(Transport& transport) {
    CardInfo info;
    info.atr = Atr::parse(transport.atr());
    const Transaction tx(transport);
    CardChannel basic(transport);
    info.iccidRaw = readEfIccid(tx, basic);
    info.iccid = decodeIccid(info.iccidRaw);
    info.applications = readEfDir(tx, basic);
    info.counters = basic.counters();
    base::log::kCard->debug("card on \"{}\": ICCID {}, {} application(s), {} APDUs",
                            transport.name(), info.iccid, info.applications.size(),
                            info.counters.apdus);
    return info;
}

}  // namespace seuicc
