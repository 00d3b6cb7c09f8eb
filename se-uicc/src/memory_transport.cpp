#include "seuicc/memory_transport.hpp"

#include "seuicc/errors.hpp"

namespace seuicc {

MemoryTransport::MemoryTransport(Bytes atr, Handler card, std::string name)
    : atr_(std::move(atr)), card_(std::move(card)), name_(std::move(name)) {}

Bytes MemoryTransport::transmitRaw(ByteView command) {
    requireTransaction();
    sent_.emplace_back(command.begin(), command.end());
    if (failure_) {
        if (failure_->remainingSuccesses == 0) {
            const long code = failure_->code;
            failure_.reset();
            throwPcscError(code, "SCardTransmit(\"" + name_ + "\")");
        }
        --failure_->remainingSuccesses;
    }
    return card_(command);
}

void MemoryTransport::reconnect(bool reset) {
    if (onReconnect_) {
        onReconnect_(reset);
    }
}

void MemoryTransport::failNextTransmit(long pcscCode, std::size_t afterSuccessful) {
    failure_ = PendingFailure{pcscCode, afterSuccessful};
}

}  // namespace seuicc
