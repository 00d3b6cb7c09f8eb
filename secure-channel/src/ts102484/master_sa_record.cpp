// The master SA record (M2M-SED.md §10): its tag under Kmsa, its checks and its one-line text form.
#include "securechannel/ts102484/master_sa_record.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>
#include <vector>

#include "base/text.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/ts102484/profile_v1.hpp"
#include "seuicc/uicc.hpp"

namespace securechannel::ts102484 {

namespace v1 = profile::v1;

namespace {

constexpr std::string_view kVersion = "msa-record/1";
constexpr std::string_view kTagPrefix = "MSAR";
// A KBKDF label of its own: no computation of the card or the session uses this key.
constexpr std::string_view kRecordKeyLabel = "MSA-RECORD";
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kMaxAidSize = 16;

constexpr std::array<std::string_view, 5> kFields{"msa_id", "uicc_id", "aid", "container", "tag"};

[[noreturn]] void malformed(const std::string& what) {
    throw MasterSaRecordError("master SA record: " + what);
}

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    constexpr std::string_view kSpace = " \t\r\n";
    for (std::size_t at = text.find_first_not_of(kSpace); at != std::string_view::npos;) {
        const std::size_t end = std::min(text.find_first_of(kSpace, at), text.size());
        out.push_back(text.substr(at, end - at));
        at = text.find_first_not_of(kSpace, end);
    }
    return out;
}

Bytes hexField(std::string_view name, std::string_view value, std::size_t min, std::size_t max) {
    Bytes bytes;
    try {
        bytes = base::fromHex(value);
    } catch (const base::HexError&) {
        malformed(fmt::format("{} is not hex", name));
    }
    if (bytes.size() < min || bytes.size() > max) {
        malformed(fmt::format("{} has {} bytes, not {}..{}", name, bytes.size(), min, max));
    }
    return bytes;
}

std::uint8_t containerField(std::string_view value) {
    unsigned size = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), size);
    if (ec != std::errc{} || end != value.data() + value.size() || size < v1::kMinContainerSize ||
        size > v1::kMaxContainerSize) {
        malformed(fmt::format("container is not a number from {} to {}", v1::kMinContainerSize,
                              v1::kMaxContainerSize));
    }
    return static_cast<std::uint8_t>(size);
}

}  // namespace

std::string MasterSaRecord::iccid() const {
    return seuicc::decodeIccid(uiccId);
}

std::string MasterSaRecord::toText() const {
    return fmt::format("{} msa_id={} uicc_id={} aid={} container={} tag={}", kVersion,
                       base::toHex(msaId), base::toHex(uiccId), base::toHex(aid), containerSize,
                       base::toHex(tag));
}

MasterSaRecord MasterSaRecord::fromText(std::string_view text) {
    const std::vector<std::string_view> parts = words(text);
    if (parts.empty() || parts.front() != kVersion) {
        malformed(fmt::format("does not start with \"{}\"", kVersion));
    }
    MasterSaRecord record;
    std::array<bool, kFields.size()> seen{};
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const std::size_t eq = parts[i].find('=');
        const std::string_view name = parts[i].substr(0, eq);
        const auto known = std::find(kFields.begin(), kFields.end(), name);
        if (eq == std::string_view::npos || known == kFields.end()) {
            malformed(fmt::format("unknown field \"{}\"", base::printable(name)));
        }
        const auto index = static_cast<std::size_t>(known - kFields.begin());
        if (std::exchange(seen[index], true)) {
            malformed(fmt::format("{} given twice", name));
        }
        const std::string_view value = parts[i].substr(eq + 1);
        switch (index) {
            case 0:
                record.msaId = hexField(name, value, v1::kSaIdSize, v1::kSaIdSize);
                break;
            case 1:
                record.uiccId = hexField(name, value, seuicc::kEfIccidSize, seuicc::kEfIccidSize);
                break;
            case 2:
                record.aid = hexField(name, value, 1, kMaxAidSize);
                break;
            case 3:
                record.containerSize = containerField(value);
                break;
            default:
                record.tag = hexField(name, value, kTagSize, kTagSize);
                break;
        }
    }
    for (std::size_t i = 0; i < kFields.size(); ++i) {
        if (!seen[i]) {
            malformed(fmt::format("no {}", kFields[i]));
        }
    }
    return record;
}

Bytes masterSaRecordTag(ByteView kmsa, const MasterSaRecord& record) {
    const SecretBuffer key = kbkdfCounterCmac(kmsa, asBytes(kRecordKeyLabel), {}, v1::kKmsaSize);
    Bytes input;
    base::append(input, asBytes(kTagPrefix));
    base::append(input, record.msaId);
    base::append(input, record.uiccId);
    input.push_back(static_cast<std::uint8_t>(record.aid.size()));
    base::append(input, record.aid);
    input.push_back(record.containerSize);
    return aesCmac(key.view(), input);
}

MasterSaRecord sealMasterSaRecord(ByteView kmsa, MasterSaRecord record) {
    record.tag = masterSaRecordTag(kmsa, record);
    return record;
}

std::optional<std::string> masterSaRecordProblem(const MasterSaRecord& record, ByteView kmsa,
                                                 ByteView aid,
                                                 std::optional<ByteView> expectedUiccId) {
    const auto same = [](ByteView a, ByteView b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end());
    };
    if (record.msaId.size() != v1::kSaIdSize || record.uiccId.size() != seuicc::kEfIccidSize ||
        record.aid.empty() || record.aid.size() > kMaxAidSize || record.tag.size() != kTagSize ||
        record.containerSize < v1::kMinContainerSize) {
        return "a field is out of range";
    }
    if (!same(record.aid, aid)) {
        return fmt::format("it is for the application {}, not {}", base::toHex(record.aid),
                           base::toHex(aid));
    }
    if (expectedUiccId && !same(record.uiccId, *expectedUiccId)) {
        return fmt::format("it is for the card {}, not {}", record.iccid(),
                           seuicc::decodeIccid(*expectedUiccId));
    }
    if (!constantTimeEqual(masterSaRecordTag(kmsa, record), record.tag)) {
        return "its tag does not verify under this terminal's Kmsa (edited, or made with another "
               "Kmsa)";
    }
    return std::nullopt;
}

}  // namespace securechannel::ts102484
