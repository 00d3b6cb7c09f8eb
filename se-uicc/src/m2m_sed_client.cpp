// The M2M-SED client: the commands of se-uicc/applet/M2M-SED.md §2-§4 on a card channel, the
// operational ones only through a SecureTunnel.
#include "seuicc/m2m_sed_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "base/big_endian.hpp"
#include "base/secret.hpp"
#include "sed_coding.hpp"
#include "seuicc/uicc.hpp"

namespace seuicc {

using namespace sed;

// ---------------------------------------------------------------------------------------------
// M2mSedClient: public data and personalisation

void M2mSedClient::select(const Transaction& tx) {
    requireOk(SedCommand::Select, selectByAid(tx, *channel_, kAid, /*wantFcp=*/false));
}

SedStatus M2mSedClient::status(const Transaction& tx) {
    const ResponseApdu response = getPublicData(tx, *channel_, lastStatusSize_);
    requireOk(SedCommand::GetData, response);
    return SedStatus::parse(response.data);
}

void M2mSedClient::verifyAdmin(const Transaction& tx, ByteView code) {
    requireSize(code, kAdminCodeSize, "administrative code");
    requireOk(SedCommand::VerifyAdmin, sendVerifyAdmin(tx, *channel_, code));
}

std::size_t M2mSedClient::storeData(const Transaction& tx, std::span<const SedItem> items,
                                    bool clearFirst) {
    std::vector<StoreDataItem> tlvs;
    tlvs.reserve(items.size());
    for (const SedItem& item : items) {
        tlvs.push_back({item.tag(), item.value(), item.sensitive()});
    }
    return sendStoreData(tx, *channel_, tlvs, clearFirst, [](const ResponseApdu& response) {
        requireOk(SedCommand::StoreData, response);
    });
}

void M2mSedClient::commit(const Transaction& tx, bool lock) {
    const CommandApdu command{
        kClaProprietary, kInsCommit, lock ? kCommitAndLockP1 : kCommitP1, 0x00, {}, std::nullopt};
    requireOk(SedCommand::Commit, channel_->transmit(tx, command));
}

void M2mSedClient::lock(const Transaction& tx) {
    const CommandApdu command{kClaProprietary, kInsCommit, kLockP1, 0x00, {}, std::nullopt};
    requireOk(SedCommand::Lock, channel_->transmit(tx, command));
}

// ---------------------------------------------------------------------------------------------
// M2mSedClient: operational commands, through the tunnel only

void M2mSedClient::checkMasterSecretSeed(MasterSecretMode mode, ByteView seed) {
    if (mode == MasterSecretMode::Plain) {
        requireSize(seed, 2 * kRandomSize, "master secret seed (client_random ‖ server_random)");
    } else if (seed.size() < kMinSessionHash || seed.size() > kMaxSessionHash) {
        throw SedInvalidArgument(
            fmt::format("session hash: {} bytes, 20..64 allowed", seed.size()));
    }
}

void M2mSedClient::checkRandoms(ByteView clientRandom, ByteView serverRandom) {
    requireSize(clientRandom, kRandomSize, "client_random");
    requireSize(serverRandom, kRandomSize, "server_random");
}

base::SecretBuffer M2mSedClient::computeMasterSecret(const Transaction& tx, SecureTunnel& tunnel,
                                                     KeySlot slot, MasterSecretMode mode,
                                                     ByteView seed) {
    checkMasterSecretSeed(mode, seed);
    // Le = the exact answer, so the tunnel reads the protected response in one go (see
    // SecureTunnel::transmit).
    const CommandApdu command{kClaProprietary,
                              kInsComputeMasterSecret,
                              static_cast<std::uint8_t>(slot),
                              static_cast<std::uint8_t>(mode),
                              Bytes(seed.begin(), seed.end()),
                              static_cast<std::uint32_t>(kMasterSecretSize)};
    ResponseApdu response = tunnel.transmit(tx, command);
    if (!response.ok()) {
        base::secureWipe(response.data);
        throwSedError(SedCommand::ComputeMasterSecret, response.sw);
    }
    if (response.data.size() != kMasterSecretSize) {
        const std::size_t size = response.data.size();
        base::secureWipe(response.data);
        throw SedMalformedResponse(fmt::format(
            "M2M-SED COMPUTE MASTER SECRET: {} bytes returned, a master secret has 48", size));
    }
    return base::SecretBuffer::takeFrom(response.data);
}

KeyCheckValue M2mSedClient::deriveExportedKey(const Transaction& tx, SecureTunnel& tunnel,
                                              ExportTarget target, ByteView clientRandom,
                                              ByteView serverRandom) {
    checkRandoms(clientRandom, serverRandom);
    CommandApdu command{kClaProprietary,
                        kInsDeriveExportedKey,
                        static_cast<std::uint8_t>(target),
                        0x00,
                        {},
                        static_cast<std::uint32_t>(KeyCheckValue{}.size())};
    command.data.assign(clientRandom.begin(), clientRandom.end());
    command.data.insert(command.data.end(), serverRandom.begin(), serverRandom.end());
    const ResponseApdu response = tunnel.transmit(tx, command);
    requireOk(SedCommand::DeriveExportedKey, response);
    KeyCheckValue kcv{};
    if (response.data.size() != kcv.size()) {
        throw SedMalformedResponse(fmt::format(
            "M2M-SED DERIVE EXPORTED KEY: {} bytes returned, a KCV has 3", response.data.size()));
    }
    std::copy(response.data.begin(), response.data.end(), kcv.begin());
    return kcv;
}

void M2mSedClient::activateKey(const Transaction& tx, SecureTunnel& tunnel, ExportTarget target,
                               std::uint32_t index, std::chrono::system_clock::time_point expiry,
                               std::optional<std::uint64_t> connectionId) {
    if ((target == ExportTarget::Kmc) != connectionId.has_value()) {
        throw SedInvalidArgument(target == ExportTarget::Kmc
                                     ? "ACTIVATE KEY Kmc needs a ConnectionId"
                                     : "ACTIVATE KEY Kmr takes no ConnectionId");
    }
    CommandApdu command{
        kClaProprietary, kInsActivateKey, static_cast<std::uint8_t>(target), 0x00, {},
        std::nullopt};
    base::appendBigEndian<4>(command.data, index);
    base::appendBigEndian<8>(command.data, unixSeconds(expiry));
    if (connectionId) {
        base::appendBigEndian<8>(command.data, *connectionId);
    }
    const ResponseApdu response = tunnel.transmit(tx, command);
    requireOk(SedCommand::ActivateKey, response);
    if (!response.data.empty()) {
        throw SedMalformedResponse(fmt::format(
            "M2M-SED ACTIVATE KEY: {} unexpected bytes of response data", response.data.size()));
    }
}

M2mSedClient::GbaKey M2mSedClient::setKeyFromGba(const Transaction& tx, SecureTunnel& tunnel,
                                                 ExportTarget target, ByteView nafId,
                                                 std::string_view impi) {
    constexpr std::size_t kKsNafSize = 32;
    if (nafId.empty() || nafId.size() > 100 || impi.empty() || impi.size() > 0xFF) {
        throw SedInvalidArgument("SET KEY FROM GBA: NAF_Id 1..100 bytes, IMPI 1..255 bytes");
    }
    CommandApdu command{kClaProprietary,
                        kInsKeyFromGba,
                        static_cast<std::uint8_t>(target),
                        0x00,
                        {},
                        static_cast<std::uint32_t>(kKsNafSize + KeyCheckValue{}.size())};
    command.data.push_back(static_cast<std::uint8_t>(nafId.size()));
    command.data.insert(command.data.end(), nafId.begin(), nafId.end());
    command.data.push_back(static_cast<std::uint8_t>(impi.size()));
    command.data.insert(command.data.end(), impi.begin(), impi.end());
    ResponseApdu response = tunnel.transmit(tx, command);
    if (!response.ok()) {
        base::secureWipe(response.data);
        throwSedError(SedCommand::KeyFromGba, response.sw);
    }
    if (response.data.size() != kKsNafSize + KeyCheckValue{}.size()) {
        const std::size_t size = response.data.size();
        base::secureWipe(response.data);
        throw SedMalformedResponse(fmt::format(
            "M2M-SED SET KEY FROM GBA: {} bytes returned, Ks_ext_NAF ‖ KCV has 35", size));
    }
    GbaKey out;
    std::copy(response.data.begin() + kKsNafSize, response.data.end(), out.kcv.begin());
    response.data.resize(kKsNafSize);
    out.ksExtNaf = base::SecretBuffer::takeFrom(response.data);
    return out;
}

}  // namespace seuicc
