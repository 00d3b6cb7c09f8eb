// Small text helpers shared by the parsers of configuration, HTTP headers and log specs.
#pragma once

#include <string>
#include <string_view>

namespace base {

// `text` without leading and trailing spaces and tabs (HTTP's optional white space, RFC 9110
// §5.6.3).
std::string_view trim(std::string_view text) noexcept;
// ASCII lowercase (header names, hex); other bytes unchanged.
std::string toLower(std::string_view text);
// ASCII case-insensitive equality (HTTP header names and tokens).
bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept;
// `text` safe to print on a terminal or in a log line: control characters, DEL and bytes above
// 0x7E become \xNN, and a backslash becomes \\ (a card's or a peer's string, not ours).
std::string printable(std::string_view text);

}  // namespace base
