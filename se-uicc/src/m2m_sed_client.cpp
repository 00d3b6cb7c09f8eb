// The M2M-SED client: command coding of se-uicc/applet/M2M-SED.md §1-§4 and the status-word
// table that turns every card answer into a typed error.
#include "seuicc/m2m_sed_client.hpp"

#include <fmt/format.h>
#include <string.h>  // explicit_bzero

#include <algorithm>
#include <limits>
#include <utility>

#include "seuicc/log.hpp"
#include "seuicc/tlv.hpp"
#include "seuicc/uicc.hpp"

namespace seuicc {

// ---------------------------------------------------------------------------------------------
// SensitiveBytes

void secureWipe(std::span<std::uint8_t> bytes) noexcept {
    if (!bytes.empty()) {
        ::explicit_bzero(bytes.data(), bytes.size());
    }
}

SensitiveBytes::SensitiveBytes(ByteView data) {
    if (data.empty()) {
        return;
    }
    data_ = std::make_unique<std::uint8_t[]>(data.size());
    std::copy(data.begin(), data.end(), data_.get());
    size_ = data.size();
}

SensitiveBytes SensitiveBytes::takeFrom(Bytes& source) {
    SensitiveBytes taken(source);
    secureWipe(source);
    source.clear();
    return taken;
}

SensitiveBytes::SensitiveBytes(SensitiveBytes&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}

SensitiveBytes& SensitiveBytes::operator=(SensitiveBytes&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::move(other.data_);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

SensitiveBytes::~SensitiveBytes() {
    release();
}

void SensitiveBytes::release() noexcept {
    if (data_) {
        secureWipe({data_.get(), size_});
        data_.reset();
    }
    size_ = 0;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Command coding (M2M-SED.md §2-§4).

constexpr std::uint8_t kClaIso = 0x00;
constexpr std::uint8_t kClaProprietary = 0x80;

constexpr std::uint8_t kInsVerify = 0x20;
constexpr std::uint8_t kInsGetData = 0xCA;
constexpr std::uint8_t kInsStoreData = 0xE2;
constexpr std::uint8_t kInsCommit = 0xE8;  // COMMIT and LOCK
constexpr std::uint8_t kInsComputeMasterSecret = 0x40;
constexpr std::uint8_t kInsDeriveExportedKey = 0x42;
constexpr std::uint8_t kInsActivateKey = 0x44;

constexpr std::uint8_t kVerifyAdminP2 = 0x81;
constexpr std::uint8_t kGetDataAllP2 = 0xFF;
constexpr std::uint8_t kStoreDataClearFirst = 0x01;  // P1 b1
constexpr std::uint8_t kCommitP1 = 0x01;
constexpr std::uint8_t kLockP1 = 0x02;
constexpr std::uint8_t kCommitAndLockP1 = 0x03;

constexpr std::size_t kMaxShortData = 255;

// GET DATA tags.
constexpr std::uint32_t kTagLifecycle = 0xC0;
constexpr std::uint32_t kTagAdminTries = 0xCF;
constexpr std::uint32_t kTagNodeId = 0xC1;
constexpr std::uint32_t kTagKmrIndex = 0xC2;
constexpr std::uint32_t kTagKmrExpiry = 0xC3;
constexpr std::uint32_t kTagSclId = 0xC4;
constexpr std::uint32_t kTagNsclList = 0xC5;
constexpr std::uint32_t kTagMasFqdn = 0xC6;
constexpr std::uint32_t kTagKmcIndex = 0xC7;
constexpr std::uint32_t kTagConnectionId = 0xC8;
constexpr std::uint32_t kTagKmcExpiry = 0xC9;
constexpr std::uint32_t kTagKcvKmr = 0xE1;
constexpr std::uint32_t kTagKcvKmc = 0xE2;
constexpr std::uint32_t kTagKcvKbs = 0xE3;
constexpr std::uint32_t kTagKcvKmsa = 0xE4;
constexpr std::uint32_t kTagKcvKiv = 0xE5;

constexpr std::size_t kMaxUriLength = 128;
constexpr std::size_t kMaxNsclListLength = 255;
constexpr std::size_t kMinSessionHash = 20;
constexpr std::size_t kMaxSessionHash = 64;

// ---------------------------------------------------------------------------------------------
// Status words -> errors.

enum class SedCommand {
    Select,
    GetData,
    VerifyAdmin,
    StoreData,
    Commit,
    Lock,
    ComputeMasterSecret,
    DeriveExportedKey,
    ActivateKey,
};

std::string_view commandName(SedCommand command) {
    switch (command) {
        case SedCommand::Select:
            return "SELECT M2M-SED";
        case SedCommand::GetData:
            return "M2M-SED GET DATA";
        case SedCommand::VerifyAdmin:
            return "M2M-SED VERIFY ADMIN";
        case SedCommand::StoreData:
            return "M2M-SED STORE DATA";
        case SedCommand::Commit:
            return "M2M-SED COMMIT";
        case SedCommand::Lock:
            return "M2M-SED LOCK";
        case SedCommand::ComputeMasterSecret:
            return "M2M-SED COMPUTE MASTER SECRET";
        case SedCommand::DeriveExportedKey:
            return "M2M-SED DERIVE EXPORTED KEY";
        case SedCommand::ActivateKey:
            return "M2M-SED ACTIVATE KEY";
    }
    return "M2M-SED";
}

// 6985 says "conditions of use not satisfied"; which condition depends on the command
// (M2M-SED.md §3, §4).
[[noreturn]] void throwWrongState(SedCommand command, std::uint16_t sw) {
    const std::string_view name = commandName(command);
    switch (command) {
        case SedCommand::StoreData:
        case SedCommand::VerifyAdmin:
            throw SedLocked(sw, fmt::format("{} (the applet is LOCKED)", name));
        case SedCommand::Commit:
            throw SedIncomplete(
                sw, fmt::format("{} (a mandatory item of C1..C6, D1, D4 is missing, or the applet "
                                "is LOCKED)",
                                name));
        case SedCommand::ComputeMasterSecret:
            throw SedNotPersonalised(sw, fmt::format("{} (the applet is not personalised)", name));
        case SedCommand::DeriveExportedKey:
            throw SedNoMasterSecret(
                sw, fmt::format("{} (no master secret from the slot this target needs)", name));
        case SedCommand::ActivateKey:
            throw SedNoPendingKey(sw, fmt::format("{} (no pending key to activate)", name));
        case SedCommand::Lock:
            throw SedWrongState(sw, fmt::format("{} (the applet is not PERSONALISED: blank, or "
                                                "already LOCKED)",
                                                name));
        case SedCommand::Select:
        case SedCommand::GetData:
            break;
    }
    throw SedWrongState(sw, name);
}

[[noreturn]] void throwSedError(SedCommand command, std::uint16_t sw) {
    const std::string_view name = commandName(command);
    if (command == SedCommand::VerifyAdmin && (sw & 0xFFF0) == 0x63C0) {
        throw AdminCodeRejected(sw, name);
    }
    switch (sw) {
        case 0x6A82:
            if (command == SedCommand::Select) {
                throw SedNotInstalled(sw, name);
            }
            break;
        case 0x6983:
            throw AdminBlocked(sw, name);
        case 0x6982:
            throw SedSecurityNotSatisfied(sw, name);
        case 0x6985:
            throwWrongState(command, sw);
        case 0x6A80:
            throw SedWrongData(sw, name);
        case 0x6A88:
            throw SedKeyMissing(sw, name);
        case 0x6A86:
        case 0x6B00:
            throw SedWrongParameters(sw, name);
        case 0x6700:
            throw SedWrongLength(sw, name);
        case 0x6D00:
        case 0x6E00:
            throw SedNotSupported(sw, name);
        default:
            break;
    }
    throw SedError(sw, name);
}

const ResponseApdu& requireOk(SedCommand command, const ResponseApdu& response) {
    if (!response.ok()) {
        throwSedError(command, response.sw);
    }
    return response;
}

// ---------------------------------------------------------------------------------------------
// Field coding.

template <std::size_t N>
void appendBe(Bytes& out, std::uint64_t value) {
    for (std::size_t i = N; i-- > 0;) {
        out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    }
}

std::uint64_t readBe(ByteView bytes) {
    std::uint64_t value = 0;
    for (const std::uint8_t b : bytes) {
        value = (value << 8) | b;
    }
    return value;
}

std::uint64_t unixSeconds(std::chrono::system_clock::time_point at) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(at.time_since_epoch()).count();
    if (seconds < 0) {
        throw SedInvalidArgument("an expiry before 1970 cannot be coded (Unix seconds, unsigned)");
    }
    return static_cast<std::uint64_t>(seconds);
}

std::chrono::system_clock::time_point fromUnixSeconds(std::uint64_t seconds, std::uint32_t tag) {
    using std::chrono::system_clock;
    constexpr auto kMaxSeconds =
        std::chrono::duration_cast<std::chrono::seconds>(system_clock::duration::max()).count();
    if (seconds > static_cast<std::uint64_t>(kMaxSeconds)) {
        throw SedMalformedResponse(fmt::format(
            "M2M-SED GET DATA: expiry {:02X} = {} s is beyond the clock's range", tag, seconds));
    }
    return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
        std::chrono::seconds(static_cast<std::int64_t>(seconds))));
}

