#include "seuicc/card_channel.hpp"

#include <fmt/format.h>
#include <stdexcept>

#include "base/log.hpp"
#include "base/scope_exit.hpp"
#include "base/secret.hpp"
#include "seuicc/errors.hpp"

namespace seuicc {

namespace {

constexpr std::uint8_t kMaxChannel = 19;         // TS 102 221 §10.1.1: channels 0 to 19
constexpr std::uint8_t kFurtherClass = 0x40;     // b7: further interindustry coding
constexpr std::uint8_t kChaining = 0x10;         // b5 in both codings
constexpr std::uint8_t kProprietary = 0x80;      // b8
constexpr std::uint8_t kFirstSmBits = 0x0C;      // b4-b3 of the first coding
constexpr std::uint8_t kFirstSmNoHeader = 0x08;  // b4-b3 = 10: SM, header not processed
constexpr std::uint8_t kFurtherSm = 0x20;        // b6 of the further coding: the same meaning
constexpr std::uint8_t kNotFirstIso = 0x20;      // b6 set in a first-coding CLA (e.g. GSM A0)

constexpr std::uint8_t kInsManageChannel = 0x70;
constexpr std::uint8_t kInsGetResponse = 0xC0;
constexpr std::uint8_t kSw1BytesAvailable = 0x61;
constexpr std::uint8_t kSw1WrongLe = 0x6C;
// 256 GET RESPONSEs of 256 bytes cover the largest response there is (65536 bytes).
constexpr int kMaxGetResponses = 256;

// SW2 of 61xx / 6Cxx as Ne: 00 means 256.
std::uint32_t neFromSw2(std::uint8_t sw2) {
    return sw2 == 0 ? CommandApdu::kMaxShortNe : sw2;
}

}  // namespace

std::uint8_t claForChannel(std::uint8_t cla, std::uint8_t channel) {
    if (channel > kMaxChannel) {
        throw ApduFormatError(fmt::format("logical channel {} does not exist (0 to 19)", channel));
    }
    const bool further = (cla & kFurtherClass) != 0;
    if (channel <= 3) {
        if (!further) {
            return static_cast<std::uint8_t>((cla & ~0x03) | channel);
        }
        return static_cast<std::uint8_t>((cla & (kProprietary | kChaining)) |
                                         ((cla & kFurtherSm) != 0 ? kFirstSmNoHeader : 0) |
                                         channel);
    }
    const auto number = static_cast<std::uint8_t>(channel - 4);
    if (further) {
        return static_cast<std::uint8_t>((cla & 0xF0) | number);
    }
    const std::uint8_t sm = cla & kFirstSmBits;
    if ((sm != 0 && sm != kFirstSmNoHeader) || (cla & kNotFirstIso) != 0) {
        throw ApduFormatError(
            fmt::format("CLA {:02X} cannot be coded for logical channel {}", cla, channel));
    }
    return static_cast<std::uint8_t>((cla & (kProprietary | kChaining)) | kFurtherClass |
                                     (sm != 0 ? kFurtherSm : 0) | number);
}

std::uint8_t channelOfCla(std::uint8_t cla) {
    const bool furtherInterindustry = (cla & 0x40) != 0;
    return furtherInterindustry ? static_cast<std::uint8_t>(4 + (cla & 0x0F))
                                : static_cast<std::uint8_t>(cla & 0x03);
}

CardChannel::CardChannel(Transport& transport, std::uint8_t channel)
    : transport_(&transport), channel_(channel) {
    claForChannel(0x00, channel);  // rejects channels above 19 now rather than at transmit
}

ResponseApdu CardChannel::transmit(const Transaction& transaction, CommandApdu command,
                                   TraceRedaction redaction) {
    if (!transaction.holds(*transport_)) {
        throw std::logic_error("CardChannel::transmit: the Transaction given is not held on \"" +
                               transport_->name() + "\"");
    }
    // A command whose trace hides its data carries a key or a code (VERIFY ADMIN, STORE DATA of
    // keys): this copy is the one the channel owns (callers move theirs in), and it is wiped on
    // every way out, like the wire bytes in exchange().
    const base::ScopeExit wipeCommand([&command, redaction] {
        if (redaction.commandData) {
            base::secureWipe(command.data);
        }
    });
    command.cla = claForChannel(command.cla, channel_);
    ResponseApdu response = exchangeFixingLe(command, redaction);

    // 61xx: fetch the rest with GET RESPONSE on the same channel, straight away (TS 102 221
    // and reference/ts102484.md §6.3: any other command in between loses it), until the card
    // says something else.
    const CommandApdu getResponseTemplate{
        claForChannel(0x00, channel_), kInsGetResponse, 0, 0, {}, std::nullopt};
    for (int round = 0; response.sw1() == kSw1BytesAvailable; ++round) {
        if (round == kMaxGetResponses) {
            throw CardStatusError(response.sw,
                                  "GET RESPONSE: the card still answers 61xx after 256 rounds");
        }
        CommandApdu getResponse = getResponseTemplate;  // no data: nothing to wipe
        getResponse.le = neFromSw2(response.sw2());
        const ResponseApdu part = exchangeFixingLe(
            getResponse, {.commandData = false, .responseData = redaction.responseData});
        response.data.insert(response.data.end(), part.data.begin(), part.data.end());
        response.sw = part.sw;
    }
    return response;
}

ResponseApdu CardChannel::exchangeFixingLe(CommandApdu& command, TraceRedaction redaction) {
    ResponseApdu response = exchange(command, redaction);
    if (response.sw1() != kSw1WrongLe) {
        return response;
    }
    // 6Cxx: wrong Le, SW2 is the length the card has. Once only: a card that answers 6Cxx
    // again gets its answer returned rather than a loop. Le is set in place: a copy of the
    // command would be one more copy of its data to wipe.
    command.le = neFromSw2(response.sw2());
    return exchange(command, redaction);
}

ResponseApdu CardChannel::exchange(const CommandApdu& command, TraceRedaction redaction) {
    Bytes wire = command.encode();  // reserved whole before the data goes in: no stale copy
    const base::ScopeExit wipeWire([&wire, redaction] {
        if (redaction.commandData) {
            base::secureWipe(wire);
        }
    });
    traceCommand(command, redaction);
    Bytes raw;
    try {
        raw = transport_->transmitRaw(wire);
    } catch (const PcscError& e) {
        base::log::kApdu->trace("< failed: {}", e.what());
        throw;
    }
    ++counters_.apdus;
    counters_.bytesSent += wire.size();
    counters_.bytesReceived += raw.size();
    ResponseApdu response = ResponseApdu::parse(raw);
    traceResponse(response, redaction);
    return response;
}

CardChannel CardChannel::open(const Transaction& transaction, CardChannel& basic) {
    const CommandApdu manageChannelOpen{0x00, kInsManageChannel, 0x00, 0x00, {}, 1};
    const ResponseApdu response = basic.transmit(transaction, manageChannelOpen);
    response.requireOk("MANAGE CHANNEL open");
    if (response.data.size() != 1 || response.data[0] == 0 || response.data[0] > kMaxChannel) {
        throw ApduFormatError(
            fmt::format("MANAGE CHANNEL open: the card answered \"{}\", not a "
                        "channel number from 1 to 19",
                        toHex(response.data)));
    }
    base::log::kCard->debug("opened logical channel {}", response.data[0]);
    return CardChannel(*basic.transport_, response.data[0]);
}

void CardChannel::close(const Transaction& transaction) {
    if (channel_ == 0) {
        throw std::logic_error("the basic logical channel (0) cannot be closed");
    }
    const CommandApdu manageChannelClose{0x00, kInsManageChannel, 0x80, channel_, {}, std::nullopt};
    transmit(transaction, manageChannelClose).requireOk("MANAGE CHANNEL close");
    base::log::kCard->debug("closed logical channel {}", channel_);
}

}  // namespace seuicc
