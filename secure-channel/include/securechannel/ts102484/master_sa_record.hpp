// What a terminal remembers of a master SA so that a later process can set up the channel with a
// connection SA + start only (4 APDUs instead of 7): M2M-SED.md §10 says why that is safe.
//
// The record is public (the MSA_ID crosses the card interface in clear anyway) but not trusted as
// it is: its tag, under a key derived from Kmsa, binds the MSA_ID to the UICC_ID, the AID and the
// container size it was made with, so an edited record, or one made under another Kmsa, is refused
// and the terminal does a full setup instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "securechannel/ts102484/errors.hpp"
#include "securechannel/types.hpp"

namespace securechannel::ts102484 {

struct MasterSaRecord {
    Bytes msaId;                     // MSA_ID '88', 16 bytes
    Bytes uiccId;                    // UICC_ID '83': EF_ICCID as stored, 10 bytes
    Bytes aid;                       // UICC_appli_ID '84', 1..16 bytes
    std::uint8_t containerSize = 0;  // the container size the session used, 32..255
    Bytes tag;                       // masterSaRecordTag(), 16 bytes

    // The ICCID as digits (seuicc::decodeIccid of uiccId).
    [[nodiscard]] std::string iccid() const;

    // One line: "msa-record/1 msa_id=<hex> uicc_id=<hex> aid=<hex> container=<n> tag=<hex>".
    [[nodiscard]] std::string toText() const;
    // The strict inverse of toText (surrounding white space ignored): every field once, nothing
    // else, sizes in range. Throws MasterSaRecordError naming what is wrong.
    [[nodiscard]] static MasterSaRecord fromText(std::string_view text);

    bool operator==(const MasterSaRecord&) const = default;
};

// CMAC(K_rec, "MSAR" ‖ MSA_ID ‖ UICC_ID ‖ len(AID) ‖ AID ‖ container size) with
// K_rec = KBKDF-CMAC(Kmsa, "MSA-RECORD", empty context); `record.tag` is not an input.
[[nodiscard]] Bytes masterSaRecordTag(ByteView kmsa, const MasterSaRecord& record);

// `record` with its tag set under `kmsa`.
[[nodiscard]] MasterSaRecord sealMasterSaRecord(ByteView kmsa, MasterSaRecord record);

// Why `record` must not be used to set up a channel to `aid` (with `expectedUiccId` when the
// caller knows the card's EF_ICCID): sizes out of range, another AID or ICCID, or a tag that does
// not verify under `kmsa`. nullopt when it may be tried.
[[nodiscard]] std::optional<std::string> masterSaRecordProblem(
    const MasterSaRecord& record, ByteView kmsa, ByteView aid,
    std::optional<ByteView> expectedUiccId = std::nullopt);

}  // namespace securechannel::ts102484
