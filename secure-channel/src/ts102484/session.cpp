#include "securechannel/ts102484/session.hpp"

#include <fmt/format.h>
#include "base/big_endian.hpp"

#include <stdexcept>
#include <utility>

#include "base/log.hpp"
#include "seuicc/tlv.hpp"
#include "seuicc/uicc.hpp"

namespace securechannel::ts102484 {

namespace v1 = profile::v1;

namespace {

constexpr std::uint16_t kSwChannelEnded = 0x6982;  // the card ended the CSA (M2M-SED.md §7)
constexpr std::uint16_t kSwExpired = 0x9863;       // no live started CSA

// The card's own verdicts that end an exchange, whatever phase it is in.
void checkCardVerdict(std::uint16_t sw) {
    if (sw == kSwExpired) {
        throw SessionExpired("TRANSACT DATA: the card has no live started connection SA (98 63)",
                             sw);
    }
    if (sw == kSwChannelEnded) {
        throw ChannelBroken(
            "TRANSACT DATA: the card rejected the secured message and ended the connection SA "
            "(69 82)",
            sw);
    }
}

}  // namespace

std::string_view toString(MasterSaReuse reuse) {
    switch (reuse) {
        case MasterSaReuse::None:
            return "none";
        case MasterSaReuse::Reused:
            return "reused";
        case MasterSaReuse::Refused:
            return "refused";
        case MasterSaReuse::Stale:
            return "stale";
    }
    return "unknown";
}

ApduCounters SetupCost::total() const {
    ApduCounters sum;
    sum += staleMasterSa;
    sum += retrieveEndpoints;
    sum += masterSa;
    sum += connectionSa;
    sum += start;
    return sum;
}

ApduCounters trafficBetween(const ApduCounters& before, const ApduCounters& after) {
    return ApduCounters{after.apdus - before.apdus, after.bytesSent - before.bytesSent,
                        after.bytesReceived - before.bytesReceived};
}

std::string_view toString(SessionState state) {
    switch (state) {
        case SessionState::Open:
            return "open";
        case SessionState::Expired:
            return "expired";
        case SessionState::Broken:
            return "broken";
        case SessionState::Terminated:
            return "terminated";
    }
    return "unknown";
}

SecureChannelSession::SecureChannelSession(CardChannel& channel, const SecretBuffer& kmsa,
                                           MasterSa masterSa, std::uint8_t containerSize,
                                           SessionPolicy policy, SetupCost costSoFar)
    : channel_(&channel),
      kmsa_(SecretBuffer::copyOf(kmsa.view())),
      masterSa_(std::move(masterSa)),
      containerSize_(containerSize),
      policy_(std::move(policy)),
      setupCost_(costSoFar) {
    if (kmsa_.size() != v1::kKmsaSize) {
        throw std::invalid_argument("SecureChannelSession: Kmsa has 16 bytes");
    }
    if (containerSize_ < v1::kMinContainerSize) {
        throw std::invalid_argument(
            fmt::format("SecureChannelSession: container size {} below 32", containerSize_));
    }
}

std::unique_ptr<SecureChannelSession> SecureChannelSession::open(
    const Transaction& transaction, CardChannel& channel, const SecretBuffer& kmsa,
    MasterSa masterSa, std::uint8_t containerSize, SessionPolicy policy, SetupCost costSoFar) {
    std::unique_ptr<SecureChannelSession> session(new SecureChannelSession(
        channel, kmsa, std::move(masterSa), containerSize, std::move(policy), costSoFar));
    session->connect(transaction);
    return session;
}

SecureChannelSession::~SecureChannelSession() {
    keys_.reset();  // SecretBuffers wipe themselves; this makes the order explicit
}

std::chrono::steady_clock::time_point SecureChannelSession::now() const {
    return policy_.clock ? policy_.clock() : std::chrono::steady_clock::now();
}

bool SecureChannelSession::lifetimeOver() const {
    return now() - started_ > policy_.maxAge || messageCost_.messages >= policy_.maxMessages;
}

SessionState SecureChannelSession::state() const {
    if (state_ == SessionState::Open && lifetimeOver()) {
        return SessionState::Expired;
    }
    return state_;
}

void SecureChannelSession::die(SessionState state, const std::string& reason) noexcept {
    state_ = state;
    keys_.reset();
    try {
        reason_ = reason;
        const auto level =
            state == SessionState::Broken ? spdlog::level::warn : spdlog::level::info;
        base::log::kSecureChannel->log(level, "secure channel session {}: {}", toString(state),
                                       reason);
    } catch (...) {
        // logging is best effort; the state change above is what matters
    }
}

void SecureChannelSession::connect(const Transaction& transaction) {
    if (masterSaTerminated_) {
        throw ChannelBroken("the master SA was terminated: open a new session");
    }
    keys_.reset();
    state_ = SessionState::Broken;
    reason_ = "setting up";

    const ApduCounters beforeCsa = channel_->counters();
    ConnectionSa csa;
    try {
        csa = establishConnectionSa(transaction, *channel_, masterSa_.msaId);
    } catch (...) {
        setupCost_.connectionSa = trafficBetween(beforeCsa, channel_->counters());
        throw;
    }
    const ApduCounters afterCsa = channel_->counters();
    setupCost_.connectionSa = trafficBetween(beforeCsa, afterCsa);

    v1::SessionKeys keys =
        v1::deriveSessionKeys(kmsa_.view(), csa.terminalNonce, csa.uiccNonce, csa.csaId);
    try {
        startSecureChannel(transaction, *channel_, keys, csa.csaId, containerSize_);
    } catch (...) {
        setupCost_.start = trafficBetween(afterCsa, channel_->counters());
        reason_ = "the start of the secure channel failed";
        throw;
    }
    setupCost_.start = trafficBetween(afterCsa, channel_->counters());

    keys_ = std::move(keys);
    csaId_ = csa.csaId;
    sent_ = {};
    received_ = {};
    messageCost_ = {};
    started_ = now();
    state_ = SessionState::Open;
    reason_.clear();
}

void SecureChannelSession::reconnect(const Transaction& transaction) {
    setupCost_ = {};  // this setup's own cost: the master SA is the one in hand
    try {
        connect(transaction);
    } catch (const MasterSaUnknown& e) {
        // Retrying could never work: only a new master SA (a new session) can.
        masterSaTerminated_ = true;
        die(SessionState::Terminated, e.what());
        throw;
    }
}

std::string SecureChannelSession::iccid() const {
    return seuicc::decodeIccid(masterSa_.uiccId);
}

MasterSaRecord SecureChannelSession::masterSaRecord() const {
    return sealMasterSaRecord(
        kmsa_.view(),
        MasterSaRecord{masterSa_.msaId, masterSa_.uiccId, masterSa_.aid, containerSize_, {}});
}

void SecureChannelSession::requireUsable() {
    switch (state_) {
        case SessionState::Open:
            break;
        case SessionState::Expired:
            throw SessionExpired("the secure channel session has expired (" + reason_ +
                                 "): reconnect");
        case SessionState::Broken:
            throw ChannelBroken("the secure channel session is dead (" + reason_ +
                                "): a new connection SA is needed");
        case SessionState::Terminated:
            throw ChannelBroken("the secure channel session was terminated");
    }
    if (lifetimeOver()) {
        const std::string why = messageCost_.messages >= policy_.maxMessages
                                    ? fmt::format("{} messages, the limit", messageCost_.messages)
                                    : fmt::format("older than {} s", policy_.maxAge.count());
        die(SessionState::Expired, why);
        throw SessionExpired("the secure channel session has expired (" + why + "): reconnect");
    }
}

ResponseApdu SecureChannelSession::transmit(const Transaction& transaction,
                                            const CommandApdu& inner) {
    requireUsable();
    if (inner.isExtended()) {
        throw SecureChannelError("an inner APDU goes through the secure channel in short form");
    }
    // The encoded inner APDU may carry key material one day (an imported key): locked memory.
    Bytes encoded = inner.encode();
    const SecretBuffer plaintext = SecretBuffer::takeFrom(encoded);
    if (plaintext.view().size() > v1::kMaxPlaintext) {
        throw SecureChannelError(fmt::format("an inner APDU has at most {} bytes, not {}",
                                             v1::kMaxPlaintext, plaintext.view().size()));
    }

    // The protected answer to a response of exactly Ne data bytes (and the status word).
    const std::size_t expectedPlaintext = inner.le.value_or(0) + 2;
    const std::size_t expectedResponseSize = tlvSize(v1::securedValueSize(expectedPlaintext));

    const ApduCounters before = channel_->counters();
    const auto account = [&] {
        messageCost_.last = trafficBetween(before, channel_->counters());
        messageCost_.total += messageCost_.last;
    };
    try {
        ResponseApdu response = exchange(transaction, plaintext.view(), expectedResponseSize);
        ++messageCost_.messages;
        account();
        return response;
    } catch (const SessionExpired& e) {
        account();
        die(SessionState::Expired, e.what());
        throw;
    } catch (const ChannelBroken& e) {
        account();
        die(SessionState::Broken, e.what());
        throw;
    } catch (const SecuredMessageRejected& e) {
        account();
        die(SessionState::Broken, e.what());
        throw ChannelBroken(std::string("the card's response was rejected, the session is dead: ") +
                            e.what());
    } catch (const std::exception& e) {
        account();
        die(SessionState::Broken, e.what());
        throw;
    }
}

ResponseApdu SecureChannelSession::exchange(const Transaction& transaction, ByteView plaintext,
                                            std::optional<std::size_t> expectedResponseSize) {
    const v1::SessionKeys& keys = *keys_;

    // Command: the block count is fixed first, since the MAC covers P2 = blocks - 1.
    const std::size_t encodedSize = tlvSize(v1::securedValueSize(plaintext.size()));
    const std::size_t blocks = blockCount(encodedSize, containerSize_);
    const v1::MacHeader header = v1::macHeader(v1::Direction::TerminalToCard, blocks);
    const Bytes secured =
        v1::protect(keys, v1::Direction::TerminalToCard, sent_, header.p1, header.p2, plaintext);
    const Bytes encoded = seuicc::encodeTlv(v1::kTagSecuredData, secured);
    const std::vector<CommandApdu> commands = transactCommandBlocks(encoded, containerSize_);

    std::size_t responseBlocks = 0;
    for (std::size_t i = 0; i < commands.size(); ++i) {
        const ResponseApdu r = channel_->transmit(transaction, commands[i]);
        checkCardVerdict(r.sw);
        const bool last = i + 1 == commands.size();
        const auto pending = v1::blocksPending(r.sw);
        if (!pending || !r.data.empty() || (last ? *pending == 0 : *pending != 0)) {
            throw ChannelBroken(
                fmt::format("TRANSACT DATA: block {} of {} answered {:04X}{}", i + 1,
                            commands.size(), r.sw, r.data.empty() ? "" : " with data"),
                r.sw);
        }
        responseBlocks = *pending;
    }

    SecuredDataAssembler assembler(responseBlocks, containerSize_, expectedResponseSize);
    while (!assembler.complete()) {
        const ResponseApdu r =
            channel_->transmit(transaction, transactResponseBlockRequest(assembler.nextLe()));
        checkCardVerdict(r.sw);
        assembler.add(r.data, r.sw);
    }
    const v1::MacHeader responseHeader =
        v1::macHeader(v1::Direction::CardToTerminal, responseBlocks);
    const SecretBuffer opened =
        v1::unprotect(keys, v1::Direction::CardToTerminal, received_, responseHeader.p1,
                      responseHeader.p2, assembler.securedValue());
    if (opened.size() < 2) {
        throw SecuredMessageRejected(SecuredMessageRejected::Reason::Malformed,
                                     "secured message rejected: the inner response has no "
                                     "status word");
    }
    ResponseApdu response;
    const ByteView view = opened.view();
    response.data.assign(view.begin(), view.end() - 2);
    response.sw = static_cast<std::uint16_t>(base::readBigEndian(view.last(2)));
    return response;
}

void SecureChannelSession::terminate(const Transaction& transaction) {
    if (state_ == SessionState::Terminated) {
        return;
    }
    if (!keys_) {
        die(SessionState::Terminated, "terminated (the connection SA was already dead)");
        return;
    }
    try {
        terminateConnectionSa(transaction, *channel_, *keys_, csaId_);
    } catch (...) {
        die(SessionState::Terminated, "terminated; the card refused the terminate command");
        throw;
    }
    die(SessionState::Terminated, "terminated");
}

void SecureChannelSession::terminateMasterSa(const Transaction& transaction) {
    if (masterSaTerminated_) {
        return;
    }
    try {
        ts102484::terminateMasterSa(transaction, *channel_, kmsa_.view(), masterSa_.msaId);
    } catch (...) {
        die(SessionState::Terminated, "terminated; the card refused to end the master SA");
        throw;
    }
    masterSaTerminated_ = true;
    die(SessionState::Terminated, "master SA terminated");
}

}  // namespace securechannel::ts102484
