// A card for the SED client tests: a MemoryTransport that answers each command with
// `respond(command)` and keeps what it was sent, and `sw()` to write those answers.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "seuicc/apdu.hpp"
#include "seuicc/memory_transport.hpp"

namespace seuicc_test {

inline const seuicc::Bytes kScriptedAtr = seuicc::fromHex("3B9A96803FC7888031E073FE211382900000");

struct ScriptedCard {
    std::function<seuicc::ResponseApdu(const seuicc::CommandApdu&)> respond;
    std::vector<seuicc::CommandApdu> received;
    seuicc::MemoryTransport transport{kScriptedAtr, [this](seuicc::ByteView raw) {
                                          received.push_back(seuicc::CommandApdu::parse(raw));
                                          return respond(received.back()).encode();
                                      }};
};

inline seuicc::ResponseApdu sw(std::uint16_t value, seuicc::Bytes data = {}) {
    return seuicc::ResponseApdu{std::move(data), value};
}

}  // namespace seuicc_test
