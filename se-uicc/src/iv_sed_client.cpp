// The IV-SED client: the commands of se-uicc/applet/IV-SED.md §2-§4 on a card channel, the
// operational ones only through the IV-SED's own SecureTunnel. Personalisation plumbing and the
// shared status words come from the M2M-SED's (sed_coding.hpp).
#include "seuicc/iv_sed_client.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/big_endian.hpp"
#include "iv_sed_coding.hpp"
#include "sed_coding.hpp"
#include "seuicc/iv_sed_errors.hpp"
#include "seuicc/uicc.hpp"

namespace seuicc {

using namespace iv;

namespace {

constexpr std::size_t kAdminCodeSize = 8;

void requireEmptyOrSize(ByteView data, std::size_t size, std::string_view what) {
    if (!data.empty()) {
        sed::requireSize(data, size, what);
    }
}

// LOAD BLOCK × n: `message` into the card's input buffer (IV-SED.md §4).
void loadInput(const Transaction& tx, SecureTunnel& tunnel, ByteView message,
               std::string_view what) {
    if (message.empty() || message.size() > kInputCapacity) {
        throw SedInvalidArgument(fmt::format("{}: {} bytes, the IV-SED takes 1..{}", what,
                                             message.size(), kInputCapacity));
    }
    for (std::size_t off = 0; off < message.size(); off += kMaxBlock) {
        const std::size_t n = std::min(kMaxBlock, message.size() - off);
        const CommandApdu block{sed::kClaProprietary,
                                kInsLoadBlock,
                                off == 0 ? kFirst : kNext,
                                0x00,
                                Bytes(message.begin() + static_cast<std::ptrdiff_t>(off),
                                      message.begin() + static_cast<std::ptrdiff_t>(off + n)),
                                std::nullopt};
        requireOk(IvCommand::LoadBlock, tunnel.transmit(tx, block));
    }
}

void requireResponseSize(IvCommand command, std::string_view name, const ResponseApdu& response,
                         std::size_t size) {
    requireOk(command, response);
    if (response.data.size() != size) {
        throw IvMalformedResponse(fmt::format("IV-SED {}: {} bytes returned, the contract says {}",
                                              name, response.data.size(), size));
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public data and personalisation, in clear

void IvSedClient::select(const Transaction& tx) {
    requireOk(IvCommand::Select, selectByAid(tx, *channel_, kAid, /*wantFcp=*/false));
}

IvSedStatus IvSedClient::status(const Transaction& tx) {
    const ResponseApdu response = sed::getPublicData(tx, *channel_, lastStatusSize_);
    requireOk(IvCommand::GetData, response);
    return IvSedStatus::parse(response.data);
}

void IvSedClient::verifyAdmin(const Transaction& tx, ByteView code) {
    sed::requireSize(code, kAdminCodeSize, "administrative code");
    requireOk(IvCommand::VerifyAdmin, sed::sendVerifyAdmin(tx, *channel_, code));
}

void IvSedClient::storeData(const Transaction& tx, const IvSedPersonalisation& items) {
    requireEmptyOrSize(items.nodeId, 16, "M2M-Node-ID");
    requireEmptyOrSize(items.kmsaIv, 16, "Kmsa_iv");
    requireEmptyOrSize(items.referenceKeyPoint, kPointSize, "reference-value key point");
    requireEmptyOrSize(items.policyKeyPoint, kPointSize, "NSCL policy key point");
    std::vector<sed::StoreDataItem> tlvs;
    const auto add = [&tlvs](std::uint8_t tag, ByteView value, bool sensitive) {
        if (!value.empty()) {
            tlvs.push_back({tag, value, sensitive});
        }
    };
    add(kStoreNodeId, items.nodeId, false);
    add(kStoreReferenceKey, items.referenceKeyPoint, false);
    add(kStorePolicyKey, items.policyKeyPoint, false);
    add(kStoreKmsa, items.kmsaIv, true);
    if (tlvs.empty()) {
        throw SedInvalidArgument("IV-SED STORE DATA: no item given");
    }
    sed::sendStoreData(tx, *channel_, tlvs, /*clearFirst=*/false,
                       [](const ResponseApdu& r) { requireOk(IvCommand::StoreData, r); });
}

Bytes IvSedClient::generateAttestationKey(const Transaction& tx) {
    const CommandApdu command{sed::kClaProprietary,
                              kInsGenerateKey,
                              0x00,
                              0x00,
                              {},
                              static_cast<std::uint32_t>(kPointSize)};
    const ResponseApdu response = channel_->transmit(tx, command);
    requireResponseSize(IvCommand::GenerateKey, "GENERATE ATTESTATION KEY", response, kPointSize);
    if (response.data[0] != 0x04) {
        throw IvMalformedResponse("IV-SED GENERATE ATTESTATION KEY: not an uncompressed point");
    }
    return response.data;
}

void IvSedClient::commit(const Transaction& tx, bool lock) {
    const CommandApdu command{sed::kClaProprietary,
                              sed::kInsCommit,
                              lock ? sed::kCommitAndLockP1 : sed::kCommitP1,
                              0x00,
                              {},
                              std::nullopt};
    requireOk(IvCommand::Commit, channel_->transmit(tx, command));
}

void IvSedClient::lock(const Transaction& tx) {
    const CommandApdu command{sed::kClaProprietary, sed::kInsCommit, sed::kLockP1, 0x00, {},
                              std::nullopt};
    requireOk(IvCommand::Lock, channel_->transmit(tx, command));
}

// ---------------------------------------------------------------------------------------------
// Operational commands, through the IV-SED's tunnel only

IvSedClient::InstalledManifest IvSedClient::installManifest(const Transaction& tx,
                                                            SecureTunnel& tunnel,
                                                            ByteView coseSign1) {
    loadInput(tx, tunnel, coseSign1, "manifest");
    const CommandApdu install{sed::kClaProprietary,
                              kInsInstallManifest,
                              0x00,
                              0x00,
                              {},
                              static_cast<std::uint32_t>(4 + kDigestSize)};
    const ResponseApdu response = tunnel.transmit(tx, install);
    requireResponseSize(IvCommand::InstallManifest, "INSTALL MANIFEST", response, 4 + kDigestSize);
    InstalledManifest out;
    out.version = static_cast<std::uint32_t>(base::readBigEndian(ByteView(response.data).first(4)));
    out.payloadSha256.assign(response.data.begin() + 4, response.data.end());
    return out;
}

std::vector<IvResult> IvSedClient::compare(const Transaction& tx, SecureTunnel& tunnel,
                                           std::span<const CompareEntry> entries) {
    if (entries.empty()) {
        throw SedInvalidArgument("IV-SED COMPARE: no entry");
    }
    for (const CompareEntry& e : entries) {
        if (e.index >= kAbsentFlag || (e.sha256 && e.sha256->size() != kDigestSize)) {
            throw SedInvalidArgument(
                "IV-SED COMPARE: an index is 0..127 and a digest has 32 bytes");
        }
    }
    std::vector<IvResult> results;
    results.reserve(entries.size());
    std::size_t next = 0;
    while (next < entries.size()) {
        CommandApdu command{sed::kClaProprietary, kInsCompare, next == 0 ? kFirst : kNext, 0x00, {},
                            std::nullopt};
        command.data.reserve(kMaxCompareData);
        std::size_t count = 0;
        for (; next < entries.size(); ++next, ++count) {
            const CompareEntry& e = entries[next];
            const std::size_t size = e.sha256 ? 1 + kDigestSize : 1;
            if (command.data.size() + size > kMaxCompareData) {
                break;
            }
            if (e.sha256) {
                command.data.push_back(e.index);
                command.data.insert(command.data.end(), e.sha256->begin(), e.sha256->end());
            } else {
                command.data.push_back(static_cast<std::uint8_t>(e.index | kAbsentFlag));
            }
        }
        command.le = static_cast<std::uint32_t>(count);
        const ResponseApdu response = tunnel.transmit(tx, command);
        requireResponseSize(IvCommand::Compare, "COMPARE", response, count);
        for (const std::uint8_t r : response.data) {
            if (r < 1 || r > 4) {
                throw IvMalformedResponse(fmt::format("IV-SED COMPARE: result {:02X}", r));
            }
            results.push_back(static_cast<IvResult>(r));
        }
    }
    return results;
}

IvSedClient::SignedReport IvSedClient::signReport(const Transaction& tx, SecureTunnel& tunnel,
                                                  ByteView nonce,
                                                  std::optional<std::uint64_t> iatUnix,
                                                  std::optional<ByteView> submods) {
    if (nonce.size() < kMinNonce || nonce.size() > kMaxNonce) {
        throw SedInvalidArgument(
            fmt::format("IV-SED SIGN REPORT: nonce of {} bytes, 8..64 allowed", nonce.size()));
    }
    if (submods) {
        loadInput(tx, tunnel, *submods, "submods");
    }
    CommandApdu sign{
        sed::kClaProprietary, kInsSignReport, submods ? kWithSubmods : kNoSubmods, 0x00, {}, 6u};
    sign.data.reserve(1 + kMaxNonce + 8);
    sign.data.push_back(static_cast<std::uint8_t>(nonce.size()));
    sign.data.insert(sign.data.end(), nonce.begin(), nonce.end());
    if (iatUnix) {
        base::appendBigEndian<8>(sign.data, *iatUnix);
    }
    const ResponseApdu response = tunnel.transmit(tx, sign);
    requireResponseSize(IvCommand::SignReport, "SIGN REPORT", response, 6);
    const auto length =
        static_cast<std::size_t>(base::readBigEndian(ByteView(response.data).first(2)));
    SignedReport out;
    out.counter =
        static_cast<std::uint32_t>(base::readBigEndian(ByteView(response.data).subspan(2)));
    if (length == 0) {
        throw IvMalformedResponse("IV-SED SIGN REPORT: an empty report");
    }
    out.coseSign1.reserve(length);
    while (out.coseSign1.size() < length) {
        const std::size_t offset = out.coseSign1.size();
        const auto want =
            static_cast<std::uint32_t>(std::min<std::size_t>(kReadChunk, length - offset));
        const CommandApdu read{sed::kClaProprietary,
                               kInsReadOutput,
                               static_cast<std::uint8_t>(offset >> 8),
                               static_cast<std::uint8_t>(offset & 0xFF),
                               {},
                               want};
        const ResponseApdu chunk = tunnel.transmit(tx, read);
        requireResponseSize(IvCommand::ReadOutput, "READ OUTPUT", chunk, want);
        out.coseSign1.insert(out.coseSign1.end(), chunk.data.begin(), chunk.data.end());
    }
    return out;
}

IvSedClient::DecisionCheck IvSedClient::verifyDecision(const Transaction& tx, SecureTunnel& tunnel,
                                                       ByteView coseSign1) {
    loadInput(tx, tunnel, coseSign1, "decision");
    const CommandApdu verify{sed::kClaProprietary, kInsVerifyDecision, 0x00, 0x00, {}, 5u};
    const ResponseApdu response = tunnel.transmit(tx, verify);
    requireResponseSize(IvCommand::VerifyDecision, "VERIFY DECISION", response, 5);
    DecisionCheck out;
    out.verdict = response.data[0];
    out.counter =
        static_cast<std::uint32_t>(base::readBigEndian(ByteView(response.data).subspan(1)));
    if (out.verdict > 2) {
        throw IvMalformedResponse(
            fmt::format("IV-SED VERIFY DECISION: verdict {:02X}", out.verdict));
    }
    return out;
}

}  // namespace seuicc
