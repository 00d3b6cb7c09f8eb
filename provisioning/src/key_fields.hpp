// The fields a node's key record has wherever it is written (the key export, a gateway's device
// records): each read from a parsed JSON object and checked for type, size and range, keys decoded
// straight into SecretBuffers. `origin` starts every message ("key export 'FILE'"); no message
// quotes a value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/secret.hpp"
#include "seuicc/sed_status.hpp"

namespace provisioning::fields {

// KeyExportError "<origin>: <problem>".
[[noreturn]] void fail(const std::string& origin, const std::string& problem);
// Wipes every string of `doc` (the parsed document held the keys' hex).
void wipeStrings(nlohmann::json& doc);

// Key `name` as hex of `bytes` bytes; nullopt if absent and not `required`.
[[nodiscard]] std::optional<base::SecretBuffer> key(const nlohmann::json& doc, const char* name,
                                                    std::size_t bytes, bool required,
                                                    const std::string& origin);
[[nodiscard]] seuicc::NodeId nodeId(const nlohmann::json& doc, const std::string& origin);
[[nodiscard]] std::uint32_t kmrIndex(const nlohmann::json& doc, const std::string& origin);
[[nodiscard]] std::chrono::system_clock::time_point kmrExpiry(const nlohmann::json& doc,
                                                              const std::string& origin);
// iv_attestation_public_key: a PEM public key, when present.
[[nodiscard]] std::optional<std::string> attestationKey(const nlohmann::json& doc,
                                                        const std::string& origin);

// Appends `,\n  "name": "<hex>"`, the hex encoded in place: no other copy of it exists.
void appendKey(std::string& text, const char* name, const base::SecretBuffer& value);

}  // namespace provisioning::fields
