// APDUs (se-uicc/src/apdu.cpp, status_words.cpp, card_channel.cpp): a command APDU parsed (any
// case, short or extended), response APDUs and what their status words mean, and the card
// channel's T=0 handling (61xx GET RESPONSE rounds, 6Cxx re-issue) against a card whose every
// answer comes from the input. Malformed APDUs must be an ApduFormatError; a card that breaks the
// procedure bytes must get a CardStatusError, never a loop or unbounded growth.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "seuicc/apdu.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/memory_transport.hpp"

namespace {

seuicc::Bytes take(FuzzedDataProvider& input, std::size_t max) {
    const std::string s = input.ConsumeRandomLengthString(max);
    return seuicc::Bytes(s.begin(), s.end());
}

void commandApdu(const seuicc::Bytes& wire) {
    try {
        const seuicc::CommandApdu command = seuicc::CommandApdu::parse(wire);
        static_cast<void>(command.apduCase());
        static_cast<void>(command.dataOffset());
        // What parses must encode, and the encoding must parse to the same command (the wire
        // form may differ: a long form the short one can carry is written short).
        const seuicc::CommandApdu again = seuicc::CommandApdu::parse(command.encode());
        if (again.cla != command.cla || again.ins != command.ins || again.p1 != command.p1 ||
            again.p2 != command.p2 || again.data != command.data || again.le != command.le) {
            throw std::logic_error("CommandApdu: parse(encode(c)) differs from c");
        }
    } catch (const seuicc::ApduFormatError&) {
    }
}

void responseApdu(const seuicc::Bytes& wire) {
    try {
        const seuicc::ResponseApdu response = seuicc::ResponseApdu::parse(wire);
        if (response.encode() != wire) {
            throw std::logic_error("ResponseApdu: encode(parse(r)) differs from r");
        }
        if (seuicc::describeStatusWord(response.sw).empty()) {
            throw std::logic_error("describeStatusWord: an empty meaning");
        }
        response.requireOk("fuzzed");
    } catch (const seuicc::ApduFormatError&) {
    } catch (const seuicc::CardStatusError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    FuzzedDataProvider input(data, size);
    commandApdu(take(input, 70000));
    responseApdu(take(input, 300));

    const auto claByte = input.ConsumeIntegral<std::uint8_t>();
    try {
        static_cast<void>(seuicc::claForChannel(claByte, input.ConsumeIntegralInRange(0, 20)));
    } catch (const seuicc::ApduFormatError&) {
    }
    static_cast<void>(seuicc::channelOfCla(claByte));

    // The card: each answer the next piece of the input; once the input is used up, 90 00.
    seuicc::MemoryTransport card(seuicc::fromHex("3B00"), [&input](seuicc::ByteView) {
        if (input.remaining_bytes() == 0) {
            return seuicc::fromHex("9000");
        }
        return take(input, 300);
    });
    const seuicc::Transaction transaction(card);
    seuicc::CardChannel channel(card, input.ConsumeIntegralInRange<std::uint8_t>(0, 19));
    const seuicc::CommandApdu select{0x00, 0xA4, 0x04, 0x04, seuicc::fromHex("A000000087"), 256};
    try {
        const seuicc::ResponseApdu response = channel.transmit(transaction, select);
        // The first answer, a 6Cxx re-issue, 256 GET RESPONSEs: each at most 300 bytes here.
        if (response.data.size() > 258 * 300) {
            throw std::logic_error("CardChannel::transmit: more data than 256 GET RESPONSEs give");
        }
    } catch (const seuicc::ApduFormatError&) {
    } catch (const seuicc::CardStatusError&) {
    }
    return 0;
}
