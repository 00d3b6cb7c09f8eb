#include "securechannel/ts102484/codec.hpp"

#include "base/big_endian.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "securechannel/ts102484/profile_v1.hpp"
#include "seuicc/tlv.hpp"

namespace securechannel::ts102484 {

namespace {

constexpr std::uint8_t kClaInterindustry = 0x00;
constexpr std::size_t kMaxShortLe = 256;
// No MSC response of this protocol comes near this; a card that keeps answering 62 F1 is broken.
constexpr std::size_t kMaxMscResponse = 4096;

using base::append;

std::string swText(std::uint16_t sw) {
    return fmt::format("{:04X}", sw);
}

// The header of a one-byte-tag BER-TLV: its size and the value's size, if complete and definite.
struct TlvHeader {
    std::size_t headerSize = 0;
    std::size_t valueSize = 0;
};
std::optional<TlvHeader> readHeader(ByteView data, std::uint8_t tag) {
    if (data.size() < 2 || data[0] != tag) {
        return std::nullopt;
    }
    const std::uint8_t first = data[1];
    if (first < 0x80) {
        return TlvHeader{2, first};
    }
    const std::size_t lengthBytes = first & 0x7F;
    if (lengthBytes == 0 || lengthBytes > 3 || data.size() < 2 + lengthBytes) {
        return std::nullopt;  // indefinite, absurd, or not all there yet
    }
    const auto value = static_cast<std::size_t>(base::readBigEndian(data.subspan(2, lengthBytes)));
    return TlvHeader{2 + lengthBytes, value};
}

}  // namespace

std::string_view toString(MscOperation operation) {
    switch (operation) {
        case MscOperation::RetrieveEndpoints:
            return "MANAGE SECURE CHANNEL retrieve UICC endpoints";
        case MscOperation::EstablishMasterSa:
            return "MANAGE SECURE CHANNEL establish master SA";
        case MscOperation::EstablishConnectionSa:
            return "MANAGE SECURE CHANNEL establish connection SA";
        case MscOperation::StartSecureChannel:
            return "MANAGE SECURE CHANNEL start secure channel";
        case MscOperation::TerminateSa:
            return "MANAGE SECURE CHANNEL terminate SA";
    }
    return "MANAGE SECURE CHANNEL";
}

std::string_view toString(SecuredMessageRejected::Reason reason) {
    switch (reason) {
        case SecuredMessageRejected::Reason::Malformed:
            return "malformed";
        case SecuredMessageRejected::Reason::Counter:
            return "counter";
        case SecuredMessageRejected::Reason::Mac:
            return "MAC";
        case SecuredMessageRejected::Reason::Padding:
            return "padding";
    }
    return "unknown";
}

// --- TLV helpers -------------------------------------------------------------------------------

std::size_t tlvSize(std::size_t valueSize) {
    std::size_t lengthBytes = 1;
    if (valueSize >= 0x80) {
        lengthBytes = valueSize <= 0xFF ? 2 : valueSize <= 0xFFFF ? 3 : 4;
    }
    return 1 + lengthBytes + valueSize;
}

std::optional<std::size_t> announcedTlvSize(ByteView prefix, std::uint8_t tag) {
    const auto header = readHeader(prefix, tag);
    if (!header) {
        return std::nullopt;
    }
    return header->headerSize + header->valueSize;
}

std::optional<ByteView> exactTlvValue(ByteView data, std::uint8_t tag) {
    const auto header = readHeader(data, tag);
    if (!header || header->headerSize + header->valueSize != data.size()) {
        return std::nullopt;
    }
    return data.subspan(header->headerSize);
}

// --- MANAGE SECURE CHANNEL ---------------------------------------------------------------------

std::vector<CommandApdu> mscCommandBlocks(MscOperation operation, ByteView payload,
                                          std::size_t maxBlock) {
    if (maxBlock == 0 || maxBlock > kMaxMscBlock) {
        throw std::invalid_argument("mscCommandBlocks: a block has 1..255 bytes");
    }
    const Bytes encoded = seuicc::encodeTlv(kTagMscData, payload);
    std::vector<CommandApdu> blocks;
    for (std::size_t offset = 0; offset < encoded.size(); offset += maxBlock) {
        const std::size_t size = std::min(maxBlock, encoded.size() - offset);
        const auto begin = encoded.begin() + static_cast<std::ptrdiff_t>(offset);
        blocks.push_back(CommandApdu{
            kClaInterindustry, kInsManageSecureChannel, static_cast<std::uint8_t>(operation),
            offset == 0 ? kP2FirstCommandBlock : kP2NextCommandBlock,
            Bytes(begin, begin + static_cast<std::ptrdiff_t>(size)), std::nullopt});
    }
    return blocks;
}

CommandApdu mscResponseBlockRequest(MscOperation operation, bool first, std::uint32_t le) {
    return CommandApdu{kClaInterindustry,
                       kInsManageSecureChannel,
                       static_cast<std::uint8_t>(operation),
                       first ? kP2FirstResponseBlock : kP2NextResponseBlock,
                       {},
                       std::clamp<std::uint32_t>(le, 1, kMaxShortLe)};
}

MscResult manageSecureChannel(const Transaction& transaction, CardChannel& channel,
                              MscOperation operation, std::optional<ByteView> payload,
                              std::optional<std::size_t> expectedResponseSize,
                              std::size_t maxBlock) {
    const std::string_view name = toString(operation);
    if (payload) {
        const std::vector<CommandApdu> blocks = mscCommandBlocks(operation, *payload, maxBlock);
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            const ResponseApdu r = channel.transmit(transaction, blocks[i]);
            const bool last = i + 1 == blocks.size();
            const bool chainingSw = r.sw == kSwOk || r.sw == kSwMoreCommandData ||
                                    r.sw == kSwResponseReady || r.sw == kSwMoreResponseData;
            if (!chainingSw) {
                return MscResult{r.sw, std::nullopt};
            }
            if (!r.data.empty()) {
                throw ProtocolError(
                    fmt::format("{}: the card sent data with a command block", name), r.sw);
            }
            if (!last) {
                if (r.sw != kSwMoreCommandData) {
                    throw ProtocolError(
                        fmt::format("{}: the card answered {} to block {} of {}, not 63F1", name,
                                    swText(r.sw), i + 1, blocks.size()),
                        r.sw);
                }
                continue;
            }
            if (r.sw == kSwOk) {
                return MscResult{kSwOk, std::nullopt};
            }
            if (r.sw != kSwResponseReady) {
                throw ProtocolError(
                    fmt::format("{}: the card answered {} to the last block", name, swText(r.sw)),
                    r.sw);
            }
        }
    }

