#include "seuicc/apdu_trace.hpp"

#include <fmt/format.h>

#include "base/log.hpp"

namespace seuicc {

namespace {

// Either the hex of `data` or how many bytes were hidden; the hidden bytes are never read.
std::string dataField(ByteView data, bool redact) {
    if (redact) {
        return fmt::format("[{} bytes redacted]", data.size());
    }
    return toHex(data);
}

}  // namespace

std::string formatCommandTrace(const CommandApdu& command, TraceRedaction redaction) {
    // The encoded form is split into header+Lc, data and Le, so the data field can be left out
    // without re-implementing the length coding here.
    const Bytes wire = command.encode();
    const ByteView all(wire);
    const std::size_t dataStart = command.dataOffset();
    const std::size_t dataEnd = dataStart + command.data.size();
    std::string line = "> " + toHex(all.first(dataStart));
    if (!command.data.empty()) {
        line += ' ' + dataField(command.data, redaction.commandData);
    }
    if (dataEnd < wire.size()) {
        line += ' ' + toHex(all.subspan(dataEnd));
    }
    return line;
}

std::string formatResponseTrace(const ResponseApdu& response, TraceRedaction redaction) {
    std::string line = "< ";
    if (!response.data.empty()) {
        line += dataField(response.data, redaction.responseData) + ' ';
    }
    return line + fmt::format("{:04X}", response.sw);
}

void traceCommand(const CommandApdu& command, TraceRedaction redaction) {
    if (base::log::kApdu->should_log(spdlog::level::trace)) {
        base::log::kApdu->trace("{}", formatCommandTrace(command, redaction));
    }
}

void traceResponse(const ResponseApdu& response, TraceRedaction redaction) {
    if (base::log::kApdu->should_log(spdlog::level::trace)) {
        base::log::kApdu->trace("{}", formatResponseTrace(response, redaction));
    }
}

}  // namespace seuicc
