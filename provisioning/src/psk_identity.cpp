#include "provisioning/psk_identity.hpp"

#include <algorithm>
#include <cctype>

#include "seuicc/bytes.hpp"

namespace provisioning {

namespace {

std::string lowerHex(const seuicc::NodeId& nodeId) {
    std::string hex = seuicc::toHex(nodeId);
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return hex;
}

}  // namespace

std::string kmrIdentity(const seuicc::NodeId& nodeId, std::uint32_t kmrIndex) {
    return lowerHex(nodeId) + "." + std::to_string(kmrIndex);
}

std::string kmcIdentity(const seuicc::NodeId& nodeId, std::uint32_t kmcIndex) {
    return lowerHex(nodeId) + "." + std::to_string(kmcIndex);
}

std::string kbsIdentity(const seuicc::NodeId& nodeId) {
    return lowerHex(nodeId) + ".bootstrap";
}

}  // namespace provisioning