ByteView fixedField(const Tlv& tlv, std::size_t size) {
    if (tlv.value.size() != size) {
        throw SedMalformedResponse(
            fmt::format("M2M-SED GET DATA: tag {:02X} has {} bytes, the contract says {}", tlv.tag,
                        tlv.value.size(), size));
    }
    return tlv.value;
}

std::string textField(const Tlv& tlv, std::size_t maxSize) {
    if (tlv.value.empty() || tlv.value.size() > maxSize) {
        throw SedMalformedResponse(
            fmt::format("M2M-SED GET DATA: tag {:02X} has {} bytes, the contract says 1..{}",
                        tlv.tag, tlv.value.size(), maxSize));
    }
    return std::string(tlv.value.begin(), tlv.value.end());
}

template <std::size_t N>
std::array<std::uint8_t, N> arrayField(const Tlv& tlv) {
    const ByteView value = fixedField(tlv, N);
    std::array<std::uint8_t, N> out{};
    std::copy(value.begin(), value.end(), out.begin());
    return out;
}

std::vector<std::string> splitNsclList(const Tlv& tlv) {
    const std::string text = textField(tlv, kMaxNsclListLength);
    std::vector<std::string> uris;
    std::size_t start = 0;
    while (true) {
        const std::size_t space = text.find(' ', start);
        const std::size_t end = space == std::string::npos ? text.size() : space;
        if (end == start) {
            throw SedMalformedResponse(
                "M2M-SED GET DATA: the NSCL list (C5) has an empty entry (URIs are separated by "
                "exactly one space)");
        }
        uris.push_back(text.substr(start, end - start));
        if (space == std::string::npos) {
            return uris;
        }
        start = space + 1;
    }
}

