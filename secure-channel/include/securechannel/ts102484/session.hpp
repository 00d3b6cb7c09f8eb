// A started TS 102 484 secure channel: the terminal's end of one connection SA, used as the
// seuicc::SecureTunnel that carries the M2M-SED's operational commands (TRANSACT DATA).
//
// Policy:
//  - A session has a lifetime: at most `maxAge` since it was started and `maxMessages` inner
//    APDUs. Using it after that throws SessionExpired (the card's 98 63 does too).
//  - After ANY failure inside an exchange (a response that fails verification, the card's 69 82,
//    a status word out of sequence, a lost card) the session is dead: the keys are wiped and every
//    later use throws ChannelBroken, until reconnect() sets up a new connection SA.
//  - Session keys live only in SecretBuffers; they are wiped on terminate, on death and on
//    destruction. Terminating the connection SA on the card needs a Transaction, so it is an
//    explicit call (terminate()); the destructor only wipes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/secret.hpp"
#include "securechannel/ts102484/codec.hpp"
#include "securechannel/ts102484/master_sa_record.hpp"
#include "securechannel/ts102484/profile_v1.hpp"
#include "securechannel/ts102484/steps.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/secure_tunnel.hpp"

namespace securechannel::ts102484 {

using seuicc::ApduCounters;

struct SessionPolicy {
    std::chrono::seconds maxAge{3600};
    std::uint64_t maxMessages = 10000;
    // The container size the terminal asks for; the endpoint's maximum caps it (32..255).
    std::uint8_t containerSize = 255;
    // Where the session reads the time; empty: std::chrono::steady_clock::now (tests set it).
    std::function<std::chrono::steady_clock::time_point()> clock;
};

// What became of a remembered master SA (MasterSaRecord) in a setup.
enum class MasterSaReuse {
    None,     // none was offered, or a re-connection: the master SA in hand was used
    Reused,   // the record's master SA: connection SA + start only
    Refused,  // the record did not pass the terminal's checks: a new master SA
    Stale,    // the card no longer knows its MSA_ID (6A88): a new master SA
};
std::string_view toString(MasterSaReuse reuse);

// Wire traffic (CardChannel counters) of each step of the latest setup (open, or reconnect),
// every APDU included: GET RESPONSEs, 6Cxx re-reads, the connection SA a stale MSA_ID cost.
struct SetupCost {
    ApduCounters staleMasterSa;  // the connection SA refused (6A88) under a remembered MSA_ID
    ApduCounters retrieveEndpoints;
    ApduCounters masterSa;
    ApduCounters connectionSa;
    ApduCounters start;
    MasterSaReuse masterSaReuse = MasterSaReuse::None;
    [[nodiscard]] ApduCounters total() const;
};

// Wire traffic of the protected messages since the connection SA was started.
struct MessageCost {
    std::uint64_t messages = 0;
    ApduCounters total;
    ApduCounters last;  // the latest message alone
};

// The traffic between two snapshots of CardChannel::counters().
[[nodiscard]] ApduCounters trafficBetween(const ApduCounters& before, const ApduCounters& after);

enum class SessionState {
    Open,        // started, within its lifetime
    Expired,     // lifetime over, or the card's 98 63: reconnect()
    Broken,      // a failure ended it: reconnect()
    Terminated,  // terminate() / terminateMasterSa() was called
};
std::string_view toString(SessionState state);

class SecureChannelSession final : public seuicc::SecureTunnel {
public:
    // Establishes a connection SA under `masterSa` and starts the channel with `containerSize`
    // (already capped by the endpoint). `kmsa` is copied (locked memory) so the session can
    // reconnect and terminate the master SA. `channel` must outlive the session.
    // `costSoFar` carries the traffic of the steps run before (endpoints, master SA).
    [[nodiscard]] static std::unique_ptr<SecureChannelSession> open(
        const Transaction& transaction, CardChannel& channel, const SecretBuffer& kmsa,
        MasterSa masterSa, std::uint8_t containerSize, SessionPolicy policy = {},
        SetupCost costSoFar = {});
    ~SecureChannelSession() override;

    // One inner APDU (short form, at most 1024 bytes encoded) through TRANSACT DATA. The inner
    // Le gives the expected response, hence the size of the protected one: a single response
    // block is read with exactly that Le (2 APDUs per message under T=0).
    ResponseApdu transmit(const Transaction& transaction, const CommandApdu& inner) override;

    // A new connection SA (and start) on the same master SA: after Broken or Expired, or to
    // rekey. Counters, lifetime, message costs and setupCost() start again. If the card no longer
    // knows the master SA (MasterSaUnknown), the session is Terminated: open a new one.
    void reconnect(const Transaction& transaction);
    // MSC terminate of the connection SA (with its MAC), then wipes the keys. Without live keys
    // (a dead session) only the local state changes. The keys are wiped even if the card fails.
    void terminate(const Transaction& transaction);
    // MSC terminate of the master SA (which ends its connection SA too); the session cannot
    // reconnect afterwards.
    void terminateMasterSa(const Transaction& transaction);

    [[nodiscard]] SessionState state() const;
    [[nodiscard]] const MasterSa& masterSa() const { return masterSa_; }
    [[nodiscard]] const Bytes& msaId() const { return masterSa_.msaId; }
    // The card's ICCID: the UICC_ID of the master SA (EF_ICCID as stored), and as digits.
    [[nodiscard]] const Bytes& uiccId() const { return masterSa_.uiccId; }
    [[nodiscard]] std::string iccid() const;
    // What to remember so that a later process can reuse this master SA (M2M-SED.md §10),
    // tagged under Kmsa.
    [[nodiscard]] MasterSaRecord masterSaRecord() const;
    [[nodiscard]] const Bytes& csaId() const { return csaId_; }
    [[nodiscard]] std::uint8_t containerSize() const { return containerSize_; }
    [[nodiscard]] const SetupCost& setupCost() const { return setupCost_; }
    [[nodiscard]] const MessageCost& messageCost() const { return messageCost_; }

private:
    SecureChannelSession(CardChannel& channel, const SecretBuffer& kmsa, MasterSa masterSa,
                         std::uint8_t containerSize, SessionPolicy policy, SetupCost costSoFar);

    std::chrono::steady_clock::time_point now() const;
    bool lifetimeOver() const;
    void requireUsable();
    void connect(const Transaction& transaction);
    ResponseApdu exchange(const Transaction& transaction, ByteView plaintext,
                          std::optional<std::size_t> expectedResponseSize);
    void die(SessionState state, const std::string& reason) noexcept;

    CardChannel* channel_;
    SecretBuffer kmsa_;
    MasterSa masterSa_;
    std::uint8_t containerSize_;
    SessionPolicy policy_;
    SetupCost setupCost_;
    MessageCost messageCost_;

    SessionState state_ = SessionState::Broken;  // until connect() succeeds
    std::string reason_ = "not started";
    bool masterSaTerminated_ = false;
    Bytes csaId_;
    std::optional<profile::v1::SessionKeys> keys_;
    profile::v1::DirectionState sent_;
    profile::v1::DirectionState received_;
    std::chrono::steady_clock::time_point started_{};
};

}  // namespace securechannel::ts102484
