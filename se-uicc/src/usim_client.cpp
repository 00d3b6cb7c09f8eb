// The USIM client: the commands of se-uicc/applet/USIM.md on a card channel.
#include "seuicc/usim_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "base/big_endian.hpp"
#include "base/log.hpp"
#include "seuicc/uicc.hpp"

namespace seuicc {

namespace {

constexpr std::uint8_t kClaIso = 0x00;
constexpr std::uint8_t kClaProprietary = 0x80;
constexpr std::uint8_t kInsAuthenticate = 0x88;
constexpr std::uint8_t kInsVerify = 0x20;
constexpr std::uint8_t kInsStoreData = 0xE2;
constexpr std::uint8_t kInsLock = 0xE8;
constexpr std::uint8_t kInsGetData = 0xCA;
constexpr std::uint8_t kP2Context3g = 0x81;
constexpr std::uint8_t kP2ContextGba = 0x84;
constexpr std::uint8_t kTagBootstrap = 0xDD;
constexpr std::uint8_t kTagNafDerivation = 0xDE;
constexpr std::uint8_t kTagOk = 0xDB;
constexpr std::uint8_t kTagSync = 0xDC;
constexpr std::uint16_t kFidImsi = 0x6F07;
constexpr std::uint16_t kFidGbaBp = 0x6FD6;
constexpr std::size_t kEfImsiSize = 9;
constexpr std::size_t kKeySize = 16;
constexpr std::size_t kKcSize = 8;
constexpr std::size_t kSqnSize = 6;
constexpr std::array<std::uint8_t, 7> kUsimAidPrefix{0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02};

constexpr std::uint16_t kSwMacFailure = 0x9862;
constexpr std::uint16_t kSwConditions = 0x6985;
constexpr std::uint16_t kSwSecurity = 0x6982;
constexpr std::uint16_t kSwNotFound = 0x6A82;

enum class Context { Authenticate, NafDerivation, Personalisation, Other };

[[noreturn]] void throwUsimError(std::uint16_t sw, std::string_view operation, Context context) {
    switch (sw) {
        case kSwMacFailure:
            throw UsimMacFailure(sw, operation);
        case kSwSecurity:
            throw UsimSecurityNotSatisfied(sw, operation);
        case kSwNotFound:
            throw UsimNotInstalled(sw, operation);
        case kSwConditions:
            switch (context) {
                case Context::NafDerivation:
                    throw UsimNoBootstrap(sw, operation);
                case Context::Personalisation:
                    throw UsimLocked(sw, operation);
                default:
                    throw UsimNotPersonalised(sw, operation);
            }
        default:
            throw UsimError(sw, operation);
    }
}

void requireOk(const ResponseApdu& r, std::string_view operation,
               Context context = Context::Other) {
    if (!r.ok()) {
        throwUsimError(r.sw, operation, context);
    }
}

void requireSize(ByteView v, std::size_t size, std::string_view what) {
    if (v.size() != size) {
        throw Error(fmt::format("{}: {} bytes, {} expected", what, v.size(), size));
    }
}

// One `L value` field of `data` at `pos`, of exactly `size` bytes when size > 0.
ByteView lengthValue(ByteView data, std::size_t& pos, std::size_t size, std::string_view what) {
    if (pos >= data.size()) {
        throw UsimMalformedResponse(fmt::format("USIM answer ends before {}", what));
    }
    const std::size_t len = data[pos];
    if ((size != 0 && len != size) || pos + 1 + len > data.size()) {
        throw UsimMalformedResponse(fmt::format("USIM answer: {} has a bad length", what));
    }
    const ByteView v = data.subspan(pos + 1, len);
    pos += 1 + len;
    return v;
}

void appendLv(Bytes& out, ByteView v, std::string_view what) {
    if (v.size() > 0xFF) {
        throw Error(fmt::format("{}: {} bytes, at most 255", what, v.size()));
    }
    out.push_back(static_cast<std::uint8_t>(v.size()));
    out.insert(out.end(), v.begin(), v.end());
}

ByteView textBytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void appendTlv(Bytes& out, std::uint8_t tag, ByteView v) {
    out.push_back(tag);
    out.push_back(static_cast<std::uint8_t>(v.size()));
    out.insert(out.end(), v.begin(), v.end());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// EF coding

Bytes encodeImsi(std::string_view digits) {
    if (digits.size() < 6 || digits.size() > 15 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        throw Error("IMSI: 6 to 15 digits expected");
    }
    Bytes ef(kEfImsiSize, 0xFF);
    ef[0] = static_cast<std::uint8_t>((digits.size() + 2) / 2);
    const bool odd = digits.size() % 2 == 1;
    ef[1] = static_cast<std::uint8_t>(((digits[0] - '0') << 4) | (odd ? 0x09 : 0x01));
    for (std::size_t i = 1; i < digits.size(); i += 2) {
        const std::uint8_t low = static_cast<std::uint8_t>(digits[i] - '0');
        const std::uint8_t high =
            i + 1 < digits.size() ? static_cast<std::uint8_t>(digits[i + 1] - '0') : 0x0F;
        ef[2 + (i - 1) / 2] = static_cast<std::uint8_t>((high << 4) | low);
    }
    return ef;
}

std::string decodeImsi(ByteView ef) {
    if (ef.size() < 2 || ef[0] == 0xFF || ef[0] == 0 || ef[0] + 1u > ef.size()) {
        return {};
    }
    std::string digits(1, static_cast<char>('0' + (ef[1] >> 4)));
    for (std::size_t i = 2; i <= ef[0]; ++i) {
        for (const unsigned nibble : {ef[i] & 0x0Fu, static_cast<unsigned>(ef[i] >> 4)}) {
            if (nibble > 9) {
                return digits;
            }
            digits.push_back(static_cast<char>('0' + nibble));
        }
    }
    return digits;
}

Bytes GbaBootstrapParams::encode() const {
    Bytes out;
    appendLv(out, rand, "EF_GBABP RAND");
    appendLv(out, textBytes(btid), "EF_GBABP B-TID");
    appendLv(out, textBytes(lifetime), "EF_GBABP lifetime");
    return out;
}

std::optional<GbaBootstrapParams> GbaBootstrapParams::parse(ByteView ef) {
    if (ef.empty() || ef[0] == 0xFF) {
        return std::nullopt;
    }
    std::size_t pos = 0;
    GbaBootstrapParams p;
    const ByteView rand = lengthValue(ef, pos, UsimClient::kRandSize, "EF_GBABP RAND");
    p.rand.assign(rand.begin(), rand.end());
    const ByteView btid = lengthValue(ef, pos, 0, "EF_GBABP B-TID");
    p.btid.assign(btid.begin(), btid.end());
    const ByteView lifetime = lengthValue(ef, pos, 0, "EF_GBABP lifetime");
    p.lifetime.assign(lifetime.begin(), lifetime.end());
    return p;
}

// ---------------------------------------------------------------------------------------------
// UsimClient

Bytes UsimClient::findAid(const Transaction& tx) {
    for (const ApplicationEntry& app : readEfDir(tx, *channel_)) {
        if (app.aid.size() >= kUsimAidPrefix.size() &&
            std::equal(kUsimAidPrefix.begin(), kUsimAidPrefix.end(), app.aid.begin())) {
            return app.aid;
        }
    }
    return Bytes(kAid.begin(), kAid.end());
}

void UsimClient::select(const Transaction& tx) {
    select(tx, findAid(tx));
}

void UsimClient::select(const Transaction& tx, ByteView aid) {
    requireOk(selectByAid(tx, *channel_, aid, /*wantFcp=*/false), "SELECT USIM");
}

AkaOutcome UsimClient::authenticate3g(const Transaction& tx, ByteView rand, ByteView autn) {
    requireSize(rand, kRandSize, "RAND");
    requireSize(autn, kAutnSize, "AUTN");
    Bytes data;
    appendLv(data, rand, "RAND");
    appendLv(data, autn, "AUTN");
    return authenticate(tx, kP2Context3g, std::move(data), false, "AUTHENTICATE (3G)");
}

AkaOutcome UsimClient::authenticateGbaBootstrap(const Transaction& tx, ByteView rand,
                                                ByteView autn) {
    requireSize(rand, kRandSize, "RAND");
    requireSize(autn, kAutnSize, "AUTN");
    Bytes data{kTagBootstrap};
    appendLv(data, rand, "RAND");
    appendLv(data, autn, "AUTN");
    return authenticate(tx, kP2ContextGba, std::move(data), true,
                        "AUTHENTICATE (GBA bootstrapping)");
}

AkaOutcome UsimClient::authenticate(const Transaction& tx, std::uint8_t p2, Bytes data, bool gba,
                                    std::string_view operation) {
    const CommandApdu command{kClaIso, kInsAuthenticate, 0x00, p2, std::move(data), 256};
    // CK, IK, Kc and RES are keys: kept out of the trace.
    ResponseApdu r = channel_->transmit(tx, command, {.commandData = false, .responseData = true});
    if (!r.ok()) {
        base::secureWipe(r.data);
        throwUsimError(r.sw, operation, Context::Authenticate);
    }
    const base::SecretBuffer body = base::SecretBuffer::takeFrom(r.data);
    const ByteView d = body.view();
    AkaOutcome out;
    if (!d.empty() && d[0] == kTagSync) {
        std::size_t pos = 1;
        const ByteView auts = lengthValue(d, pos, kAutsSize, "AUTS");
        out.kind = AkaOutcome::Kind::SyncFailure;
        out.auts.assign(auts.begin(), auts.end());
        return out;
    }
    if (d.empty() || d[0] != kTagOk) {
        throw UsimMalformedResponse(fmt::format("{}: neither DB nor DC", operation));
    }
    std::size_t pos = 1;
    out.res = base::SecretBuffer::copyOf(lengthValue(d, pos, 0, "RES"));
    if (out.res.size() < 4 || out.res.size() > 16) {
        throw UsimMalformedResponse(fmt::format("{}: RES of {} bytes", operation, out.res.size()));
    }
    if (!gba) {
        out.ck = base::SecretBuffer::copyOf(lengthValue(d, pos, kKeySize, "CK"));
        out.ik = base::SecretBuffer::copyOf(lengthValue(d, pos, kKeySize, "IK"));
        if (pos < d.size()) {
            out.kc = base::SecretBuffer::copyOf(lengthValue(d, pos, kKcSize, "Kc"));
        }
    }
    if (pos != d.size()) {
        throw UsimMalformedResponse(fmt::format("{}: trailing bytes", operation));
    }
    return out;
}

base::SecretBuffer UsimClient::nafDerivation(const Transaction& tx, ByteView nafId,
                                             std::string_view impi) {
    Bytes data{kTagNafDerivation};
    appendLv(data, nafId, "NAF_Id");
    appendLv(data, textBytes(impi), "IMPI");
    const CommandApdu command{kClaIso, kInsAuthenticate, 0x00, kP2ContextGba, std::move(data), 256};
    ResponseApdu r = channel_->transmit(tx, command, {.commandData = false, .responseData = true});
    if (!r.ok()) {
        base::secureWipe(r.data);
        throwUsimError(r.sw, "AUTHENTICATE (NAF derivation)", Context::NafDerivation);
    }
    const base::SecretBuffer body = base::SecretBuffer::takeFrom(r.data);
    if (body.size() != 2 + kKsNafSize || body.view()[0] != kTagOk || body.view()[1] != kKsNafSize) {
        throw UsimMalformedResponse("AUTHENTICATE (NAF derivation): not DB 20 Ks_ext_NAF");
    }
    return base::SecretBuffer::copyOf(body.view().subspan(2));
}

Bytes UsimClient::readTransparent(const Transaction& tx, std::uint16_t fid, std::string_view name) {
    const ResponseApdu selected = selectByFileId(tx, *channel_, fid, /*wantFcp=*/true);
    requireOk(selected, fmt::format("SELECT {}", name));
    const Fcp fcp = Fcp::parse(selected.data);
    if (!fcp.fileSize) {
        throw UsimMalformedResponse(fmt::format("{}: FCP without a file size", name));
    }
    return readBinary(tx, *channel_, 0, *fcp.fileSize);
}

std::string UsimClient::readImsi(const Transaction& tx) {
    return decodeImsi(readTransparent(tx, kFidImsi, "EF_IMSI"));
}

std::optional<GbaBootstrapParams> UsimClient::readGbaBp(const Transaction& tx) {
    return GbaBootstrapParams::parse(readTransparent(tx, kFidGbaBp, "EF_GBABP"));
}

void UsimClient::writeGbaBp(const Transaction& tx, const GbaBootstrapParams& params) {
    requireSize(params.rand, kRandSize, "EF_GBABP RAND");
    Bytes content = params.encode();
    requireOk(selectByFileId(tx, *channel_, kFidGbaBp, /*wantFcp=*/false), "SELECT EF_GBABP");
    // The stale tail of a longer earlier content is overwritten with FF, so the file stays
    // readable as one structure.
    Bytes padded = content;
    padded.resize(std::max<std::size_t>(content.size(), 160), 0xFF);
    try {
        updateBinary(tx, *channel_, 0, padded);
    } catch (const CardStatusError& e) {
        throwUsimError(e.sw(), "UPDATE BINARY EF_GBABP", Context::Other);
    }
}

UsimStatus UsimClient::status(const Transaction& tx) {
    const CommandApdu getData{
        kClaProprietary, kInsGetData, 0x00, 0xFF, {}, 2 + 1 + 2 + 1 + 2 + kSqnSize};
    const ResponseApdu r = channel_->transmit(tx, getData);
    requireOk(r, "GET DATA (USIM)");
    const ByteView d{r.data};
    if (d.size() != 14 || d[0] != 0xC0 || d[3] != 0xCF || d[6] != 0xC1 || d[7] != kSqnSize) {
        throw UsimMalformedResponse("GET DATA (USIM): not C0 CF C1");
    }
    UsimStatus s;
    s.lifecycle = static_cast<UsimStatus::Lifecycle>(d[2]);
    s.adminTriesLeft = d[5];
    s.sqnMs.assign(d.begin() + 8, d.end());
    return s;
}

void UsimClient::verifyAdmin(const Transaction& tx, ByteView code) {
    requireSize(code, 8, "administrative code");
    CommandApdu verify{kClaIso,     kInsVerify, 0x00, 0x81, Bytes(code.begin(), code.end()),
                       std::nullopt};
    requireOk(channel_->transmit(tx, std::move(verify), {.commandData = true}),
              "VERIFY ADMIN (USIM)");
}

void UsimClient::personalise(const Transaction& tx, const UsimPersonalisation& items) {
    if (items.opc && items.op) {
        throw Error("USIM personalisation: OPc or OP, not both");
    }
    Bytes data;
    if (!items.imsi.empty()) {
        appendTlv(data, 0xC1, encodeImsi(items.imsi));
    }
    if (items.sqn) {
        requireSize(*items.sqn, kSqnSize, "start SQN");
        appendTlv(data, 0xC2, *items.sqn);
    }
    const std::pair<std::uint8_t, const std::optional<base::SecretBuffer>*> keys[] = {
        {0xD1, &items.k}, {0xD2, &items.opc}, {0xD3, &items.op}};
    for (const auto& [tag, key] : keys) {
        if (*key) {
            requireSize((*key)->view(), kKeySize, "USIM key");
            appendTlv(data, tag, (*key)->view());
        }
    }
    CommandApdu store{kClaProprietary, kInsStoreData, 0x00, 0x00, std::move(data), std::nullopt};
    requireOk(channel_->transmit(tx, std::move(store), {.commandData = true}), "STORE DATA (USIM)",
              Context::Personalisation);
}

void UsimClient::lock(const Transaction& tx) {
    const CommandApdu command{kClaProprietary, kInsLock, 0x02, 0x00, {}, std::nullopt};
    requireOk(channel_->transmit(tx, command), "LOCK (USIM)", Context::Personalisation);
}

}  // namespace seuicc