SedLifecycle lifecycleOf(const Tlv& tlv) {
    const std::uint8_t value = fixedField(tlv, 1)[0];
    switch (value) {
        case static_cast<std::uint8_t>(SedLifecycle::Installed):
        case static_cast<std::uint8_t>(SedLifecycle::Personalised):
        case static_cast<std::uint8_t>(SedLifecycle::Locked):
            return static_cast<SedLifecycle>(value);
        default:
            throw SedMalformedResponse(
                fmt::format("M2M-SED GET DATA: unknown lifecycle {:02X}", value));
    }
}

std::size_t requireSize(ByteView data, std::size_t size, std::string_view what) {
    if (data.size() != size) {
        throw SedInvalidArgument(
            fmt::format("{}: {} bytes given, {} needed", what, data.size(), size));
    }
    return size;
}

// Runs `f` when the scope ends, on every path out of it (used to wipe buffers).
template <typename F>
class ScopeExit {
public:
    explicit ScopeExit(F f) : f_(std::move(f)) {}
    ~ScopeExit() { f_(); }
    ScopeExit(const ScopeExit&) = delete;
    ScopeExit& operator=(const ScopeExit&) = delete;

private:
    F f_;
};

// One STORE DATA command's worth of TLVs.
struct StoreDataBatch {
    Bytes data;
    bool sensitive = false;
};