    Bytes response;
    for (bool first = true;; first = false) {
        std::optional<std::size_t> total = announcedTlvSize(response, kTagMscData);
        if (!total && first) {
            total = expectedResponseSize;
        }
        std::uint32_t le = kMaxShortLe;
        if (total && *total > response.size()) {
            le = static_cast<std::uint32_t>(std::min(*total - response.size(), kMaxShortLe));
        }
        const ResponseApdu r =
            channel.transmit(transaction, mscResponseBlockRequest(operation, first, le));
        if (r.sw != kSwOk && r.sw != kSwMoreResponseData) {
            if (r.sw == kSwMoreCommandData || r.sw == kSwResponseReady) {
                throw ProtocolError(
                    fmt::format("{}: the card answered {} to a response block request", name,
                                swText(r.sw)),
                    r.sw);
            }
            return MscResult{r.sw, std::nullopt};
        }
        append(response, r.data);
        if (r.sw == kSwOk) {
            break;
        }
        const auto announced = announcedTlvSize(response, kTagMscData);
        if (r.data.empty() || response.size() > kMaxMscResponse ||
            (announced && response.size() >= *announced)) {
            throw ProtocolError(
                fmt::format("{}: the card announces more response data (62F1) after {} bytes", name,
                            response.size()),
                r.sw);
        }
    }
    const auto value = exactTlvValue(response, kTagMscData);
    if (!value) {
        throw ProtocolError(
            fmt::format("{}: the response ({} bytes) is not one TLV 73", name, response.size()));
    }
    return MscResult{kSwOk, Bytes(value->begin(), value->end())};
}

// --- TRANSACT DATA -----------------------------------------------------------------------------

