#include "seuicc/transport.hpp"

#include <stdexcept>
#include <utility>

namespace seuicc {

Transport::~Transport() = default;

void Transport::requireTransaction() const {
    if (!inTransaction()) {
        throw std::logic_error("transmit on \"" + name() +
                               "\" outside a Transaction: hold a seuicc::Transaction first");
    }
}

Transaction::Transaction(Transport& transport) : transport_(&transport) {
    if (transport.transactionDepth_ == 0) {
        transport.beginTransaction();  // may throw: then no guard exists and depth stays 0
    }
    ++transport.transactionDepth_;
}

Transaction::~Transaction() {
    release();
}

Transaction::Transaction(Transaction&& other) noexcept
    : transport_(std::exchange(other.transport_, nullptr)) {}

Transaction& Transaction::operator=(Transaction&& other) noexcept {
    if (this != &other) {
        release();
        transport_ = std::exchange(other.transport_, nullptr);
    }
    return *this;
}

void Transaction::release() noexcept {
    if (transport_ == nullptr) {
        return;
    }
    if (--transport_->transactionDepth_ == 0) {
        transport_->endTransaction();
    }
    transport_ = nullptr;
}

}  // namespace seuicc
