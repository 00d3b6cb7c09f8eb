// A logical channel to the card: the layer every command goes through. It codes the channel
// into CLA, handles the T=0 procedure status words in one place (61xx: GET RESPONSE until done;
// 6Cxx: re-issue once with the right Le), traces each exchange and counts the traffic.
#pragma once

#include <cstdint>

#include "seuicc/apdu.hpp"
#include "seuicc/apdu_trace.hpp"
#include "seuicc/transport.hpp"

namespace seuicc {

// Traffic on the wire, GET RESPONSEs and re-issued commands included.
struct ApduCounters {
    std::uint64_t apdus = 0;
    std::uint64_t bytesSent = 0;      // command bytes, headers included
    std::uint64_t bytesReceived = 0;  // response bytes, status words included

    // Traffic of several channels or steps added up (one procedure's total).
    ApduCounters& operator+=(const ApduCounters& more) {
        apdus += more.apdus;
        bytesSent += more.bytesSent;
        bytesReceived += more.bytesReceived;
        return *this;
    }
};

// `cla` re-coded for logical `channel` (ISO/IEC 7816-4 §5.4.1, ETSI TS 102 221 §10.1.1):
//   0-3:  first interindustry coding, channel in b2-b1 (00..03, or 80..83 proprietary);
//   4-19: further interindustry coding 0x40 | (channel - 4) (40..4F, or C0..CF proprietary).
// Keeps b8 (proprietary class), the chaining bit b5 and the secure-messaging indication.
// Throws ApduFormatError for channels above 19, and for a secure-messaging indication that
// the further interindustry coding cannot express.
std::uint8_t claForChannel(std::uint8_t cla, std::uint8_t channel);

// The logical channel a CLA byte names (the inverse of claForChannel): 0-3 from b2-b1 of a
// first interindustry (or 8X/AX proprietary) class, 4-19 from b4-b1 of a further one.
std::uint8_t channelOfCla(std::uint8_t cla);

class CardChannel {
public:
    // A channel that is already open: 0 (the basic channel, always open) or one opened
    // before, e.g. by another CardChannel object or a MANAGE CHANNEL sent by hand.
    explicit CardChannel(Transport& transport, std::uint8_t channel = 0);

    // Sends `command` on this channel and returns the final response: 61xx is followed by
    // GET RESPONSE on the same channel and the data concatenated; 6Cxx re-issues the command
    // once with Le = SW2. Other status words (warnings and errors) come back as they are.
    // `transaction` must hold this channel's transport (std::logic_error otherwise).
    // With `redaction.commandData` (the data is a key or a code) the command's data and its
    // encoded bytes are wiped before they are freed; move such a command in, so that no other
    // copy exists.
    ResponseApdu transmit(const Transaction& transaction, CommandApdu command,
                          TraceRedaction redaction = {});

    // MANAGE CHANNEL open (00 70 00 00, Le 1) sent on `basic`; the card picks the number.
    // Throws CardStatusError if the card refuses (6881, 6A81: no channel free).
    static CardChannel open(const Transaction& transaction, CardChannel& basic);
    // MANAGE CHANNEL close of this channel, sent on itself. The basic channel cannot be closed.
    void close(const Transaction& transaction);

    std::uint8_t number() const { return channel_; }
    const ApduCounters& counters() const { return counters_; }

private:
    // One command on the wire and its response, traced and counted.
    ResponseApdu exchange(const CommandApdu& command, TraceRedaction redaction);
    // exchange(), re-issued once with Le = SW2 on 6Cxx (set in `command` itself).
    ResponseApdu exchangeFixingLe(CommandApdu& command, TraceRedaction redaction);

    Transport* transport_;
    std::uint8_t channel_;
    ApduCounters counters_;
};

}  // namespace seuicc
