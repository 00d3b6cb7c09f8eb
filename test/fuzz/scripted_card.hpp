// A card whose answers are the fuzz input: each answer is a two-byte big-endian length N and N
// bytes (response data and status word, as a reader hands them over); once the script is used up,
// every command gets `exhausted` (6F 00 by default: "no precise diagnosis"). On a MemoryTransport,
// so the channel, the T=0 handling and the protocol code above run exactly as with a real card.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/memory_transport.hpp"
#include "seuicc/transport.hpp"

namespace fuzz {

class ScriptedCard {
public:
    explicit ScriptedCard(base::ByteView script, base::Bytes exhausted = {0x6F, 0x00});
    ScriptedCard(const ScriptedCard&) = delete;
    ScriptedCard& operator=(const ScriptedCard&) = delete;

    seuicc::MemoryTransport& transport() { return transport_; }
    // The next answer of the script (what the transport hands to the channel).
    base::Bytes next();

private:
    base::ByteView script_;
    std::size_t offset_ = 0;
    base::Bytes exhausted_;
    seuicc::MemoryTransport transport_;
};

// The shape of a target that drives protocol code over a scripted card: the first input byte
// picks an operation, the rest is the card's script. Calls `run(which, tx, channel)` with a
// transaction and a channel on a ScriptedCard of that script; nothing for an empty input.
template <typename Run>
void withScriptedCard(const std::uint8_t* data, std::size_t size, Run&& run) {
    if (size == 0) {
        return;
    }
    ScriptedCard card(base::ByteView(data + 1, size - 1));
    const seuicc::Transaction tx(card.transport());
    seuicc::CardChannel channel(card.transport());
    run(data[0], tx, channel);
}

}  // namespace fuzz
