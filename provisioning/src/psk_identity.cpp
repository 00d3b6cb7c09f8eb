#include "provisioning/psk_identity.hpp"

#include <algorithm>
#include <charconv>

#include "base/bytes.hpp"

namespace provisioning {

namespace {

constexpr std::string_view kBootstrapSuffix = "bootstrap";
constexpr std::string_view kUaPrefix = "3GPP-bootstrapping";
constexpr std::size_t kNodeHexSize = 2 * std::tuple_size_v<seuicc::NodeId>;

bool isLowerHexDigit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::optional<std::uint32_t> parseIndex(std::string_view text) {
    if (text.empty() || (text.size() > 1 && text[0] == '0') ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    std::uint32_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;  // more than 32 bits
    }
    return value;
}

}  // namespace

std::string kmrIdentity(const seuicc::NodeId& nodeId, std::uint32_t kmrIndex) {
    return base::toLowerHex(nodeId) + "." + std::to_string(kmrIndex);
}

std::string kmcIdentity(const seuicc::NodeId& nodeId, std::uint32_t kmcIndex) {
    return base::toLowerHex(nodeId) + "." + std::to_string(kmcIndex);
}

std::string uaIdentity(std::string_view btid) {
    return std::string(kUaPrefix) + ";" + std::string(btid);
}

std::optional<std::string> btidOfUaIdentity(std::string_view identity) {
    if (!identity.starts_with(kUaPrefix)) {
        return std::nullopt;
    }
    std::string_view btid = identity.substr(kUaPrefix.size());
    if (!btid.empty() && (btid.front() == ';' || btid.front() == '.')) {
        btid.remove_prefix(1);
    }
    // base64(RAND) "@" FQDN: neither part empty.
    const auto at = btid.find('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == btid.size()) {
        return std::nullopt;
    }
    return std::string(btid);
}

std::string kbsIdentity(const seuicc::NodeId& nodeId) {
    return base::toLowerHex(nodeId) + "." + std::string(kBootstrapSuffix);
}

std::optional<PskIdentity> parsePskIdentity(std::string_view identity) {
    if (identity.size() < kNodeHexSize + 2 || identity[kNodeHexSize] != '.') {
        return std::nullopt;
    }
    const std::string_view node = identity.substr(0, kNodeHexSize);
    if (!std::all_of(node.begin(), node.end(), isLowerHexDigit)) {
        return std::nullopt;
    }
    PskIdentity parsed;
    base::decodeHex(node, parsed.nodeId);
    const std::string_view suffix = identity.substr(kNodeHexSize + 1);
    if (suffix != kBootstrapSuffix) {
        parsed.index = parseIndex(suffix);
        if (!parsed.index) {
            return std::nullopt;
        }
    }
    return parsed;
}

}  // namespace provisioning
