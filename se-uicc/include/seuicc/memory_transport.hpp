// A Transport whose "card" is a function, for unit tests: no pcscd, no reader.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "seuicc/transport.hpp"

namespace seuicc {

class MemoryTransport final : public Transport {
public:
    // Receives the command bytes, returns the response bytes (data + SW1 SW2).
    using Handler = std::function<Bytes(ByteView command)>;

    MemoryTransport(Bytes atr, Handler card, std::string name = "memory");

    Bytes transmitRaw(ByteView command) override;
    Bytes atr() override { return atr_; }
    std::string name() const override { return name_; }
    void reconnect(bool reset) override;

    // Every command handed to transmitRaw, in order, including one that was made to fail.
    const std::vector<Bytes>& sent() const { return sent_; }

    // Makes a later transmitRaw throw the PcscError mapped from `pcscCode` (e.g.
    // SCARD_W_REMOVED_CARD) instead of reaching the card: the one after `afterSuccessful`
    // more exchanges succeed. One-shot.
    void failNextTransmit(long pcscCode, std::size_t afterSuccessful = 0);

    // Called on reconnect (e.g. to clear the emulated card's state on reset).
    void onReconnect(std::function<void(bool reset)> hook) { onReconnect_ = std::move(hook); }

    // How many backend transactions were begun (outermost Transaction guards).
    std::size_t transactionsBegun() const { return transactionsBegun_; }

protected:
    void beginTransaction() override { ++transactionsBegun_; }
    void endTransaction() noexcept override {}

private:
    struct PendingFailure {
        long code;
        std::size_t remainingSuccesses;
    };

    Bytes atr_;
    Handler card_;
    std::string name_;
    std::vector<Bytes> sent_;
    std::optional<PendingFailure> failure_;
    std::function<void(bool)> onReconnect_;
    std::size_t transactionsBegun_ = 0;
};

}  // namespace seuicc