std::size_t blockCount(std::size_t size, std::size_t containerSize) {
    if (containerSize == 0) {
        throw std::invalid_argument("blockCount: container size 0");
    }
    return std::max<std::size_t>(1, (size + containerSize - 1) / containerSize);
}

std::vector<CommandApdu> transactCommandBlocks(ByteView encoded, std::size_t containerSize) {
    const std::size_t blocks = blockCount(encoded.size(), containerSize);
    if (blocks > 256 || containerSize > profile::v1::kMaxContainerSize) {
        throw std::invalid_argument(
            "transactCommandBlocks: more than 256 blocks, or a block "
            "over 255 bytes");
    }
    std::vector<CommandApdu> out;
    out.reserve(blocks);
    for (std::size_t i = 0; i < blocks; ++i) {
        const std::size_t offset = i * containerSize;
        const std::size_t size = std::min(containerSize, encoded.size() - offset);
        const ByteView block = encoded.subspan(offset, size);
        out.push_back(CommandApdu{kClaInterindustry, kInsTransactData, kTransactP1Data,
                                  static_cast<std::uint8_t>(blocks - 1 - i),
                                  Bytes(block.begin(), block.end()), std::nullopt});
    }
    return out;
}

CommandApdu transactResponseBlockRequest(std::uint32_t le) {
    return CommandApdu{kClaInterindustry,
                       kInsTransactData,
                       kTransactP1Read,
                       0x00,
                       {},
                       std::clamp<std::uint32_t>(le, 1, kMaxShortLe)};
}

CommandApdu transactAbort() {
    return CommandApdu{kClaInterindustry, kInsTransactData, kTransactP1Abort, 0x00, {},
                       std::nullopt};
}

SecuredDataAssembler::SecuredDataAssembler(std::size_t blocks, std::size_t containerSize,
                                           std::optional<std::size_t> expectedSize)
    : blocks_(blocks), containerSize_(containerSize), expectedSize_(expectedSize) {
    if (blocks == 0 || blocks > 255) {
        throw SecuredMessageRejected(
            SecuredMessageRejected::Reason::Malformed,
            fmt::format("secured message rejected: the card announced {} response blocks", blocks));
    }
    if (containerSize == 0 || containerSize > profile::v1::kMaxContainerSize) {
        throw std::invalid_argument("SecuredDataAssembler: container size 1..255");
    }
}

std::uint32_t SecuredDataAssembler::nextLe() const {
    const std::size_t left = blocks_ - received_;
    if (left == 1) {
        auto total = announcedTlvSize(data_, profile::v1::kTagSecuredData);
        if (!total && data_.empty()) {
            total = expectedSize_;  // a single block: only the prediction can say
        }
        if (total && *total > data_.size() && *total - data_.size() <= containerSize_) {
            return static_cast<std::uint32_t>(*total - data_.size());
        }
    }
    return static_cast<std::uint32_t>(containerSize_);
}

void SecuredDataAssembler::add(ByteView block, std::uint16_t sw) {
    using Reason = SecuredMessageRejected::Reason;
    const auto reject = [](const std::string& what) {
        throw SecuredMessageRejected(Reason::Malformed, "secured message rejected: " + what);
    };
    if (complete()) {
        reject("a response block after the last one");
    }
    if (block.empty() || block.size() > containerSize_) {
        reject(fmt::format("a {}-byte response block (container size {})", block.size(),
                           containerSize_));
    }
    const std::size_t after = blocks_ - received_ - 1;
    const std::uint16_t expected =
        after == 0 ? kSwOk : profile::v1::blocksPendingStatus(static_cast<std::uint8_t>(after));
    if (sw != expected) {
        reject(fmt::format("response block {} of {} came with {}, not {:04X}", received_ + 1,
                           blocks_, swText(sw), expected));
    }
    append(data_, block);
    ++received_;
    if (complete() && !exactTlvValue(data_, profile::v1::kTagSecuredData)) {
        reject(fmt::format("the {} response bytes are not exactly one TLV 86", data_.size()));
    }
}

ByteView SecuredDataAssembler::securedValue() const {
    if (!complete()) {
        throw std::logic_error("SecuredDataAssembler::securedValue before the last block");
    }
    return *exactTlvValue(data_, profile::v1::kTagSecuredData);
}

}  // namespace securechannel::ts102484
