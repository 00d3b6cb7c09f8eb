// The IV-SED's command coding (se-uicc/applet/IV-SED.md §2-§4) beyond what it shares with the
// M2M-SED (sed_coding.hpp). Private to se-uicc.
#pragma once

#include <cstddef>
#include <cstdint>

#include "seuicc/apdu.hpp"

namespace seuicc::iv {

constexpr std::uint8_t kInsGenerateKey = 0x48;
constexpr std::uint8_t kInsLoadBlock = 0x50;
constexpr std::uint8_t kInsInstallManifest = 0x52;
constexpr std::uint8_t kInsCompare = 0x54;
constexpr std::uint8_t kInsSignReport = 0x56;
constexpr std::uint8_t kInsReadOutput = 0x58;
constexpr std::uint8_t kInsVerifyDecision = 0x5A;

constexpr std::uint8_t kFirst = 0x00;  // LOAD BLOCK, COMPARE P1
constexpr std::uint8_t kNext = 0x01;
constexpr std::size_t kMaxBlock = 240;
constexpr std::size_t kInputCapacity = 4096;
constexpr std::size_t kDigestSize = 32;
constexpr std::uint8_t kAbsentFlag = 0x80;
constexpr std::size_t kMaxCompareData = 255;
constexpr std::size_t kMinNonce = 8;
constexpr std::size_t kMaxNonce = 64;
constexpr std::uint32_t kReadChunk = 256;
constexpr std::uint8_t kNoSubmods = 0x00;  // SIGN REPORT P1
constexpr std::uint8_t kWithSubmods = 0x01;

// GET DATA tags (IV-SED.md §2).
constexpr std::uint32_t kTagLifecycle = 0xC0;
constexpr std::uint32_t kTagAdminTries = 0xCF;
constexpr std::uint32_t kTagNodeId = 0xC1;
constexpr std::uint32_t kTagManifestVersion = 0xD0;
constexpr std::uint32_t kTagReportCounter = 0xD1;
constexpr std::uint32_t kTagManifestDigest = 0xD2;
constexpr std::uint32_t kTagAttestationKey = 0xD3;
constexpr std::uint32_t kTagReferenceKeyId = 0xD4;
constexpr std::uint32_t kTagPolicyKeyId = 0xD5;
constexpr std::uint32_t kTagKcvKmsa = 0xE4;

// STORE DATA tags (IV-SED.md §3).
constexpr std::uint8_t kStoreNodeId = 0xC1;
constexpr std::uint8_t kStoreKmsa = 0xD4;
constexpr std::uint8_t kStoreReferenceKey = 0xE1;
constexpr std::uint8_t kStorePolicyKey = 0xE2;

enum class IvCommand {
    Select,
    GetData,
    VerifyAdmin,
    StoreData,
    GenerateKey,
    Commit,
    Lock,
    LoadBlock,
    InstallManifest,
    Compare,
    SignReport,
    ReadOutput,
    VerifyDecision,
};

// Throws the typed error of iv_sed_errors.hpp `sw` means for `command`.
[[noreturn]] void throwIvError(IvCommand command, std::uint16_t sw);
// `response` if it is 9000; the typed error otherwise.
const ResponseApdu& requireOk(IvCommand command, const ResponseApdu& response);

}  // namespace seuicc::iv
