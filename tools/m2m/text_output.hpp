// The text form of what `m2m` prints. Strings from a card (ICCID, EF_DIR labels, SCL-ID, NSCL
// URIs, MAS FQDN) or a peer (server messages, resource locations, an agent's status file) reach
// the terminal only through base::printable, so that an escape sequence in them is shown, never
// obeyed. JSON output needs no such step: the JSON library escapes control characters, and bytes
// that are not UTF-8 are written as U+FFFD (jsonText) instead of failing the command.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "seuicc/uicc.hpp"

namespace m2m::cli {

// `value` as JSON text, indented by `indent` (-1: one line); never throws for bytes that are not
// UTF-8 (they become U+FFFD).
std::string jsonText(const nlohmann::ordered_json& value, int indent = -1);

// A value for a text line: a string as it is, anything else as one line of JSON; either way
// through base::printable.
std::string shown(const nlohmann::ordered_json& value);

// "key: value" per member of `object`, in order (m2m card status).
void printFields(std::ostream& out, const nlohmann::ordered_json& object);

// m2m card info: the reader, the ATR decoded, the ICCID, the applications of EF_DIR (AID and
// label), secure-channel support and the cost of reading it all.
void printCardInfo(std::ostream& out, std::string_view reader, const seuicc::CardInfo& info,
                   std::string_view secureChannel, double elapsedMs);

// m2m agent status: the status file of the agent (readStatusFile) and whether it runs.
void printAgentStatus(std::ostream& out, const nlohmann::ordered_json& status, bool running);

}  // namespace m2m::cli