// Packs the items in order, public and sensitive ones in separate batches of at most 255
// bytes (an item that is longer alone gets a batch of its own).
std::vector<StoreDataBatch> packStoreData(std::span<const SedItem> items) {
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
        for (const SedItem& item : items) {
            if (item.sensitive() != sensitive) {
                continue;
            }
            Bytes tlv = encodeTlv(item.tag(), item.value());
            if (!current.data.empty() && current.data.size() + tlv.size() > kMaxShortData) {
                batches.push_back(std::move(current));
                current = newBatch(sensitive);
            }
            current.data.insert(current.data.end(), tlv.begin(), tlv.end());
            secureWipe(tlv);
        }
        if (!current.data.empty()) {
            batches.push_back(std::move(current));
        }
    }
    return batches;
}

}  // namespace

std::string_view toString(SedLifecycle lifecycle) {
    switch (lifecycle) {
        case SedLifecycle::Installed:
            return "INSTALLED";
        case SedLifecycle::Personalised:
            return "PERSONALISED";
        case SedLifecycle::Locked:
            return "LOCKED";
    }
    return "unknown";
}

// ---------------------------------------------------------------------------------------------
// SedStatus

SedStatus SedStatus::parse(ByteView getDataResponse) {
    std::vector<Tlv> tlvs;
    try {
        tlvs = parseTlvs(getDataResponse);
    } catch (const TlvError& e) {
        throw SedMalformedResponse(fmt::format("M2M-SED GET DATA: {}", e.what()));
    }
    SedStatus status;
    bool haveLifecycle = false;
    for (const Tlv& tlv : tlvs) {
        switch (tlv.tag) {
            case kTagLifecycle:
                status.lifecycle = lifecycleOf(tlv);
                haveLifecycle = true;
                break;
            case kTagAdminTries:
                status.adminTriesLeft = fixedField(tlv, 1)[0];
                break;
            case kTagNodeId:
                status.nodeId = arrayField<16>(tlv);
                break;
            case kTagKmrIndex:
                status.kmrIndex = static_cast<std::uint32_t>(readBe(fixedField(tlv, 4)));
                break;
            case kTagKmrExpiry:
                status.kmrExpiry = fromUnixSeconds(readBe(fixedField(tlv, 8)), tlv.tag);
                break;
            case kTagSclId:
                status.sclId = textField(tlv, kMaxUriLength);
                break;
            case kTagNsclList:
                status.nsclList = splitNsclList(tlv);
                break;
            case kTagMasFqdn:
                status.masFqdn = textField(tlv, kMaxUriLength);
                break;
            case kTagKmcIndex:
                status.kmcIndex = static_cast<std::uint32_t>(readBe(fixedField(tlv, 4)));
                break;
            case kTagConnectionId:
                status.connectionId = readBe(fixedField(tlv, 8));
                break;
            case kTagKmcExpiry:
                status.kmcExpiry = fromUnixSeconds(readBe(fixedField(tlv, 8)), tlv.tag);
                break;
            case kTagKcvKmr:
                status.kcv.kmr = arrayField<3>(tlv);
                break;
            case kTagKcvKmc:
                status.kcv.kmc = arrayField<3>(tlv);
                break;
            case kTagKcvKbs:
                status.kcv.kbs = arrayField<3>(tlv);
                break;
            case kTagKcvKmsa:
                status.kcv.kmsa = arrayField<3>(tlv);
                break;
            case kTagKcvKiv:
                status.kcv.kiv = arrayField<3>(tlv);
                break;
            default:
                log::category("card")->debug("M2M-SED GET DATA: skipping unknown tag {:02X}",
                                             tlv.tag);
                break;
        }
    }
    if (!haveLifecycle) {
        throw SedMalformedResponse("M2M-SED GET DATA: no lifecycle (C0)");
    }
    return status;
}

