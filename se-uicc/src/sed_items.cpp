#include "seuicc/sed_items.hpp"

#include <fmt/format.h>

#include "base/big_endian.hpp"
#include "base/secret.hpp"
#include "sed_coding.hpp"
#include "seuicc/sed_errors.hpp"
#include "seuicc/tlv.hpp"

namespace seuicc {

namespace sed {

std::uint64_t unixSeconds(std::chrono::system_clock::time_point at) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(at.time_since_epoch()).count();
    if (seconds < 0) {
        throw SedInvalidArgument("an expiry before 1970 cannot be coded (Unix seconds, unsigned)");
    }
    return static_cast<std::uint64_t>(seconds);
}

std::size_t requireSize(ByteView data, std::size_t size, std::string_view what) {
    if (data.size() != size) {
        throw SedInvalidArgument(
            fmt::format("{}: {} bytes given, {} needed", what, data.size(), size));
    }
    return size;
}

std::vector<StoreDataBatch> packStoreData(std::span<const StoreDataItem> items) {
    // Capacity is reserved up front so that no reallocation leaves an unwiped copy of a key.
    const auto newBatch = [](bool sensitive) {
        StoreDataBatch batch{{}, sensitive};
        batch.data.reserve(kMaxShortData);
        return batch;
    };
    std::vector<StoreDataBatch> batches;
    batches.reserve(items.size());
    for (const bool sensitive : {false, true}) {
        StoreDataBatch current = newBatch(sensitive);
        for (const StoreDataItem& item : items) {
            if (item.sensitive != sensitive) {
                continue;
            }
            Bytes tlv = encodeTlv(item.tag, item.value);
            if (!current.data.empty() && current.data.size() + tlv.size() > kMaxShortData) {
                batches.push_back(std::move(current));
                current = newBatch(sensitive);
            }
            current.data.insert(current.data.end(), tlv.begin(), tlv.end());
            base::secureWipe(tlv);
        }
        if (!current.data.empty()) {
            batches.push_back(std::move(current));
        }
    }
    return batches;
}

}  // namespace sed

using namespace sed;

SedItem SedItem::nodeId(ByteView id) {
    requireSize(id, 16, "M2M-Node-ID");
    return SedItem(kTagNodeId, Bytes(id.begin(), id.end()));
}

SedItem SedItem::kmrIndex(std::uint32_t index) {
    Bytes value;
    base::appendBigEndian<4>(value, index);
    return SedItem(kTagKmrIndex, std::move(value));
}

SedItem SedItem::kmrExpiry(std::chrono::system_clock::time_point at) {
    Bytes value;
    base::appendBigEndian<8>(value, unixSeconds(at));
    return SedItem(kTagKmrExpiry, std::move(value));
}

SedItem SedItem::sclId(std::string_view uri) {
    if (uri.empty() || uri.size() > kMaxUriLength) {
        throw SedInvalidArgument(fmt::format("SCL-ID: {} bytes, 1..128 allowed", uri.size()));
    }
    return SedItem(kTagSclId, Bytes(uri.begin(), uri.end()));
}

SedItem SedItem::nsclList(std::span<const std::string> uris) {
    if (uris.empty()) {
        throw SedInvalidArgument("NSCL list: at least one URI is needed");
    }
    std::string joined;
    for (const std::string& uri : uris) {
        if (uri.empty() || uri.find(' ') != std::string::npos) {
            throw SedInvalidArgument("NSCL list: a URI is empty or contains a space");
        }
        if (!joined.empty()) {
            joined += ' ';
        }
        joined += uri;
    }
    if (joined.size() > kMaxNsclListLength) {
        throw SedInvalidArgument(
            fmt::format("NSCL list: {} bytes with separators, at most 255", joined.size()));
    }
    return SedItem(kTagNsclList, Bytes(joined.begin(), joined.end()));
}

SedItem SedItem::masFqdn(std::string_view fqdn) {
    if (fqdn.empty() || fqdn.size() > kMaxUriLength) {
        throw SedInvalidArgument(fmt::format("MAS FQDN: {} bytes, 1..128 allowed", fqdn.size()));
    }
    return SedItem(kTagMasFqdn, Bytes(fqdn.begin(), fqdn.end()));
}

SedItem SedItem::key(SedKeySlot slot, ByteView key) {
    requireSize(key, slot == SedKeySlot::Kmsa ? 16 : 32, "M2M-SED key");
    return SedItem(static_cast<std::uint8_t>(slot), key);
}

}  // namespace seuicc
