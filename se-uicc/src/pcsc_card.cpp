// PcscCard: one connected card under pcsc-lite, as a Transport.
#include <winscard.h>

#include <fmt/format.h>

#include "base/log.hpp"
#include "pcsc_context_handle.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/pcsc.hpp"

namespace seuicc {

namespace {

constexpr DWORD kProtocols = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;

int protocolNumber(DWORD protocol) {
    return protocol == SCARD_PROTOCOL_T1 ? 1 : 0;
}

}  // namespace

struct PcscCard::State {
    std::shared_ptr<const detail::PcscContextHandle> context;  // keeps the context alive
    std::string reader;
    SCARDHANDLE handle = 0;
    DWORD protocol = SCARD_PROTOCOL_UNDEFINED;
};

PcscCard::PcscCard(std::shared_ptr<const detail::PcscContextHandle> context, std::string reader)
    : state_(std::make_unique<State>()) {
    state_->context = std::move(context);
    state_->reader = std::move(reader);
    check(SCardConnect(state_->context->value, state_->reader.c_str(), SCARD_SHARE_SHARED,
                       kProtocols, &state_->handle, &state_->protocol),
          "SCardConnect");
    base::log::kPcsc->debug("connected to \"{}\" (T={})", state_->reader, protocol());
}

PcscCard::~PcscCard() {
    // Never throws: a card already gone is only worth a debug line.
    const LONG rc = SCardDisconnect(state_->handle, SCARD_LEAVE_CARD);
    if (rc != SCARD_S_SUCCESS) {
        base::log::kPcsc->debug("SCardDisconnect(\"{}\") returned 0x{:08X}", state_->reader,
                                static_cast<unsigned long>(rc));
    }
}

void PcscCard::check(long rc, std::string_view call) const {
    if (rc != SCARD_S_SUCCESS) {
        throwPcscError(rc, fmt::format("{}(\"{}\")", call, state_->reader));
    }
}

Bytes PcscCard::transmitRaw(ByteView command) {
    requireTransaction();
    // The PCI must name the protocol the card actually runs, or pcsc-lite refuses the call.
    const SCARD_IO_REQUEST* pci =
        state_->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
    Bytes response(kReceiveBufferSize);
    DWORD length = static_cast<DWORD>(response.size());
    check(SCardTransmit(state_->handle, pci, command.data(), static_cast<DWORD>(command.size()),
                        nullptr, response.data(), &length),
          "SCardTransmit");
    // A reader that loses the card mid-exchange may still report success with no status word
    // (vpcd does, when the card's socket closes): that exchange did not happen.
    if (length < 2) {
        throwPcscError(
            SCARD_E_NOT_TRANSACTED,
            "SCardTransmit: no status word came back (the card went mute or was removed)");
    }
    response.resize(length);
    return response;
}

Bytes PcscCard::atr() {
    BYTE atr[MAX_ATR_SIZE];
    DWORD atrLength = sizeof atr;
    DWORD readerLength = 0;
    DWORD cardState = 0;
    DWORD protocol = 0;
    check(
        SCardStatus(state_->handle, nullptr, &readerLength, &cardState, &protocol, atr, &atrLength),
        "SCardStatus");
    return Bytes(atr, atr + atrLength);
}

std::string PcscCard::name() const {
    return state_->reader;
}

int PcscCard::protocol() const {
    return protocolNumber(state_->protocol);
}

void PcscCard::reconnect(bool reset) {
    check(SCardReconnect(state_->handle, SCARD_SHARE_SHARED, kProtocols,
                         reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD, &state_->protocol),
          "SCardReconnect");
    base::log::kPcsc->debug("reconnected to \"{}\"{} (T={})", state_->reader,
                            reset ? " with a card reset" : "", protocol());
}

void PcscCard::beginTransaction() {
    check(SCardBeginTransaction(state_->handle), "SCardBeginTransaction");
    base::log::kPcsc->trace("transaction begun on \"{}\"", state_->reader);
}

void PcscCard::endTransaction() noexcept {
    // Runs from Transaction's destructor, often while an exception unwinds because the card
    // went away; a failure here is logged, never thrown.
    const LONG rc = SCardEndTransaction(state_->handle, SCARD_LEAVE_CARD);
    if (rc == SCARD_S_SUCCESS) {
        base::log::kPcsc->trace("transaction ended on \"{}\"", state_->reader);
    } else {
        base::log::kPcsc->debug("SCardEndTransaction(\"{}\") returned 0x{:08X}", state_->reader,
                                static_cast<unsigned long>(rc));
    }
}

}  // namespace seuicc
