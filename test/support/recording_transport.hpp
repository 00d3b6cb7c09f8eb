// A Transport in front of a real one (PcscCard) that records every exchange and can alter a
// command or a response on its way: the man in the middle of the card interface that the
// secure channel's negative tests need, on the real stack.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "seuicc/transport.hpp"

namespace testsupport {

class RecordingTransport final : public seuicc::Transport {
public:
    struct Exchange {
        base::Bytes command;   // as sent to the card (after any alteration)
        base::Bytes response;  // as the card answered (before any alteration)
    };
    // Sends bytes to the card (recorded) and returns its answer.
    using Send = std::function<base::Bytes(base::ByteView)>;
    // Sees each command before the card does. Returns the response to hand back (after sending
    // whatever it likes through `send`: an altered command, a held one, nothing at all), or
    // nothing to let the command through unchanged.
    using CommandHook =
        std::function<std::optional<base::Bytes>(base::ByteView command, const Send& send)>;
    // Returns the bytes to hand back instead, or nothing to pass the response unchanged.
    using ResponseHook =
        std::function<std::optional<base::Bytes>(base::ByteView command, base::ByteView response)>;

    explicit RecordingTransport(seuicc::Transport& inner) : inner_(inner) {}

    base::Bytes transmitRaw(base::ByteView command) override;
    base::Bytes atr() override { return inner_.atr(); }
    std::string name() const override { return inner_.name(); }
    void reconnect(bool reset) override { inner_.reconnect(reset); }

    void onCommand(CommandHook hook) { commandHook_ = std::move(hook); }
    void onResponse(ResponseHook hook) { responseHook_ = std::move(hook); }
    void clearHooks() {
        commandHook_ = nullptr;
        responseHook_ = nullptr;
    }
    const std::vector<Exchange>& exchanges() const { return exchanges_; }

protected:
    void beginTransaction() override { transaction_.emplace(inner_); }
    void endTransaction() noexcept override { transaction_.reset(); }

private:
    seuicc::Transport& inner_;
    std::optional<seuicc::Transaction> transaction_;
    CommandHook commandHook_;
    ResponseHook responseHook_;
    std::vector<Exchange> exchanges_;
};

// Whether `needle` occurs anywhere in `haystack` (for the "no response carries a key" audit).
bool contains(base::ByteView haystack, base::ByteView needle);

}  // namespace testsupport
