// The link to a card: one APDU exchange at a time, inside a transaction. Backends: PC/SC
// (pcsc.hpp), in-memory for unit tests (memory_transport.hpp); AT+CSIM/AT+CGLA later.
#pragma once

#include <string>

#include "seuicc/types.hpp"

namespace seuicc {

class Transport {
public:
    Transport() = default;
    virtual ~Transport();
    // A transport is a connection with identity: copying or moving it would split one card
    // session in two (C++ Core Guidelines C.21: declare all or none of the special members).
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;
    Transport(Transport&&) = delete;
    Transport& operator=(Transport&&) = delete;

    // One command, one response, exactly as the card sent it (61xx and 6Cxx are not handled
    // here; CardChannel does that). Requires a Transaction on this transport.
    virtual Bytes transmitRaw(ByteView command) = 0;
    // The card's current ATR.
    virtual Bytes atr() = 0;
    // A name for logs and messages (the reader name for PC/SC).
    virtual std::string name() const = 0;
    // Re-establishes the connection; with `reset`, the card is reset (warm reset) first.
    virtual void reconnect(bool reset) = 0;

    // Whether a Transaction on this transport is open.
    bool inTransaction() const { return transactionDepth_ > 0; }

protected:
    friend class Transaction;
    // Called by Transaction for the outermost guard only.
    virtual void beginTransaction() = 0;
    virtual void endTransaction() noexcept = 0;

    // For transmitRaw implementations: throws std::logic_error outside a Transaction, so the
    // "hold a transaction while you talk to the card" rule is enforced, not just documented.
    void requireTransaction() const;

private:
    unsigned transactionDepth_ = 0;  // nested guards share one backend transaction
};

// Holds exclusive access to the card for its lifetime (SCardBeginTransaction /
// SCardEndTransaction under PC/SC), so that no other process's APDU lands between two of ours,
// e.g. between a command and its GET RESPONSE. CardChannel::transmit takes one as proof.
// Guards nest: only the outermost one begins and ends the backend transaction.
class Transaction {
public:
    explicit Transaction(Transport& transport);
    ~Transaction();  // ends the transaction; never throws (a dead card is logged, not thrown)
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&& other) noexcept;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    // Whether this guard holds `transport` (false after being moved from).
    bool holds(const Transport& transport) const { return transport_ == &transport; }

private:
    void release() noexcept;

    Transport* transport_;
};

}  // namespace seuicc
