// Personalisation items of the M2M-SED: the TLVs STORE DATA carries (M2M-SED.md §3).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "seuicc/types.hpp"

namespace seuicc {

enum class SedKeySlot : std::uint8_t { Kmr = 0xD1, Kbs = 0xD3, Kmsa = 0xD4, Kiv = 0xD5 };

// One TLV of STORE DATA. Public items own their encoding; key items only refer to the caller's
// key (a SecretBuffer's view, typically), which must outlive the storeData() call: no copy of the
// key is made here. Factories check sizes and throw SedInvalidArgument.
class SedItem {
public:
    static SedItem nodeId(ByteView id);                                  // C1, 16 bytes
    static SedItem kmrIndex(std::uint32_t index);                        // C2
    static SedItem kmrExpiry(std::chrono::system_clock::time_point at);  // C3, Unix seconds
    static SedItem sclId(std::string_view uri);                          // C4, 1..128
    static SedItem nsclList(std::span<const std::string> uris);          // C5, 1..255 in all
    static SedItem masFqdn(std::string_view fqdn);                       // C6, 1..128
    static SedItem key(SedKeySlot slot, ByteView key);  // D1/D3/D5: 32 bytes, D4: 16 bytes

    std::uint8_t tag() const { return tag_; }
    ByteView value() const { return sensitive_ ? keyView_ : ByteView(owned_); }
    bool sensitive() const { return sensitive_; }

private:
    SedItem(std::uint8_t tag, Bytes owned) : tag_(tag), owned_(std::move(owned)) {}
    SedItem(std::uint8_t tag, ByteView key) : tag_(tag), keyView_(key), sensitive_(true) {}

    std::uint8_t tag_;
    Bytes owned_;
    ByteView keyView_;
    bool sensitive_ = false;
};
}  // namespace seuicc
