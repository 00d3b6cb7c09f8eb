#include "securechannel/terminal_se.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "base/log.hpp"
#include "base/process.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/key_file.hpp"

namespace securechannel {

namespace {

void requireIdentity(const std::string& value, std::string_view what) {
    if (value.empty() || value.size() > profile::v1::kMaxIdentityLength) {
        throw std::invalid_argument(
            fmt::format("{} must have 1..32 bytes, not {}", what, value.size()));
    }
}

}  // namespace

std::string defaultTerminalId() {
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') {
        return "localhost";
    }
    std::string host(name.data());
    if (host.size() > profile::v1::kMaxIdentityLength) {
        host.resize(profile::v1::kMaxIdentityLength);
    }
    return host;
}

TerminalSecuredEnvironment::TerminalSecuredEnvironment(Options options)
    : identity_{options.terminalId.empty() ? defaultTerminalId() : std::move(options.terminalId),
                std::move(options.terminalAppliId)},
      policy_(std::move(options.policy)) {
    requireIdentity(identity_.terminalId, "Terminal_ID");
    requireIdentity(identity_.terminalAppliId, "Terminal_appli_ID");
    if (policy_.containerSize < profile::v1::kMinContainerSize) {
        throw std::invalid_argument(
            fmt::format("container size {} is below the minimum of 32", policy_.containerSize));
    }
    base::hardenProcess();
    kmsa_ = loadKeyFile(options.kmsaKeyFile, profile::v1::kKmsaSize);
}

Bytes TerminalSecuredEnvironment::kmsaCheckValue() const {
    return keyCheckValue(kmsa_.view());
}

std::unique_ptr<ts102484::SecureChannelSession> TerminalSecuredEnvironment::openSession(
    const seuicc::Transaction& transaction, seuicc::CardChannel& channel, ByteView aid) {
    return open(transaction, channel, aid, nullptr, std::nullopt);
}

std::unique_ptr<ts102484::SecureChannelSession> TerminalSecuredEnvironment::openSession(
    const seuicc::Transaction& transaction, seuicc::CardChannel& channel, ByteView aid,
    const ts102484::MasterSaRecord& remembered) {
    return open(transaction, channel, aid, &remembered, std::nullopt);
}

std::unique_ptr<ts102484::SecureChannelSession> TerminalSecuredEnvironment::openSession(
    const seuicc::Transaction& transaction, seuicc::CardChannel& channel, ByteView iccidRaw,
    ByteView aid) {
    return open(transaction, channel, aid, nullptr, iccidRaw);
}

std::unique_ptr<ts102484::SecureChannelSession> TerminalSecuredEnvironment::open(
    const seuicc::Transaction& transaction, seuicc::CardChannel& channel, ByteView aid,
    const ts102484::MasterSaRecord* remembered, std::optional<ByteView> expectedUiccId) {
    using ts102484::MasterSaReuse;
    ts102484::SetupCost cost;
    if (remembered == nullptr) {
        return openFresh(transaction, channel, aid, expectedUiccId, cost);
    }
    if (const auto problem =
            ts102484::masterSaRecordProblem(*remembered, kmsa_.view(), aid, expectedUiccId)) {
        base::log::kSecureChannel->warn("the remembered master SA is not used: {}", *problem);
        cost.masterSaReuse = MasterSaReuse::Refused;
        return openFresh(transaction, channel, aid, expectedUiccId, cost);
    }
    const seuicc::ApduCounters before = channel.counters();
    try {
        // '87' is not asked for again: the master SA was made only if it said 82 (a pre-agreed
        // PSK that exists), and the start below proves the key.
        ts102484::MasterSa masterSa{remembered->msaId,
                                    ts102484::kKeyStrongPskProprietary | ts102484::kKeyExists,
                                    remembered->uiccId, remembered->aid};
        cost.masterSaReuse = MasterSaReuse::Reused;
        auto session = ts102484::SecureChannelSession::open(
            transaction, channel, kmsa_, std::move(masterSa),
            std::min(policy_.containerSize, remembered->containerSize), policy_, cost);
        base::log::kSecureChannel->debug(
            "secure channel open on the remembered master SA: {} APDUs",
            session->setupCost().total().apdus);
        return session;
    } catch (const MasterSaUnknown&) {
        base::log::kSecureChannel->info(
            "the card no longer knows the remembered master SA: setting up a new one");
        cost.staleMasterSa = ts102484::trafficBetween(before, channel.counters());
        cost.masterSaReuse = MasterSaReuse::Stale;
    }
    return openFresh(transaction, channel, aid, expectedUiccId, cost);
}

std::unique_ptr<ts102484::SecureChannelSession> TerminalSecuredEnvironment::openFresh(
    const seuicc::Transaction& transaction, seuicc::CardChannel& channel, ByteView aid,
    std::optional<ByteView> expectedUiccId, ts102484::SetupCost cost) {
    const seuicc::ApduCounters start = channel.counters();
    const ts102484::UiccEndpoints endpoints =
        ts102484::retrieveEndpoints(transaction, channel, aid);
    const seuicc::ApduCounters afterEndpoints = channel.counters();
    cost.retrieveEndpoints = ts102484::trafficBetween(start, afterEndpoints);

    const ts102484::Endpoint& endpoint = ts102484::usableEndpoint(endpoints, aid);
    if (!endpoints.uiccId && !expectedUiccId) {
        throw ProtocolError(
            "the card's endpoints carry no UICC_ID ('83'): the master SA needs the ICCID; pass "
            "EF_ICCID to openSession");
    }
    const ByteView uiccId = endpoints.uiccId ? ByteView(*endpoints.uiccId) : *expectedUiccId;
    if (expectedUiccId &&
        !std::equal(uiccId.begin(), uiccId.end(), expectedUiccId->begin(), expectedUiccId->end())) {
        throw ProtocolError(fmt::format("the card's UICC_ID {} is not the EF_ICCID given ({})",
                                        base::toHex(uiccId), base::toHex(*expectedUiccId)));
    }
    const std::uint8_t containerSize = std::min(policy_.containerSize, endpoint.maxContainerSize);

    ts102484::MasterSa masterSa =
        ts102484::establishMasterSa(transaction, channel, identity_, uiccId, aid);
    cost.masterSa = ts102484::trafficBetween(afterEndpoints, channel.counters());

    auto session = ts102484::SecureChannelSession::open(
        transaction, channel, kmsa_, std::move(masterSa), containerSize, policy_, cost);
    const ts102484::SetupCost& setup = session->setupCost();
    base::log::kSecureChannel->debug(
        "secure channel open: container {}, setup {} APDUs ({} + {} + {} + {} + {})", containerSize,
        setup.total().apdus, setup.staleMasterSa.apdus, setup.retrieveEndpoints.apdus,
        setup.masterSa.apdus, setup.connectionSa.apdus, setup.start.apdus);
    return session;
}

}  // namespace securechannel
