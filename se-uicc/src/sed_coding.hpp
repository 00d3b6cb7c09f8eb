// The M2M-SED's command coding (se-uicc/applet/M2M-SED.md §2-§4), shared by the files of its
// client: instruction bytes, GET DATA tags, limits, and the helpers that turn status words into
// typed errors. The personalisation plumbing (GET DATA, VERIFY ADMIN, STORE DATA) and the status
// words every Secured Environment Domain shares are also used by the IV-SED's client
// (IV-SED.md §2-§3 takes them from M2M-SED.md). Private to se-uicc.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "seuicc/apdu.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/sed_items.hpp"

namespace seuicc::sed {

constexpr std::uint8_t kClaIso = 0x00;
constexpr std::uint8_t kClaProprietary = 0x80;

constexpr std::uint8_t kInsVerify = 0x20;
constexpr std::uint8_t kInsGetData = 0xCA;
constexpr std::uint8_t kInsStoreData = 0xE2;
constexpr std::uint8_t kInsCommit = 0xE8;  // COMMIT and LOCK
constexpr std::uint8_t kInsComputeMasterSecret = 0x40;
constexpr std::uint8_t kInsDeriveExportedKey = 0x42;
constexpr std::uint8_t kInsActivateKey = 0x44;
constexpr std::uint8_t kInsKeyFromGba = 0x46;

constexpr std::uint8_t kVerifyAdminP2 = 0x81;
constexpr std::uint8_t kGetDataAllP2 = 0xFF;
constexpr std::uint8_t kStoreDataClearFirst = 0x01;  // P1 b1
constexpr std::uint8_t kCommitP1 = 0x01;
constexpr std::uint8_t kLockP1 = 0x02;
constexpr std::uint8_t kCommitAndLockP1 = 0x03;

constexpr std::size_t kMaxShortData = 255;

// GET DATA tags.
constexpr std::uint32_t kTagLifecycle = 0xC0;
constexpr std::uint32_t kTagAdminTries = 0xCF;
constexpr std::uint32_t kTagNodeId = 0xC1;
constexpr std::uint32_t kTagKmrIndex = 0xC2;
constexpr std::uint32_t kTagKmrExpiry = 0xC3;
constexpr std::uint32_t kTagSclId = 0xC4;
constexpr std::uint32_t kTagNsclList = 0xC5;
constexpr std::uint32_t kTagMasFqdn = 0xC6;
constexpr std::uint32_t kTagKmcIndex = 0xC7;
constexpr std::uint32_t kTagConnectionId = 0xC8;
constexpr std::uint32_t kTagKmcExpiry = 0xC9;
constexpr std::uint32_t kTagKcvKmr = 0xE1;
constexpr std::uint32_t kTagKcvKmc = 0xE2;
constexpr std::uint32_t kTagKcvKbs = 0xE3;
constexpr std::uint32_t kTagKcvKmsa = 0xE4;
constexpr std::uint32_t kTagKcvKiv = 0xE5;

constexpr std::size_t kMaxUriLength = 128;
constexpr std::size_t kMaxNsclListLength = 255;
constexpr std::size_t kMinSessionHash = 20;
constexpr std::size_t kMaxSessionHash = 64;

// The command a status word answered, for the error's type and message.
enum class SedCommand {
    Select,
    GetData,
    VerifyAdmin,
    StoreData,
    Commit,
    Lock,
    ComputeMasterSecret,
    DeriveExportedKey,
    ActivateKey,
    KeyFromGba,
};

// Throws the SedError subclass `sw` means for `command` (M2M-SED.md §3, §4).
[[noreturn]] void throwSedError(SedCommand command, std::uint16_t sw);

// The status words every Secured Environment Domain codes alike (M2M-SED.md §3, §8): 63Cx on
// VERIFY ADMIN (`verifyAdmin`), 6983, 6982, 6A80, 6A88, 6A86/6B00, 6700, 6D00/6E00, else
// SedError. `specific` runs first and throws for the words the domain and `name` give their own
// meaning (6985, 6A82 on SELECT...); when it returns, the shared meaning applies.
[[noreturn]] void throwDomainError(std::uint16_t sw, std::string_view name, bool verifyAdmin,
                                   const std::function<void()>& specific);
// `response` if it is 9000; the typed error otherwise.
const ResponseApdu& requireOk(SedCommand command, const ResponseApdu& response);

// Unix seconds of `at` (M2M-SED fields are unsigned). Throws SedInvalidArgument before 1970.
std::uint64_t unixSeconds(std::chrono::system_clock::time_point at);
// Throws SedInvalidArgument unless `data` has `size` bytes; returns `size`.
std::size_t requireSize(ByteView data, std::size_t size, std::string_view what);

// One STORE DATA command's worth of TLVs.
struct StoreDataBatch {
    Bytes data;
    bool sensitive = false;
};

// One TLV for STORE DATA; `value` is the caller's (a key is referred to, never copied here).
struct StoreDataItem {
    std::uint8_t tag = 0;
    ByteView value;
    bool sensitive = false;
};

// Packs the items in order, public and sensitive ones in separate batches of at most 255
// bytes (an item that is longer alone gets a batch of its own). The caller wipes the batches.
std::vector<StoreDataBatch> packStoreData(std::span<const StoreDataItem> items);

// GET DATA 80 CA 00 FF of a domain's public data, Le from `lastSize` (the previous answer's
// size, 0: none yet), which it updates on 9000. The response is returned unchecked.
ResponseApdu getPublicData(const Transaction& tx, CardChannel& channel, std::size_t& lastSize);
// VERIFY ADMIN 00 20 00 81 with the 8-byte code, traced redacted; the response unchecked.
ResponseApdu sendVerifyAdmin(const Transaction& tx, CardChannel& channel, ByteView code);
// STORE DATA of `items` in as few commands as they fit, key-bearing ones traced redacted, P1 b1
// on the first when `clearFirst`; `check` gets every response (and throws on an error). Returns
// the number of commands.
std::size_t sendStoreData(const Transaction& tx, CardChannel& channel,
                          std::span<const StoreDataItem> items, bool clearFirst,
                          const std::function<void(const ResponseApdu&)>& check);

}  // namespace seuicc::sed
