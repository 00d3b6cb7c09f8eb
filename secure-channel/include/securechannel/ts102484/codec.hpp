// The command coding of the TS 102 484 APDU secure channel, in one place [STD TS 102 221
// §11.1.20 MANAGE SECURE CHANNEL, §11.1.21 TRANSACT DATA; M2M-SED.md §5, §7]:
//
//   MSC command blocks   0X 73 P1 80|00 Lc data     card: 63 F1 (more), 62 F3 (response ready),
//                                                         90 00 (done, no response)
//   MSC response blocks  0X 73 P1 A0|20 Le          card: 62 F1 (more), 90 00 (last)
//   TRANSACT DATA        0X 75 04 P2 Lc block       P2 = blocks still to come; card: 92 00, then
//                                                   92 NN after the last (NN response blocks)
//                        0X 75 00 00 Le             card: 92 NN while NN more remain, 90 00 last
//                        0X 75 02 00                abort (drops the transaction, keeps the CSA)
//
// Session number 0 throughout (P1 b8-b7). CLA 00: CardChannel codes the logical channel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "securechannel/ts102484/errors.hpp"
#include "securechannel/types.hpp"
#include "seuicc/apdu.hpp"
#include "seuicc/card_channel.hpp"

namespace securechannel::ts102484 {

using seuicc::CardChannel;
using seuicc::CommandApdu;
using seuicc::ResponseApdu;
using seuicc::Transaction;

inline constexpr std::uint8_t kInsManageSecureChannel = 0x73;
inline constexpr std::uint8_t kInsTransactData = 0x75;
inline constexpr std::uint32_t kTagMscData = 0x73;  // BER-TLV data object of MSC [STD]
inline constexpr std::size_t kMaxMscBlock = 255;

inline constexpr std::uint8_t kP2FirstCommandBlock = 0x80;
inline constexpr std::uint8_t kP2NextCommandBlock = 0x00;
inline constexpr std::uint8_t kP2FirstResponseBlock = 0xA0;
inline constexpr std::uint8_t kP2NextResponseBlock = 0x20;

inline constexpr std::uint16_t kSwOk = 0x9000;
inline constexpr std::uint16_t kSwMoreCommandData = 0x63F1;
inline constexpr std::uint16_t kSwResponseReady = 0x62F3;
inline constexpr std::uint16_t kSwMoreResponseData = 0x62F1;

inline constexpr std::uint8_t kTransactP1Data = 0x04;   // b3: the command carries data
inline constexpr std::uint8_t kTransactP1Abort = 0x02;  // b2: abort the session's transaction
inline constexpr std::uint8_t kTransactP1Read = 0x00;

enum class MscOperation : std::uint8_t {
    RetrieveEndpoints = 0x00,
    EstablishMasterSa = 0x01,
    EstablishConnectionSa = 0x02,
    StartSecureChannel = 0x03,
    TerminateSa = 0x04,
};
std::string_view toString(MscOperation operation);

// --- TLV helpers -------------------------------------------------------------------------------

// The encoded size of a TLV with a one-byte tag and a `valueSize`-byte value (BER lengths).
[[nodiscard]] std::size_t tlvSize(std::size_t valueSize);
// The total size a one-byte-tag TLV starting at `prefix` will have, once enough of its header is
// there; nullopt while the header is incomplete or is not `tag` with a definite length.
[[nodiscard]] std::optional<std::size_t> announcedTlvSize(ByteView prefix, std::uint8_t tag);
// The value of `data` if it is exactly one TLV with the one-byte `tag` (no padding, nothing
// after it); nullopt otherwise.
[[nodiscard]] std::optional<ByteView> exactTlvValue(ByteView data, std::uint8_t tag);

// --- MANAGE SECURE CHANNEL ---------------------------------------------------------------------

// The command blocks that carry TLV 73 with `payload` as its value, at most `maxBlock` bytes each.
[[nodiscard]] std::vector<CommandApdu> mscCommandBlocks(MscOperation operation, ByteView payload,
                                                        std::size_t maxBlock = kMaxMscBlock);
// A response block request (P2 A0 first, 20 next), Le = `le` (1..256).
[[nodiscard]] CommandApdu mscResponseBlockRequest(MscOperation operation, bool first,
                                                  std::uint32_t le);

struct MscResult {
    std::uint16_t sw = 0;           // 9000, or the status word that ended the exchange
    std::optional<Bytes> response;  // the value of the response's TLV 73, if the card sent one
    [[nodiscard]] bool ok() const { return sw == kSwOk; }
};

// One MANAGE SECURE CHANNEL exchange: the command blocks of `payload` (none when it is absent:
// retrieve endpoints), then the response blocks when the card has a response (62 F3, or always
// when there was no command data). `expectedResponseSize` is the size of the whole response TLV
// when the step knows it; the first request asks for exactly that, and later requests ask for
// exactly what the TLV 73 header says is left, so a T=0 card never needs a 6Cxx round.
// An error status word (anything the coding does not use) ends the exchange and comes back in
// the result; a status word out of sequence, or a response that is not one TLV 73, throws
// ProtocolError.
[[nodiscard]] MscResult manageSecureChannel(const Transaction& transaction, CardChannel& channel,
                                            MscOperation operation, std::optional<ByteView> payload,
                                            std::optional<std::size_t> expectedResponseSize = {},
                                            std::size_t maxBlock = kMaxMscBlock);

// --- TRANSACT DATA -----------------------------------------------------------------------------

// ceil(size / containerSize), at least 1.
[[nodiscard]] std::size_t blockCount(std::size_t size, std::size_t containerSize);
// The command blocks of one encoded secured-data TLV: P1 04, P2 = blocks still to come.
[[nodiscard]] std::vector<CommandApdu> transactCommandBlocks(ByteView encoded,
                                                             std::size_t containerSize);
// A response block request, Le = `le` (1..256).
[[nodiscard]] CommandApdu transactResponseBlockRequest(std::uint32_t le);
// The abort command (case 1).
[[nodiscard]] CommandApdu transactAbort();

// Collects the response blocks of one secured message and checks their sequence: each block
// 1..containerSize bytes, status 92 NN with NN = blocks still to come, 90 00 with the last, and
// the blocks together exactly one TLV 86. Every violation throws SecuredMessageRejected
// (Malformed).
class SecuredDataAssembler {
public:
    // `blocks`: the NN the card announced after the last command block (1..255).
    // `expectedSize`: the size of the whole TLV 86 when the caller can predict it (from the
    // inner response it expects); it gives the Le of a single response block.
    SecuredDataAssembler(std::size_t blocks, std::size_t containerSize,
                         std::optional<std::size_t> expectedSize = std::nullopt);

    // The Le for the next request: exactly what the block will hold when that is known (a full
    // container before the last block; the rest the TLV 86 header announced, or the expected
    // size for a single block, for the last one), else the container size.
    [[nodiscard]] std::uint32_t nextLe() const;
    void add(ByteView block, std::uint16_t sw);
    [[nodiscard]] bool complete() const { return received_ == blocks_; }
    [[nodiscard]] std::size_t blocks() const { return blocks_; }
    // The value of TLV 86. Only when complete().
    [[nodiscard]] ByteView securedValue() const;

private:
    std::size_t blocks_;
    std::size_t containerSize_;
    std::optional<std::size_t> expectedSize_;
    std::size_t received_ = 0;
    Bytes data_;
};

}  // namespace securechannel::ts102484