// ---------------------------------------------------------------------------------------------
// SedItem

SedItem SedItem::nodeId(ByteView id) {
    requireSize(id, 16, "M2M-Node-ID");
    return SedItem(kTagNodeId, Bytes(id.begin(), id.end()));
}

SedItem SedItem::kmrIndex(std::uint32_t index) {
    Bytes value;
    appendBe<4>(value, index);
    return SedItem(kTagKmrIndex, std::move(value));
}

SedItem SedItem::kmrExpiry(std::chrono::system_clock::time_point at) {
    Bytes value;
    appendBe<8>(value, unixSeconds(at));
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

// ---------------------------------------------------------------------------------------------
// M2mSedClient: public data and personalisation

void M2mSedClient::select(const Transaction& tx) {
    requireOk(SedCommand::Select, selectByAid(tx, *channel_, kAid, /*wantFcp=*/false));
}

SedStatus M2mSedClient::status(const Transaction& tx) {
    const CommandApdu getData{kClaProprietary, kInsGetData, 0x00,
                              kGetDataAllP2,   {},          CommandApdu::kMaxShortNe};
    const ResponseApdu response = channel_->transmit(tx, getData);
    return SedStatus::parse(requireOk(SedCommand::GetData, response).data);
}

void M2mSedClient::verifyAdmin(const Transaction& tx, ByteView code) {
    requireSize(code, kAdminCodeSize, "administrative code");
    CommandApdu verify{
        kClaIso, kInsVerify, 0x00, kVerifyAdminP2, Bytes(code.begin(), code.end()), std::nullopt};
    const ScopeExit wipeCode([&verify] { secureWipe(verify.data); });
    requireOk(SedCommand::VerifyAdmin,
              channel_->transmit(tx, verify, {.commandData = true, .responseData = false}));
}

std::size_t M2mSedClient::storeData(const Transaction& tx, std::span<const SedItem> items,
                                    bool clearFirst) {
    std::vector<StoreDataBatch> batches = packStoreData(items);
    const ScopeExit wipeBatches([&batches] {
        for (StoreDataBatch& batch : batches) {
            secureWipe(batch.data);
        }
    });
    bool first = true;
    for (StoreDataBatch& batch : batches) {
        const std::uint8_t p1 = first && clearFirst ? kStoreDataClearFirst : 0x00;
        first = false;
        CommandApdu store{kClaProprietary, kInsStoreData, p1, 0x00, batch.data, std::nullopt};
        const ScopeExit wipeCommand([&store] { secureWipe(store.data); });
        requireOk(SedCommand::StoreData,
                  channel_->transmit(tx, store, {.commandData = batch.sensitive}));
    }
    return batches.size();
}

void M2mSedClient::commit(const Transaction& tx, bool lock) {
    const CommandApdu command{
        kClaProprietary, kInsCommit, lock ? kCommitAndLockP1 : kCommitP1, 0x00, {}, std::nullopt};
    requireOk(SedCommand::Commit, channel_->transmit(tx, command));
}

void M2mSedClient::lock(const Transaction& tx) {
    const CommandApdu command{kClaProprietary, kInsCommit, kLockP1, 0x00, {}, std::nullopt};
    requireOk(SedCommand::Lock, channel_->transmit(tx, command));
}

// ---------------------------------------------------------------------------------------------
// M2mSedClient: operational commands, through the tunnel only

SensitiveBytes M2mSedClient::computeMasterSecret(const Transaction& tx, SecureTunnel& tunnel,
                                                 KeySlot slot, MasterSecretMode mode,
                                                 ByteView seed) {
    if (mode == MasterSecretMode::Plain) {
        requireSize(seed, 2 * kRandomSize, "master secret seed (client_random ‖ server_random)");
    } else if (seed.size() < kMinSessionHash || seed.size() > kMaxSessionHash) {
        throw SedInvalidArgument(
            fmt::format("session hash: {} bytes, 20..64 allowed", seed.size()));
    }
    const CommandApdu command{kClaProprietary,
                              kInsComputeMasterSecret,
                              static_cast<std::uint8_t>(slot),
                              static_cast<std::uint8_t>(mode),
                              Bytes(seed.begin(), seed.end()),
                              CommandApdu::kMaxShortNe};
    ResponseApdu response = tunnel.transmit(tx, command);
    if (!response.ok()) {
        secureWipe(response.data);
        throwSedError(SedCommand::ComputeMasterSecret, response.sw);
    }
    if (response.data.size() != kMasterSecretSize) {
        const std::size_t size = response.data.size();
        secureWipe(response.data);
        throw SedMalformedResponse(fmt::format(
            "M2M-SED COMPUTE MASTER SECRET: {} bytes returned, a master secret has 48", size));
    }
    return SensitiveBytes::takeFrom(response.data);
}

KeyCheckValue M2mSedClient::deriveExportedKey(const Transaction& tx, SecureTunnel& tunnel,
                                              ExportTarget target, ByteView clientRandom,
                                              ByteView serverRandom) {
    requireSize(clientRandom, kRandomSize, "client_random");
    requireSize(serverRandom, kRandomSize, "server_random");
    CommandApdu command{
        kClaProprietary,         kInsDeriveExportedKey, static_cast<std::uint8_t>(target), 0x00, {},
        CommandApdu::kMaxShortNe};
    command.data.assign(clientRandom.begin(), clientRandom.end());
    command.data.insert(command.data.end(), serverRandom.begin(), serverRandom.end());
    const ResponseApdu response = tunnel.transmit(tx, command);
    requireOk(SedCommand::DeriveExportedKey, response);
    if (response.data.size() != 3) {
        throw SedMalformedResponse(fmt::format(
            "M2M-SED DERIVE EXPORTED KEY: {} bytes returned, a KCV has 3", response.data.size()));
    }
    KeyCheckValue kcv{};
    std::copy(response.data.begin(), response.data.end(), kcv.begin());
    return kcv;
}

void M2mSedClient::activateKey(const Transaction& tx, SecureTunnel& tunnel, ExportTarget target,
                               std::uint32_t index, std::chrono::system_clock::time_point expiry,
                               std::optional<std::uint64_t> connectionId) {
    if ((target == ExportTarget::Kmc) != connectionId.has_value()) {
        throw SedInvalidArgument(target == ExportTarget::Kmc
                                     ? "ACTIVATE KEY Kmc needs a ConnectionId"
                                     : "ACTIVATE KEY Kmr takes no ConnectionId");
    }
    CommandApdu command{
        kClaProprietary, kInsActivateKey, static_cast<std::uint8_t>(target), 0x00, {},
        std::nullopt};
    appendBe<4>(command.data, index);
    appendBe<8>(command.data, unixSeconds(expiry));
    if (connectionId) {
        appendBe<8>(command.data, *connectionId);
    }
    const ResponseApdu response = tunnel.transmit(tx, command);
    requireOk(SedCommand::ActivateKey, response);
    if (!response.data.empty()) {
        throw SedMalformedResponse(fmt::format(
            "M2M-SED ACTIVATE KEY: {} unexpected bytes of response data", response.data.size()));
    }
}

}  // namespace seuicc
