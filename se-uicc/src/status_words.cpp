// Status words: their meanings (ISO/IEC 7816-4 §5.6, ETSI TS 102 221 §10.2.1) and the error
// that carries one.
#include <fmt/format.h>
#include <algorithm>
#include <array>

#include "seuicc/errors.hpp"

namespace seuicc {

namespace {

// A status word matches when (sw & mask) == value. Entries are searched in order, so exact
// words come before the "XX" families and the SW1 groups come last.
struct SwMeaning {
    std::uint16_t value;
    std::uint16_t mask;
    std::string_view text;
};

constexpr std::uint16_t kExact = 0xFFFF;
constexpr std::uint16_t kSw1 = 0xFF00;

constexpr std::array kMeanings{
    // Normal processing.
    SwMeaning{0x9000, kExact, "normal ending of the command"},
    SwMeaning{0x9100, kSw1,
              "normal ending; the UICC has a proactive command pending (SW2 = its length, "
              "send FETCH)"},
    SwMeaning{0x9200, kSw1,
              "normal ending, with extra information on an ongoing data transfer session "
              "(TRANSACT DATA)"},
    SwMeaning{0x6100, kSw1, "response bytes available (SW2 = how many): send GET RESPONSE"},
    SwMeaning{0x9F00, kSw1,
              "response bytes available, GSM SIM (SW2 = how many): send GET RESPONSE"},
    // Warnings, state unchanged.
    SwMeaning{0x6200, kExact, "warning: no information given, non-volatile memory unchanged"},
    SwMeaning{0x6281, kExact, "warning: part of the returned data may be corrupted"},
    SwMeaning{0x6282, kExact,
              "warning: end of file or record reached before reading Le bytes, or unsuccessful "
              "search"},
    SwMeaning{0x6283, kExact, "warning: selected file invalidated"},
    SwMeaning{0x6284, kExact, "warning: FCI not formatted according to ISO 7816-4"},
    SwMeaning{0x6285, kExact, "warning: selected file in termination state"},
    SwMeaning{0x62F1, kExact, "more data available (fetch the next response block)"},
    SwMeaning{0x62F2, kExact, "more data available, and a proactive command is pending"},
    SwMeaning{0x62F3, kExact, "response data available (fetch it with a response-block command)"},
    // Warnings, state changed.
    SwMeaning{0x6300, kExact, "warning: verification failed, or no information given"},
    SwMeaning{0x6381, kExact, "warning: file filled up by the last write"},
    SwMeaning{0x63F1, kExact, "more data expected (send the next command block)"},
    SwMeaning{0x63F2, kExact, "more data expected, and a proactive command is pending"},
    SwMeaning{0x63C0, 0xFFF0,
              "verification failed or command successful after internal retries; SW2 low "
              "nibble = retries left / retries used"},
    // Execution errors.
    SwMeaning{0x6400, kExact, "execution error: no information given, memory unchanged"},
    SwMeaning{0x6500, kExact, "execution error: no information given, memory changed"},
    SwMeaning{0x6581, kExact, "execution error: memory problem"},
    SwMeaning{0x6600, kSw1, "security-related issue"},
    // Checking errors.
    SwMeaning{0x6700, kExact, "wrong length (Lc or Le)"},
    SwMeaning{0x6700, kSw1, "wrong length; SW2 is command dependent"},
    SwMeaning{0x6800, kExact, "function in CLA not supported: no information given"},
    SwMeaning{0x6881, kExact, "logical channel not supported (or not open)"},
    SwMeaning{0x6882, kExact, "secure messaging not supported"},
    SwMeaning{0x6883, kExact, "last command of the chain expected"},
    SwMeaning{0x6884, kExact, "command chaining not supported"},
    SwMeaning{0x6900, kExact, "command not allowed: no information given"},
    SwMeaning{0x6981, kExact, "command incompatible with the file structure"},
    SwMeaning{0x6982, kExact,
              "security status not satisfied (PIN or authentication required first)"},
    SwMeaning{0x6983, kExact, "authentication method blocked (PIN/key blocked)"},
    SwMeaning{0x6984, kExact, "referenced data invalidated"},
    SwMeaning{0x6985, kExact, "conditions of use not satisfied"},
    SwMeaning{0x6986, kExact, "command not allowed (no EF selected)"},
    SwMeaning{0x6987, kExact, "expected secure messaging data objects missing"},
    SwMeaning{0x6988, kExact, "incorrect secure messaging data objects"},
    SwMeaning{0x6989, kExact,
              "command not allowed: secure channel required, security not satisfied"},
    SwMeaning{0x6A80, kExact, "incorrect parameters in the data field"},
    SwMeaning{0x6A81, kExact, "function not supported"},
    SwMeaning{0x6A82, kExact, "file or application not found"},
    SwMeaning{0x6A83, kExact, "record not found"},
    SwMeaning{0x6A84, kExact, "not enough memory space in the file"},
    SwMeaning{0x6A85, kExact, "Lc inconsistent with the TLV structure"},
    SwMeaning{0x6A86, kExact, "incorrect parameters P1-P2"},
    SwMeaning{0x6A87, kExact, "Lc inconsistent with P1-P2"},
    SwMeaning{0x6A88, kExact, "referenced data not found"},
    SwMeaning{0x6A89, kExact, "file already exists"},
    SwMeaning{0x6A8A, kExact, "DF name already exists"},
    SwMeaning{0x6B00, kExact, "wrong parameters P1-P2 (e.g. offset outside the EF)"},
    SwMeaning{0x6C00, kSw1, "wrong Le: SW2 gives the exact length; re-send with Le = SW2"},
    SwMeaning{0x6D00, kExact, "instruction code not supported or invalid"},
    SwMeaning{0x6E00, kExact, "class not supported"},
    SwMeaning{0x6F00, kExact, "technical problem, no precise diagnosis"},
    SwMeaning{0x6F00, kSw1, "technical problem; SW2 is command dependent"},
    // Application errors (TS 102 221 §10.2.1.5, TS 31.102).
    SwMeaning{0x9850, kExact, "INCREASE cannot be performed: maximum value reached"},
    SwMeaning{0x9862, kExact, "authentication error, application specific (e.g. wrong MAC)"},
    SwMeaning{0x9863, kExact, "security session or association expired"},
    // SW1 groups, for words not listed above.
    SwMeaning{0x6200, kSw1, "warning: state of non-volatile memory unchanged"},
    SwMeaning{0x6300, kSw1, "warning: state of non-volatile memory changed"},
    SwMeaning{0x6400, kSw1, "execution error: state of non-volatile memory unchanged"},
    SwMeaning{0x6500, kSw1, "execution error: state of non-volatile memory changed"},
    SwMeaning{0x6800, kSw1, "function in CLA not supported"},
    SwMeaning{0x6900, kSw1, "command not allowed"},
    SwMeaning{0x6A00, kSw1, "wrong parameters"},
    SwMeaning{0x9800, kSw1, "application error (security management)"},
};

}  // namespace

std::string_view describeStatusWord(std::uint16_t sw) {
    const auto it = std::find_if(kMeanings.begin(), kMeanings.end(),
                                 [sw](const SwMeaning& m) { return (sw & m.mask) == m.value; });
    return it != kMeanings.end() ? it->text : "unknown status word";
}

CardStatusError::CardStatusError(std::uint16_t sw, std::string_view operation)
    : Error(
          fmt::format("{}: the card answered {:04X} ({})", operation, sw, describeStatusWord(sw))),
      sw_(sw) {}

}  // namespace seuicc
