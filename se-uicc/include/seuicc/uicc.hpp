// UICC basics (ETSI TS 102 221) over a CardChannel: SELECT, READ BINARY/RECORD, the FCP,
// EF_ICCID, EF_DIR, and the one-call summary of a card.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "seuicc/apdu.hpp"
#include "seuicc/atr.hpp"
#include "seuicc/card_channel.hpp"

namespace seuicc {

// File identifiers of TS 102 221 §13.
inline constexpr std::uint16_t kFidMf = 0x3F00;
inline constexpr std::uint16_t kFidEfDir = 0x2F00;
inline constexpr std::uint16_t kFidEfIccid = 0x2FE2;

// SELECT (INS A4). Without `wantFcp` the card returns nothing (P2 0C): one APDU. With it, the
// FCP template (P2 04, Le 00), which a T=0 card sends only after 61xx + GET RESPONSE: two APDUs,
// so ask for it only when it is read. The status word comes back as it is: 6A82 is an answer,
// not an exception.
ResponseApdu selectByAid(const Transaction& transaction, CardChannel& channel, ByteView aid,
                         bool wantFcp = false);
ResponseApdu selectByFileId(const Transaction& transaction, CardChannel& channel, std::uint16_t fid,
                            bool wantFcp = false);
// `pathFromMf`: the file IDs below the MF, e.g. 7FFF 6F07; a leading 3F00 is dropped. Reaches
// the file whatever the channel's current DF is.
ResponseApdu selectByPath(const Transaction& transaction, CardChannel& channel, ByteView pathFromMf,
                          bool wantFcp = false);

// READ BINARY of the selected transparent EF, in chunks of at most 255 bytes. Stops early, with
// what it has, at the end of the file (short answer, 6282, or 6B00 after the first chunk).
// Throws CardStatusError on any other failure.
Bytes readBinary(const Transaction& transaction, CardChannel& channel, std::size_t offset,
                 std::size_t length);
// UPDATE BINARY of the selected transparent EF with `data` from `offset`, in chunks of at most
// 255 bytes (one APDU each). Throws CardStatusError unless 9000.
void updateBinary(const Transaction& transaction, CardChannel& channel, std::size_t offset,
                  ByteView data);
// READ RECORD `record` (1-based, absolute mode) of the selected record EF; `length` 0 asks for
// up to 256 bytes. Throws CardStatusError unless 9000.
Bytes readRecord(const Transaction& transaction, CardChannel& channel, std::uint8_t record,
                 std::uint8_t length);

// The FCP template (tag 62) a SELECT returns (TS 102 221 §11.1.1.3).
struct Fcp {
    std::optional<std::uint16_t> fileId;        // 83
    std::uint8_t descriptor = 0;                // 82, first byte: file type and structure
    std::optional<std::uint16_t> recordLength;  // 82, bytes 3-4, record EFs only
    std::optional<std::uint8_t> recordCount;    // 82, byte 5, record EFs only
    std::optional<std::uint32_t> fileSize;      // 80: size of the EF's body
    Bytes dfName;                               // 84: the AID of an ADF

    // Throws TlvError when `selectResponse` is not a tag-62 template with a file descriptor.
    static Fcp parse(ByteView selectResponse);
};

// EF_ICCID's size (TS 102 221 §13.2): what TS 102 484 calls UICC_ID.
inline constexpr std::size_t kEfIccidSize = 10;

// EF_ICCID content (swapped-nibble BCD) to digits; stops at the first F nibble. Nibbles A-E,
// which no valid ICCID has, come out as hex letters rather than being dropped.
std::string decodeIccid(ByteView ef);
// Digits (1 to 20) to the 10-byte EF_ICCID content, padded with F. Throws Error otherwise.
Bytes encodeIccid(std::string_view digits);
// EF_ICCID as stored, read on `channel`: SELECT by path from the MF without FCP, READ BINARY of
// its 10 bytes (2 APDUs, whatever the channel's current DF). Throws CardStatusError if the card
// refuses either.
Bytes readEfIccid(const Transaction& transaction, CardChannel& channel);

// One application template (tag 61) of EF_DIR: its AID (4F) and label (50).
struct ApplicationEntry {
    Bytes aid;
    std::string label;
};
// The application templates of one EF_DIR record; an all-FF (empty) record gives none.
// Throws TlvError on a malformed record or a template without an AID.
std::vector<ApplicationEntry> parseEfDirRecord(ByteView record);

// Every application EF_DIR lists, read on `channel` (by path: its current DF does not matter);
// none when the card has no EF_DIR. 2 APDUs + one per record under T=0.
std::vector<ApplicationEntry> readEfDir(const Transaction& transaction, CardChannel& channel);

struct CardInfo {
    Atr atr;
    std::string iccid;
    Bytes iccidRaw;  // EF_ICCID as stored: what TS 102 484 calls UICC_ID
    std::vector<ApplicationEntry> applications;
    ApduCounters counters;  // what reading all this cost on the wire
};

// Everything `m2m card info` shows, in one transaction of its own on the basic channel:
// the ATR, EF_ICCID, and every non-empty EF_DIR record (a card without EF_DIR has no
// applications). 4 APDUs + one per EF_DIR record under T=0: EF_ICCID (readEfIccid), then EF_DIR
// selected by path with its FCP (the record size and count), then its records.
CardInfo readCardInfo(Transport& transport);

}  // namespace seuicc
