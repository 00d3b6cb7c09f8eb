#include "fake_uicc.hpp"

#include <algorithm>

#include "seuicc/tlv.hpp"
#include "seuicc/uicc.hpp"

using namespace seuicc;

namespace fake {

namespace {

ResponseApdu sw(std::uint16_t word) {
    return ResponseApdu{{}, word};
}

using base::concat;

Bytes twoBytes(std::size_t v) {
    return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v & 0xFF)};
}

}  // namespace

Bytes efDirRecord(const Bytes& aid, const std::string& label) {
    return encodeTlv(
        0x61, concat({encodeTlv(0x4F, aid), encodeTlv(0x50, Bytes(label.begin(), label.end()))}));
}

Uicc::Uicc(Options options) : options_(std::move(options)), efIccid_(encodeIccid(options_.iccid)) {
    for (auto& record : options_.dirRecords) {
        record.resize(options_.dirRecordLength, 0xFF);
    }
}

Bytes Uicc::operator()(ByteView command) {
    return respond(CommandApdu::parse(command)).encode();
}

ResponseApdu Uicc::respond(const CommandApdu& command) {
    if ((command.cla & 0x03) != 0 || (command.cla & 0x40) != 0) {
        return sw(0x6881);  // only the basic channel here
    }
    if (command.ins == 0xC0) {
        return getResponse(command);
    }
    pending_.reset();  // any other command loses a pending response, as on a real card
    switch (command.ins) {
        case 0xA4:
            return select(command);
        case 0xB0:
            return readBinary(command);
        case 0xB2:
            return readRecord(command);
        default:
            return sw(0x6D00);
    }
}

ResponseApdu Uicc::select(const CommandApdu& command) {
    // By file ID (P1 00), or by a path from the MF of one file ID (P1 08): the same files here.
    if ((command.p1 != 0x00 && command.p1 != 0x08) || command.data.size() != 2) {
        return sw(0x6A86);
    }
    const std::uint16_t fid = static_cast<std::uint16_t>((command.data[0] << 8) | command.data[1]);
    File file = File::None;
    if (fid == kFidMf) {
        file = File::Mf;
    } else if (fid == kFidEfIccid) {
        file = File::EfIccid;
    } else if (fid == kFidEfDir && options_.withEfDir) {
        file = File::EfDir;
    }
    if (file == File::None) {
        return sw(0x6A82);
    }
    selected_ = file;
    if (command.p2 == 0x0C) {
        return sw(0x9000);
    }
    return answerCase4(fcpOf(file));
}

ResponseApdu Uicc::readBinary(const CommandApdu& command) {
    if (selected_ != File::EfIccid) {
        return sw(0x6986);
    }
    const std::size_t offset = (std::size_t{command.p1} << 8) | command.p2;
    if (offset >= efIccid_.size()) {
        return sw(0x6B00);
    }
    const std::size_t available = efIccid_.size() - offset;
    const std::size_t ne = command.le.value_or(256);
    if (ne > available && options_.t0) {
        return sw(static_cast<std::uint16_t>(0x6C00 | available));
    }
    const std::size_t n = std::min(ne, available);
    const auto begin = efIccid_.begin() + static_cast<std::ptrdiff_t>(offset);
    return ResponseApdu{Bytes(begin, begin + static_cast<std::ptrdiff_t>(n)),
                        static_cast<std::uint16_t>(n < ne ? 0x6282 : 0x9000)};
}

ResponseApdu Uicc::readRecord(const CommandApdu& command) {
    if (selected_ != File::EfDir) {
        return sw(0x6981);
    }
    if (command.p2 != 0x04 || command.p1 == 0 || command.p1 > options_.dirRecords.size()) {
        return sw(0x6A83);
    }
    const Bytes& record = options_.dirRecords[command.p1 - 1];
    if (command.le != record.size()) {
        return sw(static_cast<std::uint16_t>(0x6C00 | record.size()));
    }
    return ResponseApdu{record, 0x9000};
}

ResponseApdu Uicc::getResponse(const CommandApdu& command) {
    if (!pending_) {
        return sw(0x6985);
    }
    const std::size_t ne = command.le.value_or(256);
    if (ne > pending_->size()) {
        return sw(static_cast<std::uint16_t>(0x6C00 | pending_->size()));
    }
    // Hand out Ne bytes; if more remain, say how many with 61xx.
    Bytes part(pending_->begin(), pending_->begin() + static_cast<std::ptrdiff_t>(ne));
    pending_->erase(pending_->begin(), pending_->begin() + static_cast<std::ptrdiff_t>(ne));
    if (pending_->empty()) {
        pending_.reset();
        return ResponseApdu{std::move(part), 0x9000};
    }
    const std::size_t left = std::min<std::size_t>(pending_->size(), 256) & 0xFF;
    return ResponseApdu{std::move(part), static_cast<std::uint16_t>(0x6100 | left)};
}

ResponseApdu Uicc::answerCase4(Bytes data) {
    if (!options_.t0) {
        return ResponseApdu{std::move(data), 0x9000};
    }
    const std::size_t size = data.size();
    pending_ = std::move(data);
    return sw(static_cast<std::uint16_t>(0x6100 | (size & 0xFF)));
}

Bytes Uicc::fcpOf(File file) const {
    switch (file) {
        case File::Mf:
            return encodeTlv(
                0x62, concat({encodeTlv(0x82, fromHex("7821")), encodeTlv(0x83, twoBytes(kFidMf)),
                              encodeTlv(0xA5, fromHex("800171")), encodeTlv(0x8A, fromHex("05"))}));
        case File::EfIccid:
            return encodeTlv(0x62, concat({encodeTlv(0x82, fromHex("4121")),
                                           encodeTlv(0x83, twoBytes(kFidEfIccid)),
                                           encodeTlv(0x80, twoBytes(efIccid_.size())),
                                           encodeTlv(0x8A, fromHex("05"))}));
        case File::EfDir:
            return encodeTlv(
                0x62,
                concat({encodeTlv(
                            0x82,
                            concat({fromHex("422100"),
                                    Bytes{static_cast<std::uint8_t>(options_.dirRecordLength)},
                                    Bytes{static_cast<std::uint8_t>(options_.dirRecords.size())}})),
                        encodeTlv(0x83, twoBytes(kFidEfDir)),
                        encodeTlv(0x80,
                                  twoBytes(options_.dirRecordLength * options_.dirRecords.size())),
                        encodeTlv(0x8A, fromHex("05"))}));
        case File::None:
            break;
    }
    return {};
}

}  // namespace fake
