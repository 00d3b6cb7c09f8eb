// The PC/SC backend (pcsc-lite): reader discovery and a Transport on a connected card. The
// pcsc-lite headers stay out of this file; the handles live in src/.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "seuicc/transport.hpp"

namespace seuicc {

namespace detail {
struct PcscContextHandle;
}

struct ReaderInfo {
    std::string name;
    bool cardPresent = false;
    Bytes atr;  // empty without a card
};

class PcscCard;

// A PC/SC context (SCardEstablishContext). The handle is shared with every PcscCard it
// connects, so it is released (SCardReleaseContext) only when the context and all of those
// cards are gone. Movable, not copyable.
class PcscContext {
public:
    // Throws PcscServiceUnavailable when pcscd is not running.
    PcscContext();
    PcscContext(const PcscContext&) = delete;
    PcscContext& operator=(const PcscContext&) = delete;
    PcscContext(PcscContext&&) noexcept = default;
    PcscContext& operator=(PcscContext&&) noexcept = default;
    ~PcscContext() = default;

    // Every reader with whether it holds a card and the card's ATR; empty when there is none.
    std::vector<ReaderInfo> listReaders();

    // Connects in shared mode, T=0 or T=1 (whichever the card and reader agree on). Throws
    // PcscReaderNotFound, PcscNoCard, PcscSharingViolation...
    std::unique_ptr<PcscCard> connect(const std::string& reader);

    // Waits until `reader` holds a card: true at once if it does, false when `timeout` ends.
    bool waitForCard(const std::string& reader, std::chrono::milliseconds timeout);

    // The name of reader `index` in listReaders() order. Throws PcscNoReaders or
    // PcscReaderNotFound (the message lists the readers there are).
    std::string readerByIndex(std::size_t index);

    // The reader a user means: by `name` (exact, or a unique prefix), by `index`, or by
    // default the first reader holding a card. Throws PcscNoReaders, PcscReaderNotFound or
    // PcscNoCard with a message that lists the readers; Error if both name and index are given.
    std::string resolveReader(const std::optional<std::string>& name,
                              std::optional<std::size_t> index);

private:
    // The live handle; throws std::logic_error on a moved-from context.
    const detail::PcscContextHandle& handle() const;

    std::shared_ptr<const detail::PcscContextHandle> context_;
};

// A connected card (SCardConnect .. SCardDisconnect). Created by PcscContext::connect.
class PcscCard final : public Transport {
public:
    ~PcscCard() override;

    // SCardTransmit with the active protocol's PCI and a receive buffer for extended APDUs.
    Bytes transmitRaw(ByteView command) override;
    // From SCardStatus: the ATR of the card as it is now.
    Bytes atr() override;
    std::string name() const override;
    void reconnect(bool reset) override;

    // The protocol negotiated: 0 or 1.
    int protocol() const;

    // Big enough for the largest extended response: 65536 data bytes + SW1 SW2.
    static constexpr std::size_t kReceiveBufferSize = 65538;

protected:
    void beginTransaction() override;
    void endTransaction() noexcept override;

private:
    friend class PcscContext;
    struct State;

    PcscCard(std::shared_ptr<const detail::PcscContextHandle> context, std::string reader);
    // Throws the typed error for a failed call `call` on this card.
    void check(long rc, std::string_view call) const;

    std::unique_ptr<State> state_;
};

}  // namespace seuicc
