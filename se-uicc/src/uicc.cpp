// SELECT and READ commands of ETSI TS 102 221 §11.1.
#include <fmt/format.h>
#include <algorithm>

#include "seuicc/errors.hpp"
#include "seuicc/uicc.hpp"

#include "base/big_endian.hpp"
namespace seuicc {

namespace {

constexpr std::uint8_t kInsSelect = 0xA4;
constexpr std::uint8_t kInsReadBinary = 0xB0;
constexpr std::uint8_t kInsUpdateBinary = 0xD6;
constexpr std::uint8_t kInsReadRecord = 0xB2;

// SELECT P1: how the file is named.
constexpr std::uint8_t kSelectByFileId = 0x00;
constexpr std::uint8_t kSelectByAid = 0x04;
constexpr std::uint8_t kSelectByPathFromMf = 0x08;
// SELECT P2: what comes back.
constexpr std::uint8_t kReturnFcp = 0x04;
constexpr std::uint8_t kReturnNothing = 0x0C;

constexpr std::uint8_t kReadRecordAbsolute = 0x04;  // READ RECORD P2: P1 is the record number
constexpr std::size_t kMaxBinaryChunk = 255;
constexpr std::size_t kMaxBinaryOffset = 0x7FFF;  // P1 b8 = 1 would mean an SFI

constexpr std::uint16_t kSwEndOfFile = 0x6282;
constexpr std::uint16_t kSwWrongOffset = 0x6B00;

ResponseApdu select(const Transaction& transaction, CardChannel& channel, std::uint8_t p1,
                    ByteView name, bool wantFcp) {
    CommandApdu command{0x00,
                        kInsSelect,
                        p1,
                        wantFcp ? kReturnFcp : kReturnNothing,
                        Bytes(name.begin(), name.end()),
                        std::nullopt};
    if (wantFcp) {
        command.le = CommandApdu::kMaxShortNe;
    }
    return channel.transmit(transaction, std::move(command));
}

}  // namespace

ResponseApdu selectByAid(const Transaction& transaction, CardChannel& channel, ByteView aid,
                         bool wantFcp) {
    return select(transaction, channel, kSelectByAid, aid, wantFcp);
}

ResponseApdu selectByFileId(const Transaction& transaction, CardChannel& channel, std::uint16_t fid,
                            bool wantFcp) {
    const auto id = base::toBigEndian<2>(fid);
    return select(transaction, channel, kSelectByFileId, id, wantFcp);
}

ResponseApdu selectByPath(const Transaction& transaction, CardChannel& channel, ByteView pathFromMf,
                          bool wantFcp) {
    if (pathFromMf.size() >= 2 && pathFromMf[0] == (kFidMf >> 8) &&
        pathFromMf[1] == (kFidMf & 0xFF)) {
        pathFromMf = pathFromMf.subspan(2);  // the path "from the MF" excludes the MF itself
    }
    if (pathFromMf.empty() || pathFromMf.size() % 2 != 0) {
        throw ApduFormatError(fmt::format(
            "path \"{}\" is not a sequence of 2-byte file IDs below the MF", toHex(pathFromMf)));
    }
    return select(transaction, channel, kSelectByPathFromMf, pathFromMf, wantFcp);
}

Bytes readBinary(const Transaction& transaction, CardChannel& channel, std::size_t offset,
                 std::size_t length) {
    Bytes out;
    while (out.size() < length) {
        const std::size_t at = offset + out.size();
        if (at > kMaxBinaryOffset) {
            throw ApduFormatError(fmt::format("READ BINARY offset {} exceeds 32767", at));
        }
        const std::size_t chunk = std::min(length - out.size(), kMaxBinaryChunk);
        const ResponseApdu response =
            channel.transmit(transaction, CommandApdu{0x00,
                                                      kInsReadBinary,
                                                      static_cast<std::uint8_t>(at >> 8),
                                                      static_cast<std::uint8_t>(at & 0xFF),
                                                      {},
                                                      static_cast<std::uint32_t>(chunk)});
        const bool endOfFile =
            response.sw == kSwEndOfFile || (response.sw == kSwWrongOffset && !out.empty());
        if (!endOfFile) {
            response.requireOk(fmt::format("READ BINARY at offset {}", at));
        }
        out.insert(out.end(), response.data.begin(), response.data.end());
        if (endOfFile || response.data.size() < chunk) {
            break;  // the file ends before `length`
        }
    }
    return out;
}

void updateBinary(const Transaction& transaction, CardChannel& channel, std::size_t offset,
                  ByteView data) {
    for (std::size_t done = 0; done < data.size();) {
        const std::size_t at = offset + done;
        if (at > kMaxBinaryOffset) {
            throw ApduFormatError(fmt::format("UPDATE BINARY offset {} exceeds 32767", at));
        }
        const ByteView chunk = data.subspan(done, std::min(data.size() - done, kMaxBinaryChunk));
        const ResponseApdu response = channel.transmit(
            transaction, CommandApdu{0x00, kInsUpdateBinary, static_cast<std::uint8_t>(at >> 8),
                                     static_cast<std::uint8_t>(at & 0xFF),
                                     Bytes(chunk.begin(), chunk.end()), std::nullopt});
        response.requireOk(fmt::format("UPDATE BINARY at offset {}", at));
        done += chunk.size();
    }
}

Bytes readRecord(const Transaction& transaction, CardChannel& channel, std::uint8_t record,
                 std::uint8_t length) {
    const std::uint32_t ne = length == 0 ? CommandApdu::kMaxShortNe : length;
    const ResponseApdu response = channel.transmit(
        transaction, CommandApdu{0x00, kInsReadRecord, record, kReadRecordAbsolute, {}, ne});
    response.requireOk(fmt::format("READ RECORD {}", record));
    return response.data;
}

}  // namespace seuicc
