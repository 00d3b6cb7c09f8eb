// A secured message from a card without the session's keys (secure-channel/src/ts102484/
// codec.cpp SecuredDataAssembler, profile_v1.cpp unprotect): input byte 0 the number of response
// blocks the card announced, byte 1 the container size, byte 2 whether the expected size is known,
// then the card's response blocks (scripted_card.hpp framing: data and status word). The blocks
// are collected as the session does, and the assembled TLV 86 value (and the raw input itself) is
// opened with keys the input cannot know, so nearly all of it ends at the MAC: this target is for
// the framing, the sizes and the counter. Every refusal must be a SecuredMessageRejected.
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "scripted_card.hpp"
#include "securechannel/ts102484/codec.hpp"
#include "securechannel/ts102484/profile_v1.hpp"
#include "seuicc/errors.hpp"

namespace {

using namespace securechannel::ts102484;
namespace v1 = securechannel::profile::v1;

const v1::SessionKeys& keys() {
    static const v1::SessionKeys k =
        v1::deriveSessionKeys(base::fromHex("404142434445464748494A4B4C4D4E4F"),
                              base::fromHex("00112233445566778899AABBCCDDEEFF"),
                              base::fromHex("FFEEDDCCBBAA99887766554433221100"),
                              base::fromHex("0F0E0D0C0B0A09080706050403020100"));
    return k;
}

void open(base::ByteView value, std::size_t blocks) {
    for (const auto direction : {v1::Direction::CardToTerminal, v1::Direction::TerminalToCard}) {
        v1::DirectionState state;
        const v1::MacHeader header = v1::macHeader(direction, blocks);
        try {
            static_cast<void>(v1::unprotect(keys(), direction, state, header.p1, header.p2, value));
            throw std::logic_error("unprotect accepted a message under keys nobody used");
        } catch (const securechannel::SecuredMessageRejected&) {
        }
        if (state.counter != 0) {
            throw std::logic_error("unprotect advanced the counter of a refused message");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    if (size < 3) {
        return 0;
    }
    const std::size_t blocks = data[0];
    const std::size_t containerSize = data[1] == 0 ? 1 : data[1];
    const std::optional<std::size_t> expected =
        data[2] & 1 ? std::optional<std::size_t>(data[2] * 4) : std::nullopt;
    fuzz::ScriptedCard card(fuzz::bytes(data + 3, size - 3));
    try {
        SecuredDataAssembler assembler(blocks, containerSize, expected);
        while (!assembler.complete()) {
            const std::uint32_t le = assembler.nextLe();
            if (le == 0 || le > containerSize) {
                throw std::logic_error("SecuredDataAssembler::nextLe outside 1..container size");
            }
            const seuicc::ResponseApdu r = seuicc::ResponseApdu::parse(card.next());
            assembler.add(r.data, r.sw);
        }
        open(assembler.securedValue(), blocks);
    } catch (const securechannel::SecuredMessageRejected&) {
    } catch (const seuicc::ApduFormatError&) {
    }
    open(fuzz::bytes(data, size), 1);
    return 0;
}
