// The APDU trace: every exchange on the wire, at trace level on log category "apdu":
//   > 00A4040C 07 A0000000871002
//   < 9000
// Data fields that carry key material are replaced by "[N bytes redacted]" and never formatted
// at all, whatever the log level (security profile §1 rule 4).
#pragma once

#include <string>

#include "seuicc/apdu.hpp"

namespace seuicc {

struct TraceRedaction {
    bool commandData = false;   // hide the command's data field
    bool responseData = false;  // hide the response's data field
};

// The line traceCommand / traceResponse log, built without logging (for tests and tools):
//   command:  "> " CLA INS P1 P2 Lc, then the data field, then Le, as separate groups
//   response: "< " the data field, then SW1 SW2
std::string formatCommandTrace(const CommandApdu& command, TraceRedaction redaction);
std::string formatResponseTrace(const ResponseApdu& response, TraceRedaction redaction);

// Log one line at trace level on "apdu", formatting only when that level is enabled.
void traceCommand(const CommandApdu& command, TraceRedaction redaction);
void traceResponse(const ResponseApdu& response, TraceRedaction redaction);

}  // namespace seuicc
