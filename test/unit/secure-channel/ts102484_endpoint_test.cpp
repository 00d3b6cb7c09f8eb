// The TS 102 484 terminal endpoint against a card-side simulator written here from
// se-uicc/applet/M2M-SED.md §5-§7 (MANAGE SECURE CHANNEL with chaining, TRANSACT DATA with 92 XX,
// the profile v1 cryptography redone with the crypto primitives, not with profile::v1), on a
// MemoryTransport. Covers the steps, the session policy (death after 69 82 or a rejected
// response, SessionExpired, AuthenticationFailed), the T-SED, and M2mSedClient over the session,
// and measures the APDUs each step costs in T=0 and T=1 behaviour.
#include <atomic>
#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "securechannel/crypto.hpp"
#include "securechannel/key_file.hpp"
#include "securechannel/terminal_se.hpp"
#include "securechannel/ts102484/session.hpp"
#include "securechannel/ts102484/steps.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/memory_transport.hpp"
#include "seuicc/tlv.hpp"
#include "seuicc/uicc.hpp"
#include "test_support.hpp"

using namespace securechannel;
using namespace securechannel::ts102484;
using base::fromHex;
using base::toHex;

namespace {

const Bytes kAtr = fromHex("3B9A96803FC7888031E073FE211382900000");
const Bytes kSedAid(seuicc::M2mSedClient::kAid.begin(), seuicc::M2mSedClient::kAid.end());
const Bytes kKmsa = fromHex("404142434445464748494A4B4C4D4E4F");

using base::concat;

Bytes ascii(std::string_view s) {
    return Bytes(s.begin(), s.end());
}

Bytes be32(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

std::uint32_t readBe32(ByteView b) {
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
}

Bytes sw(std::uint16_t value) {
    return {static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

Bytes withSw(Bytes data, std::uint16_t value) {
    data.push_back(static_cast<std::uint8_t>(value >> 8));
    data.push_back(static_cast<std::uint8_t>(value));
    return data;
}

// The card's view of a BER-TLV header (its own small parser).
std::optional<std::size_t> completeTlvSize(ByteView data) {
    if (data.size() < 2) {
        return std::nullopt;
    }
    if (data[1] < 0x80) {
        return 2 + std::size_t{data[1]};
    }
    const std::size_t n = data[1] & 0x7F;
    if (data.size() < 2 + n) {
        return std::nullopt;
    }
    std::size_t len = 0;
    for (std::size_t i = 0; i < n; ++i) {
        len = (len << 8) | data[2 + i];
    }
    return 2 + n + len;
}

std::optional<Bytes> field(const std::vector<seuicc::Tlv>& tlvs, std::uint32_t tag) {
    for (const auto& t : tlvs) {
        if (t.tag == tag) {
            return t.value;
        }
    }
    return std::nullopt;
}

// ----------------------------------------------------------------------------------------------
// The card-side simulator.

enum class Fault {
    None,
    WrongUiccSscmac,           // start: the card answers a wrong SSCMAC
    TamperResponseMac,         // next response: a MAC bit flipped
    TamperResponseCiphertext,  // next response: a ciphertext bit flipped
    ReplayResponse,            // next response: the previous one again
    OversizeResponseBlock,     // next response: the first block one byte over the container
    RejectNextCommand,         // next command: the card's MAC check fails (69 82, CSA ends)
    Expire,                    // next TRANSACT DATA: the CSA has expired (98 63)
};

struct SimOptions {
    Bytes kmsa = kKmsa;  // empty: no Kmsa personalised
    Bytes iccidRaw = seuicc::encodeIccid("8988211000000000018");
    Bytes aid = kSedAid;
    bool t0 = true;  // Le must match exactly (6Cxx without side effect), else min(Le, rest)
    std::uint8_t endpointType = 0x02;
    std::uint8_t transports = 0x01;
    std::uint8_t channelTypes = 0x04;
    std::uint8_t keyAgreements = 0x02;
    std::uint8_t maxContainer = 0xFF;
    std::size_t extraEndpoints = 0;
    std::optional<Bytes> fixedMsaId;
    std::optional<Bytes> fixedCsaId;
    std::optional<Bytes> fixedUiccNonce;
    Bytes kmr = Bytes(32, 0x6B);
};

class SimCard {
public:
    explicit SimCard(SimOptions options) : o_(std::move(options)) {}

    Fault fault = Fault::None;
    std::vector<seuicc::CommandApdu> innerReceived;

    bool msaAlive() const { return msaId_.has_value(); }
    bool csaAlive() const { return csa_.has_value(); }
    bool csaStarted() const { return csa_ && csa_->started; }
    std::size_t csasCreated() const { return csasCreated_; }

    Bytes operator()(ByteView raw) {
        const auto c = seuicc::CommandApdu::parse(raw);
        if (c.ins == 0xA4) {
            return sw(0x9000);
        }
        if (c.ins == 0x73) {
            return msc(c);
        }
        if (c.ins == 0x75) {
            return transact(c);
        }
        return sw(0x6D00);
    }

private:
    struct Csa {
        Bytes id, enc, mac, rmac;
        bool started = false;
        std::size_t container = 0;
        std::uint32_t cmdCounter = 0, rspCounter = 0;
        Bytes cmdChain = Bytes(16, 0), rspChain = Bytes(16, 0);
        Bytes in;
        int firstP2 = -1, expectP2 = -1;
        std::deque<Bytes> out;
        std::optional<Bytes> lastResponse;
    };

    // --- MANAGE SECURE CHANNEL ---

    Bytes msc(const seuicc::CommandApdu& c) {
        switch (c.p2) {
            case 0x80:
            case 0x00: {
                if (c.p2 == 0x80) {
                    mscIn_.clear();
                    mscOp_ = c.p1;
                } else if (mscIn_.empty() || mscOp_ != c.p1) {
                    return sw(0x6985);
                }
                mscIn_.insert(mscIn_.end(), c.data.begin(), c.data.end());
                const auto total = completeTlvSize(mscIn_);
                if (!total || mscIn_.size() < *total) {
                    return sw(0x63F1);
                }
                const Bytes in = std::exchange(mscIn_, {});
                if (in[0] != 0x73 || in.size() != *total) {
                    return sw(0x6A80);
                }
                std::vector<seuicc::Tlv> tlvs;
                try {
                    tlvs = seuicc::parseTlvs(seuicc::parseTlvs(in).at(0).value);
                } catch (const seuicc::TlvError&) {
                    return sw(0x6A80);
                }
                Bytes response;
                const std::uint16_t status = process(c.p1, tlvs, response);
                if (status != 0x9000) {
                    return sw(status);
                }
                if (response.empty()) {
                    return sw(0x9000);
                }
                mscOut_ = seuicc::encodeTlv(0x73, response);
                outOp_ = c.p1;
                return sw(0x62F3);
            }
            case 0xA0:
                if (c.p1 == 0x00) {
                    mscOut_ = seuicc::encodeTlv(0x73, endpoints());
                    outOp_ = 0x00;
                } else if (!mscOut_ || outOp_ != c.p1) {
                    return sw(0x6985);
                }
                outOffset_ = 0;  // the first block again: idempotent
                return responseChunk(c.le.value_or(256));
            case 0x20:
                if (!mscOut_ || outOp_ != c.p1 || outOffset_ == 0) {
                    return sw(0x6985);
                }
                return responseChunk(c.le.value_or(256));
            default:
                return sw(0x6A86);
        }
    }

    Bytes responseChunk(std::uint32_t le) {
        const std::size_t rest = mscOut_->size() - outOffset_;
        if (le > rest && (o_.t0 || rest == 0)) {
            return sw(static_cast<std::uint16_t>(0x6C00 | (rest & 0xFF)));
        }
        const std::size_t n = std::min<std::size_t>(le, rest);
        Bytes out(mscOut_->begin() + static_cast<std::ptrdiff_t>(outOffset_),
                  mscOut_->begin() + static_cast<std::ptrdiff_t>(outOffset_ + n));
        outOffset_ += n;
        if (outOffset_ < mscOut_->size()) {
            return withSw(std::move(out), 0x62F1);
        }
        mscOut_.reset();
        return withSw(std::move(out), 0x9000);
    }

    Bytes endpoints() const {
        Bytes out = seuicc::encodeTlv(0x83, o_.iccidRaw);
        for (std::size_t i = 0; i < o_.extraEndpoints; ++i) {
            const Bytes other = concat({fromHex("02 01 04 02 FF 0000 A000000087100200"),
                                        be32(static_cast<std::uint32_t>(i))});
            const Bytes tlv = seuicc::encodeTlv(0x82, other);
            out.insert(out.end(), tlv.begin(), tlv.end());
        }
        const Bytes mine =
            seuicc::encodeTlv(0x82, concat({Bytes{o_.endpointType, o_.transports, o_.channelTypes,
                                                  o_.keyAgreements, o_.maxContainer, 0x00, 0x00},
                                            o_.aid}));
        out.insert(out.end(), mine.begin(), mine.end());
        return out;
    }

    std::uint16_t process(std::uint8_t op, const std::vector<seuicc::Tlv>& tlvs, Bytes& response) {
        switch (op) {
            case 0x01:
                return masterSa(tlvs, response);
            case 0x02:
                return connectionSa(tlvs, response);
            case 0x03:
                return start(tlvs, response);
            case 0x04:
                return terminate(tlvs);
            default:
                return 0x6A86;
        }
    }

    std::uint16_t masterSa(const std::vector<seuicc::Tlv>& tlvs, Bytes& response) {
        const auto tid = field(tlvs, 0x80);
        const auto taid = field(tlvs, 0x81);
        if (!tid || tid->empty() || tid->size() > 32 || !taid || taid->empty() ||
            taid->size() > 32 || field(tlvs, 0x83) != o_.iccidRaw || field(tlvs, 0x84) != o_.aid) {
            return 0x6A80;
        }
        terminalId_ = std::string(tid->begin(), tid->end());
        msaId_ = o_.fixedMsaId ? *o_.fixedMsaId : randomBytes(16);
        csa_.reset();
        const std::uint8_t agreement = o_.kmsa.empty() ? 0x02 : 0x82;
        response =
            concat({seuicc::encodeTlv(0x87, Bytes{agreement}), seuicc::encodeTlv(0x88, *msaId_)});
        return 0x9000;
    }

    Bytes kdf(std::string_view label, ByteView context) const {
        return aesCmac(o_.kmsa, concat({be32(1), ascii(label), Bytes{0x00}, context, be32(128)}));
    }

    std::uint16_t connectionSa(const std::vector<seuicc::Tlv>& tlvs, Bytes& response) {
        if (!msaId_ || field(tlvs, 0x88) != *msaId_) {
            return 0x6A88;
        }
        const auto tn = field(tlvs, 0x8A);
        if (!tn || tn->size() != 16) {
            return 0x6A80;
        }
        if (o_.kmsa.empty()) {
            return 0x6985;
        }
        Csa csa;
        csa.id = o_.fixedCsaId ? *o_.fixedCsaId : randomBytes(16);
        const Bytes un = o_.fixedUiccNonce ? *o_.fixedUiccNonce : randomBytes(16);
        const Bytes context = concat({*tn, un, csa.id});
        csa.enc = kdf("S-ENC", context);
        csa.mac = kdf("S-MAC", context);
        csa.rmac = kdf("S-RMAC", context);
        response = concat({seuicc::encodeTlv(0x8B, csa.id), seuicc::encodeTlv(0x8C, un)});
        csa_ = std::move(csa);
        ++csasCreated_;
        return 0x9000;
    }

    std::uint16_t start(const std::vector<seuicc::Tlv>& tlvs, Bytes& response) {
        if (!csa_ || field(tlvs, 0x8B) != csa_->id) {
            return 0x6A88;
        }
        const auto alg = field(tlvs, 0x89);
        const auto size = field(tlvs, 0x8E);
        if (alg != fromHex("0404") || !size || size->size() != 1 || (*size)[0] < 32 ||
            (*size)[0] > o_.maxContainer) {
            return 0x6A80;
        }
        const Bytes expected = aesCmac(csa_->mac, concat({ascii("T2U"), csa_->id, *alg, *size}));
        if (field(tlvs, 0x8D) != expected) {
            csa_.reset();
            return 0x9862;
        }
        csa_->started = true;
        csa_->container = (*size)[0];
        Bytes mine = aesCmac(csa_->mac, concat({ascii("U2T"), csa_->id, *alg, *size}));
        if (std::exchange(fault, fault == Fault::WrongUiccSscmac ? Fault::None : fault) ==
            Fault::WrongUiccSscmac) {
            mine[5] ^= 0x01;
        }
        response = seuicc::encodeTlv(0x8D, mine);
        return 0x9000;
    }

    std::uint16_t terminate(const std::vector<seuicc::Tlv>& tlvs) {
        if (const auto c = field(tlvs, 0x8B)) {
            if (c->size() != 32 || !csa_ ||
                !std::equal(csa_->id.begin(), csa_->id.end(), c->begin())) {
                return 0x6A88;
            }
            if (aesCmac(csa_->mac, concat({ascii("TERM"), csa_->id})) !=
                Bytes(c->begin() + 16, c->end())) {
                return 0x9862;
            }
            csa_.reset();
            return 0x9000;
        }
        if (const auto m = field(tlvs, 0x88)) {
            if (m->size() != 32 || !msaId_ ||
                !std::equal(msaId_->begin(), msaId_->end(), m->begin())) {
                return 0x6A88;
            }
            if (aesCmac(o_.kmsa, concat({ascii("TERM"), *msaId_})) !=
                Bytes(m->begin() + 16, m->end())) {
                return 0x9862;
            }
            msaId_.reset();
            csa_.reset();
            return 0x9000;
        }
        return 0x6A80;
    }

    // --- TRANSACT DATA ---

    Bytes endCsa() {
        csa_.reset();
        return sw(0x6982);
    }

    Bytes transact(const seuicc::CommandApdu& c) {
        if (fault == Fault::Expire) {
            fault = Fault::None;
            csa_.reset();
        }
        if (!csa_ || !csa_->started) {
            return sw(0x9863);
        }
        Csa& s = *csa_;
        if (c.p1 == 0x02) {
            s.in.clear();
            s.out.clear();
            return sw(0x9000);
        }
        if (c.p1 == 0x00) {
            if (s.out.empty()) {
                return endCsa();
            }
            const std::size_t n = s.out.front().size();
            const std::uint32_t le = c.le.value_or(0);
            if (le < n || (o_.t0 && le != n)) {
                return sw(static_cast<std::uint16_t>(0x6C00 | (n & 0xFF)));
            }
            Bytes block = std::move(s.out.front());
            s.out.pop_front();
            return withSw(
                std::move(block),
                s.out.empty() ? 0x9000 : static_cast<std::uint16_t>(0x9200 | s.out.size()));
        }
        if (c.p1 != 0x04 || c.data.empty() || c.data.size() > s.container) {
            return endCsa();
        }
        if (s.in.empty()) {
            s.firstP2 = c.p2;
            s.out.clear();
        } else if (c.p2 != s.expectP2) {
            return endCsa();
        }
        s.in.insert(s.in.end(), c.data.begin(), c.data.end());
        s.expectP2 = c.p2 - 1;
        if (c.p2 > 0) {
            return sw(0x9200);
        }
        const Bytes in = std::exchange(s.in, {});
        const auto plaintext = open(s, in);
        if (!plaintext) {
            return endCsa();
        }
        seuicc::CommandApdu inner;
        try {
            inner = seuicc::CommandApdu::parse(*plaintext);
        } catch (const seuicc::Error&) {
            return endCsa();
        }
        innerReceived.push_back(inner);
        const Bytes answer = app(inner).encode();
        seal(s, answer);
        return sw(static_cast<std::uint16_t>(0x9200 | s.out.size()));
    }

    std::optional<Bytes> open(Csa& s, const Bytes& in) {
        if (std::exchange(fault, fault == Fault::RejectNextCommand ? Fault::None : fault) ==
            Fault::RejectNextCommand) {
            return std::nullopt;
        }
        const auto total = completeTlvSize(in);
        if (in.empty() || in[0] != 0x86 || !total || *total != in.size()) {
            return std::nullopt;
        }
        const std::size_t lengthBytes = in[1] < 0x80 ? 0 : (in[1] & 0x7F);
        const ByteView value = ByteView(in).subspan(2 + lengthBytes);
        if (value.size() < 28 || (value.size() - 12) % 16 != 0) {
            return std::nullopt;
        }
        const std::uint32_t counter = readBe32(value);
        const ByteView ct = value.subspan(4, value.size() - 12);
        if (counter <= s.cmdCounter) {
            return std::nullopt;
        }
        const Bytes mac =
            aesCmac(s.mac, concat({s.cmdChain, Bytes{0x04, static_cast<std::uint8_t>(s.firstP2)},
                                   value.first(4), ct}));
        if (!constantTimeEqual(ByteView(mac).first(8), value.last(8))) {
            return std::nullopt;
        }
        const Bytes iv = aesEcbEncryptBlock(s.enc, concat({Bytes(12, 0), value.first(4)}));
        const SecretBuffer padded = aesCbcDecrypt(s.enc, iv, ct);
        Bytes p(padded.view().begin(), padded.view().end());
        while (!p.empty() && p.back() == 0x00) {
            p.pop_back();
        }
        if (p.empty() || p.back() != 0x80 || padded.size() - p.size() >= 16) {
            return std::nullopt;
        }
        p.pop_back();
        s.cmdCounter = counter;
        s.cmdChain = mac;
        return p;
    }

    void seal(Csa& s, const Bytes& plaintext) {
        const Fault f = std::exchange(fault, Fault::None);
        if (f == Fault::ReplayResponse && s.lastResponse) {
            cut(s, *s.lastResponse, s.container);
            return;
        }
        const std::uint32_t counter = ++s.rspCounter;
        Bytes padded = plaintext;
        padded.push_back(0x80);
        while (padded.size() % 16 != 0) {
            padded.push_back(0x00);
        }
        Bytes ivIn = concat({Bytes(12, 0), be32(counter)});
        ivIn[0] |= 0x80;
        const Bytes iv = aesEcbEncryptBlock(s.enc, ivIn);
        Bytes ct = aesCbcEncrypt(s.enc, iv, padded);
        const std::size_t valueSize = 4 + ct.size() + 8;
        const std::size_t encodedSize = 1 +
                                        (valueSize < 0x80    ? 1
                                         : valueSize <= 0xFF ? 2
                                                             : 3) +
                                        valueSize;
        const std::size_t blocks = (encodedSize + s.container - 1) / s.container;
        const Bytes mac =
            aesCmac(s.rmac, concat({s.rspChain, Bytes{0x00, static_cast<std::uint8_t>(blocks - 1)},
                                    be32(counter), ct}));
        s.rspChain = mac;
        Bytes value = concat({be32(counter), ct, ByteView(mac).first(8)});
        s.lastResponse = seuicc::encodeTlv(0x86, value);
        if (f == Fault::TamperResponseMac) {
            value.back() ^= 0x01;
        } else if (f == Fault::TamperResponseCiphertext) {
            value[6] ^= 0x01;
        }
        cut(s, seuicc::encodeTlv(0x86, value),
            f == Fault::OversizeResponseBlock ? s.container + 1 : s.container);
    }

    static void cut(Csa& s, const Bytes& encoded, std::size_t block) {
        s.out.clear();
        for (std::size_t off = 0; off < encoded.size(); off += block) {
            const std::size_t n = std::min(block, encoded.size() - off);
            s.out.emplace_back(encoded.begin() + static_cast<std::ptrdiff_t>(off),
                               encoded.begin() + static_cast<std::ptrdiff_t>(off + n));
        }
    }

    // The inner application: the operational M2M-SED commands this test needs, and an echo.
    seuicc::ResponseApdu app(const seuicc::CommandApdu& c) const {
        if (c.cla == 0x80 && c.ins == 0xEE) {
            return {c.data, 0x9000};
        }
        if (c.cla == 0x80 && c.ins == 0x40) {
            if (c.p1 != 0x01) {
                return {{}, 0x6A88};
            }
            const SecretBuffer premaster = tlsPskPremaster(o_.kmr);
            const SecretBuffer ms =
                tls12Prf(premaster.view(),
                         c.p2 == 0x00 ? "master secret" : "extended master secret", c.data, 48);
            return {Bytes(ms.view().begin(), ms.view().end()), 0x9000};
        }
        return {{}, 0x6D00};
    }

    SimOptions o_;
    Bytes mscIn_;
    std::uint8_t mscOp_ = 0;
    std::optional<Bytes> mscOut_;
    std::uint8_t outOp_ = 0;
    std::size_t outOffset_ = 0;
    std::optional<Bytes> msaId_;
    std::string terminalId_;
    std::optional<Csa> csa_;
    std::size_t csasCreated_ = 0;
};

// A simulator on a MemoryTransport, a channel, a transaction, and a T-SED with a key file.
struct Rig {
    explicit Rig(SimOptions options = {}, Bytes terminalKmsa = kKmsa, SessionPolicy policy = {})
        : sim(std::move(options)),
          transport(kAtr, [this](ByteView c) { return sim(c); }),
          channel(transport),
          tx(transport) {
        writeKeyFile(dir / "kmsa.key", terminalKmsa);
        tsed = std::make_unique<TerminalSecuredEnvironment>(TerminalSecuredEnvironment::Options{
            dir / "kmsa.key", "test-terminal", "m2m-agent", std::move(policy)});
    }

    std::unique_ptr<SecureChannelSession> open() {
        return tsed->openSession(tx, channel, seuicc::encodeIccid("8988211000000000018"), kSedAid);
    }

    seuicc::ResponseApdu echo(SecureChannelSession& s, const Bytes& data) {
        return s.transmit(tx, seuicc::CommandApdu{0x80, 0xEE, 0x00, 0x00, data, 256});
    }

    sctest::TempDir dir;
    SimCard sim;
    seuicc::MemoryTransport transport;
    seuicc::CardChannel channel;
    seuicc::Transaction tx;
    std::unique_ptr<TerminalSecuredEnvironment> tsed;
};

Bytes pattern(std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<std::uint8_t>(i * 7 + 1);
    }
    return out;
}

std::atomic<int> gWiped{0};
void countWipe(const std::uint8_t* storage, std::size_t size) {
    bool zero = true;
    for (std::size_t i = 0; i < size; ++i) {
        zero = zero && storage[i] == 0;
    }
    if (zero) {
        ++gWiped;
    }
}

}  // namespace

TEST_CASE("Secure channel setup and messages: the APDUs each step costs", "[ts102484][session]") {
    const bool t0 = GENERATE(true, false);
    INFO((t0 ? "T=0 behaviour (exact Le)" : "T=1 behaviour (min(Le, rest))"));
    SimOptions options;
    options.t0 = t0;
    Rig rig(options);
    const auto session = rig.open();
    REQUIRE(session->state() == SessionState::Open);
    CHECK(session->containerSize() == 255);
    CHECK(rig.sim.csaStarted());

    const SetupCost& cost = session->setupCost();
    CHECK(cost.retrieveEndpoints.apdus == 1u);  // A0 with the predicted Le: no 6Cxx under T=0
    CHECK(cost.masterSa.apdus == 2u);           // command block + exact A0
    CHECK(cost.connectionSa.apdus == 2u);
    CHECK(cost.start.apdus == 2u);
    CHECK(cost.total().apdus == 7u);
    CHECK(cost.total().bytesSent > 0);
    CHECK(rig.channel.counters().apdus == cost.total().apdus);

    // One-block messages both ways: one command block, one response block (+ 6Cxx under T=0,
    // since the echo's inner Le 00 says only "up to 256": the response's length is unknown).
    for (const std::size_t size :
         {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{100}, std::size_t{200}}) {
        INFO("echo of " << size << " bytes");
        const auto r = rig.echo(*session, pattern(size));
        CHECK(r.sw == 0x9000);
        CHECK(r.data == pattern(size));
        CHECK(session->messageCost().last.apdus == (t0 ? 3u : 2u));
    }
    // 255 bytes: 261-byte inner APDU, 288-byte TLV: two blocks each way; the second response
    // block's length is known from the first, so no 6Cxx.
    const auto big = rig.echo(*session, pattern(255));
    CHECK(big.data == pattern(255));
    CHECK(session->messageCost().last.apdus == 4u);
    CHECK(session->messageCost().messages == 6u);
    CHECK(rig.sim.innerReceived.size() == 6u);

    session->terminate(rig.tx);
    CHECK(session->state() == SessionState::Terminated);
    CHECK_FALSE(rig.sim.csaAlive());
    CHECK(rig.sim.msaAlive());
    CHECK_THROWS_AS(rig.echo(*session, pattern(1)), ChannelBroken);
}

TEST_CASE("Small containers: many TRANSACT DATA blocks, 92 XX both ways", "[ts102484][session]") {
    SimOptions options;
    options.maxContainer = 64;  // the endpoint caps the terminal's 255
    SessionPolicy policy;
    policy.containerSize = 255;
    Rig rig(options, kKmsa, policy);
    auto session = rig.open();
    CHECK(session->containerSize() == 64);

    const std::size_t before = rig.transport.sent().size();
    const auto r = rig.echo(*session, pattern(255));
    CHECK(r.data == pattern(255));
    // 288-byte TLVs both ways (261 and 257 plaintext bytes): 5 blocks of <= 64 each way.
    const auto& sent = rig.transport.sent();
    REQUIRE(sent.size() - before == 10u);
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(toHex(sent[before + i]).substr(0, 8) ==
              "007504" + toHex(Bytes{static_cast<std::uint8_t>(4 - i)}));
    }
    for (std::size_t i = 5; i < 10; ++i) {
        CHECK(toHex(sent[before + i]).substr(0, 8) == "00750000");
    }
    CHECK(toHex(sent[before + 9]).substr(8) == "20");  // the last one: 288 - 256 = 32, known

    SimOptions tiny;
    tiny.maxContainer = 32;
    Rig rig32(tiny);
    auto s32 = rig32.open();
    CHECK(s32->containerSize() == 32);
    for (const std::size_t size :
         {std::size_t{0}, std::size_t{31}, std::size_t{128}, std::size_t{255}}) {
        CHECK(rig32.echo(*s32, pattern(size)).data == pattern(size));
    }
}

TEST_CASE("MSC chaining against the simulator: 63F1 and 62F1", "[ts102484][session][codec]") {
    SimOptions options;
    options.extraEndpoints = 20;  // 21 endpoints: a retrieve-endpoints response over 256 bytes
    options.t0 = false;
    Rig rig(options);

    const UiccEndpoints endpoints = retrieveEndpoints(rig.tx, rig.channel);
    CHECK(endpoints.endpoints.size() == 21u);
    REQUIRE(endpoints.uiccId);
    CHECK(*endpoints.uiccId == seuicc::encodeIccid("8988211000000000018"));
    CHECK(usableEndpoint(endpoints, kSedAid).maxContainerSize == 255);
    CHECK(rig.channel.counters().apdus == 2u);  // A0 (256 bytes, 62F1), 20 (the rest, 9000)

    Bytes payload;
    for (const auto& [tag, value] : std::vector<std::pair<std::uint32_t, Bytes>>{
             {0x80, ascii(std::string(32, 't'))},
             {0x81, ascii("m2m-agent")},
             {0x83, seuicc::encodeIccid("8988211000000000018")},
             {0x84, kSedAid}}) {
        const Bytes tlv = seuicc::encodeTlv(tag, value);
        payload.insert(payload.end(), tlv.begin(), tlv.end());
    }
    const std::size_t before = rig.transport.sent().size();
    const MscResult r = manageSecureChannel(rig.tx, rig.channel, MscOperation::EstablishMasterSa,
                                            ByteView(payload), std::nullopt, 16);
    REQUIRE(r.ok());
    REQUIRE(r.response);
    CHECK(toHex(ByteView(*r.response).first(3)) == "870182");
    // 73 43 + 67 bytes = 69 bytes in blocks of 16: 5 command blocks (63F1 x4, 62F3), then A0.
    CHECK(rig.transport.sent().size() - before == 6u);
    CHECK(rig.sim.msaAlive());
}

TEST_CASE("Known answers on the wire: session keys and SSCMAC from the vectors",
          "[ts102484][session][vectors]") {
    const auto doc = sctest::loadVectors("ts102484-profile-v1.json");
    SimOptions options;
    options.kmsa = fromHex(doc["kmsa"].get<std::string>());
    options.fixedMsaId = fromHex(doc["msa_id"].get<std::string>());
    options.fixedCsaId = fromHex(doc["csa_id"].get<std::string>());
    options.fixedUiccNonce = fromHex(doc["uicc_nonce"].get<std::string>());
    Rig rig(options, options.kmsa);

    const MasterSa msa = establishMasterSa(rig.tx, rig.channel, {"t", "m2m-agent"},
                                           seuicc::encodeIccid("8988211000000000018"), kSedAid);
    CHECK(msa.msaId == *options.fixedMsaId);
    CHECK(msa.keyAgreement == 0x82);
    const ConnectionSa csa = establishConnectionSa(
        rig.tx, rig.channel, msa.msaId, fromHex(doc["terminal_nonce"].get<std::string>()));
    const auto keys =
        profile::v1::deriveSessionKeys(options.kmsa, csa.terminalNonce, csa.uiccNonce, csa.csaId);
    CHECK(sctest::toHex(keys.mac.view()) == doc["session_keys"]["s_mac"].get<std::string>());
    startSecureChannel(rig.tx, rig.channel, keys, csa.csaId, 255);
    CHECK(rig.sim.csaStarted());
    const auto& sent = rig.transport.sent();
    const std::string startCommand = toHex(sent[sent.size() - 2]);  // then the A0 request
    const std::string sscmac = doc["sscmac"][0]["terminal"].get<std::string>();
    CHECK(startCommand.find(toHex(fromHex(sscmac))) != std::string::npos);
    CHECK(startCommand.substr(0, 8) == "00730380");

    terminateMasterSa(rig.tx, rig.channel, options.kmsa, msa.msaId);
    CHECK(toHex(rig.transport.sent().back())
              .find(toHex(fromHex(doc["terminate"]["msa_mac"].get<std::string>()))) !=
          std::string::npos);
    CHECK_FALSE(rig.sim.msaAlive());
}

TEST_CASE("After the card's 69 82 the session is dead until a new connection SA",
          "[ts102484][session][negative]") {
    Rig rig;
    auto session = rig.open();
    CHECK(rig.echo(*session, pattern(10)).sw == 0x9000);

    rig.sim.fault = Fault::RejectNextCommand;
    try {
        rig.echo(*session, pattern(10));
        FAIL("accepted");
    } catch (const ChannelBroken& e) {
        CHECK(e.sw() == std::optional<std::uint16_t>(0x6982));
    }
    CHECK(session->state() == SessionState::Broken);
    CHECK_FALSE(rig.sim.csaAlive());

    const std::size_t sent = rig.transport.sent().size();
    CHECK_THROWS_AS(rig.echo(*session, pattern(10)), ChannelBroken);
    CHECK_THROWS_AS(rig.echo(*session, pattern(10)), ChannelBroken);
    CHECK(rig.transport.sent().size() == sent);  // nothing reaches the card any more

    session->reconnect(rig.tx);
    CHECK(session->state() == SessionState::Open);
    CHECK(rig.echo(*session, pattern(10)).data == pattern(10));
    CHECK(session->messageCost().messages == 1u);
    CHECK(session->setupCost().connectionSa.apdus == 2u);
}

TEST_CASE("A response that fails verification kills the session", "[ts102484][session][negative]") {
    const Fault fault = GENERATE(Fault::TamperResponseMac, Fault::TamperResponseCiphertext,
                                 Fault::ReplayResponse, Fault::OversizeResponseBlock);
    SimOptions options;
    options.maxContainer = 64;
    Rig rig(options);
    auto session = rig.open();
    // Two-block responses (126 bytes), and one the replay can reuse.
    CHECK(rig.echo(*session, pattern(100)).sw == 0x9000);

    rig.sim.fault = fault;
    CHECK_THROWS_AS(rig.echo(*session, pattern(100)), ChannelBroken);
    CHECK(session->state() == SessionState::Broken);
    const std::size_t sent = rig.transport.sent().size();
    CHECK_THROWS_AS(rig.echo(*session, pattern(100)), ChannelBroken);
    CHECK(rig.transport.sent().size() == sent);
    session->reconnect(rig.tx);
    CHECK(rig.echo(*session, pattern(100)).data == pattern(100));
}

TEST_CASE("Session lifetime: age, message count, and the card's 98 63",
          "[ts102484][session][expiry]") {
    auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(100);
    SessionPolicy policy;
    policy.maxAge = std::chrono::seconds(3600);
    policy.maxMessages = 3;
    policy.clock = [&now] { return now; };
    Rig rig(SimOptions{}, kKmsa, policy);
    auto session = rig.open();

    SECTION("too old") {
        now += std::chrono::seconds(3600);
        CHECK(rig.echo(*session, pattern(1)).sw == 0x9000);  // exactly the max age: still fine
        now += std::chrono::seconds(1);
        CHECK(session->state() == SessionState::Expired);
        const std::size_t sent = rig.transport.sent().size();
        CHECK_THROWS_AS(rig.echo(*session, pattern(1)), SessionExpired);
        CHECK_THROWS_AS(rig.echo(*session, pattern(1)), SessionExpired);
        CHECK(rig.transport.sent().size() == sent);
        session->reconnect(rig.tx);
        CHECK(rig.echo(*session, pattern(1)).sw == 0x9000);
    }
    SECTION("too many messages") {
        for (int i = 0; i < 3; ++i) {
            CHECK(rig.echo(*session, pattern(1)).sw == 0x9000);
        }
        CHECK_THROWS_AS(rig.echo(*session, pattern(1)), SessionExpired);
        session->reconnect(rig.tx);
        CHECK(rig.echo(*session, pattern(1)).sw == 0x9000);
    }
    SECTION("the card says the CSA expired") {
        rig.sim.fault = Fault::Expire;
        try {
            rig.echo(*session, pattern(1));
            FAIL("accepted");
        } catch (const SessionExpired& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x9863));
        }
        CHECK(session->state() == SessionState::Expired);
        CHECK_THROWS_AS(rig.echo(*session, pattern(1)), SessionExpired);
        session->reconnect(rig.tx);
        CHECK(rig.echo(*session, pattern(1)).sw == 0x9000);
    }
}

TEST_CASE("Authentication: a wrong UICC SSCMAC, and a wrong Kmsa (the card's 98 62)",
          "[ts102484][session][negative]") {
    SECTION("the UICC's SSCMAC is wrong") {
        Rig rig;
        rig.sim.fault = Fault::WrongUiccSscmac;
        try {
            (void)rig.open();
            FAIL("opened");
        } catch (const AuthenticationFailed& e) {
            CHECK_FALSE(e.sw());
        }
    }
    SECTION("the terminal's Kmsa differs from the card's") {
        Rig rig(SimOptions{}, fromHex("00112233445566778899AABBCCDDEEFF"));
        try {
            (void)rig.open();
            FAIL("opened");
        } catch (const AuthenticationFailed& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x9862));
        }
        CHECK_FALSE(rig.sim.csaAlive());  // the card ended the CSA
        CHECK(toHex(rig.tsed->kmsaCheckValue()) != toHex(keyCheckValue(kKmsa)));
    }
    SECTION("a wrong terminate MAC: 98 62, nothing ends") {
        Rig rig;
        auto session = rig.open();
        const auto otherKeys = profile::v1::deriveSessionKeys(kKmsa, randomBytes(16),
                                                              randomBytes(16), session->csaId());
        CHECK_THROWS_AS(terminateConnectionSa(rig.tx, rig.channel, otherKeys, session->csaId()),
                        AuthenticationFailed);
        CHECK(rig.sim.csaAlive());
        CHECK(rig.echo(*session, pattern(3)).sw == 0x9000);
    }
}

TEST_CASE("Endpoints and key agreements the terminal refuses", "[ts102484][session][negative]") {
    SECTION("no APDU secure channel") {
        SimOptions o;
        o.channelTypes = 0x01;
        Rig rig(o);
        CHECK_THROWS_AS(rig.open(), EndpointUnsupported);
    }
    SECTION("no strong PSK proprietary") {
        SimOptions o;
        o.keyAgreements = 0x01;
        Rig rig(o);
        CHECK_THROWS_AS(rig.open(), EndpointUnsupported);
    }
    SECTION("no Kmsa in the card: '87' without 'key exists'") {
        SimOptions o;
        o.kmsa.clear();
        Rig rig(o);
        CHECK_THROWS_AS(rig.open(), EndpointUnsupported);
    }
    SECTION("UICC_ID that is not the card's ICCID: 6A80") {
        Rig rig;
        try {
            (void)rig.tsed->openSession(rig.tx, rig.channel,
                                        seuicc::encodeIccid("8988211000000000026"), kSedAid);
            FAIL("opened");
        } catch (const ProtocolError&) {
            // the endpoint list names the card's real ICCID: caught before the master SA
        }
        try {
            (void)establishMasterSa(rig.tx, rig.channel, rig.tsed->identity(),
                                    seuicc::encodeIccid("8988211000000000026"), kSedAid);
            FAIL("established");
        } catch (const CardRefused& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x6A80));
        }
    }
    SECTION("an unknown MSA_ID: 6A88") {
        Rig rig;
        try {
            (void)establishConnectionSa(rig.tx, rig.channel, randomBytes(16));
            FAIL("established");
        } catch (const CardRefused& e) {
            CHECK(e.sw() == std::optional<std::uint16_t>(0x6A88));
        }
    }
}

TEST_CASE("Terminating the master SA ends the session for good", "[ts102484][session]") {
    Rig rig;
    auto session = rig.open();
    session->terminateMasterSa(rig.tx);
    CHECK_FALSE(rig.sim.msaAlive());
    CHECK_FALSE(rig.sim.csaAlive());
    CHECK(session->state() == SessionState::Terminated);
    CHECK_THROWS_AS(session->reconnect(rig.tx), ChannelBroken);
    CHECK_THROWS_AS(rig.echo(*session, pattern(1)), ChannelBroken);
}

TEST_CASE("Session keys are wiped on death, terminate and destruction", "[ts102484][session]") {
    Rig rig;
    base::testing::setWipeObserver(&countWipe);
    {
        auto session = rig.open();
        gWiped = 0;
        rig.sim.fault = Fault::RejectNextCommand;
        CHECK_THROWS_AS(rig.echo(*session, pattern(1)), ChannelBroken);
        CHECK(gWiped.load() >= 3);  // S-ENC, S-MAC, S-RMAC
        session->reconnect(rig.tx);
        gWiped = 0;
        session->terminate(rig.tx);
        CHECK(gWiped.load() >= 3);
        gWiped = 0;
    }
    CHECK(gWiped.load() >= 1);  // the session's copy of Kmsa
    base::testing::setWipeObserver(nullptr);
}

TEST_CASE("Inner APDUs the channel refuses leave the session alive", "[ts102484][session]") {
    Rig rig;
    auto session = rig.open();
    seuicc::CommandApdu extended{0x80, 0xEE, 0, 0, pattern(300), std::nullopt};
    CHECK_THROWS_AS(session->transmit(rig.tx, extended), SecureChannelError);
    CHECK(session->state() == SessionState::Open);
    CHECK(rig.echo(*session, pattern(2)).sw == 0x9000);
    // An inner error status word is an answer, not a channel failure.
    const auto r = session->transmit(rig.tx, seuicc::CommandApdu{0x80, 0x99, 0, 0, {}, {}});
    CHECK(r.sw == 0x6D00);
    CHECK(session->state() == SessionState::Open);
}

TEST_CASE("M2mSedClient operational commands through the secure channel",
          "[ts102484][session][m2m-sed]") {
    SimOptions options;
    Rig rig(options);
    seuicc::M2mSedClient client(rig.channel);
    client.select(rig.tx);
    auto session = rig.open();

    Bytes seed(64);
    for (std::size_t i = 0; i < seed.size(); ++i) {
        seed[i] = static_cast<std::uint8_t>(0x40 + i);
    }
    const base::SecretBuffer ms = client.computeMasterSecret(rig.tx, *session, seuicc::KeySlot::Kmr,
                                                             seuicc::MasterSecretMode::Plain, seed);
    const SecretBuffer expected =
        tls12Prf(tlsPskPremaster(options.kmr).view(), "master secret", seed, 48);
    CHECK(expected.equals(ms.view()));
    // T=0: the command block, then the response block with the Le the inner Le (48) implies.
    CHECK(session->messageCost().last.apdus == 2u);

    // The seed and the master secret never cross the interface in clear.
    for (const Bytes& apdu : rig.transport.sent()) {
        CHECK(toHex(apdu).find(toHex(ByteView(seed).first(16))) == std::string::npos);
    }
    CHECK_THROWS_AS(client.computeMasterSecret(rig.tx, *session, seuicc::KeySlot::Kmc,
                                               seuicc::MasterSecretMode::Plain, seed),
                    seuicc::SedKeyMissing);
    CHECK(session->state() == SessionState::Open);
    REQUIRE(rig.sim.innerReceived.size() == 2u);
    CHECK(toHex(rig.sim.innerReceived[0].encode()) == "8040010040" + toHex(seed) + "30");
}

TEST_CASE("A session on a logical channel codes the channel in every CLA", "[ts102484][session]") {
    Rig rig;
    seuicc::CardChannel channel1(rig.transport, 1);
    auto session = rig.tsed->openSession(rig.tx, channel1,
                                         seuicc::encodeIccid("8988211000000000018"), kSedAid);
    CHECK(rig.echo(*session, pattern(4)).sw == 0x9000);
    for (const Bytes& apdu : rig.transport.sent()) {
        CHECK(apdu[0] == 0x01);
    }
}

TEST_CASE("T-SED: identity defaults and the key file rules", "[ts102484][tsed]") {
    sctest::TempDir dir;
    writeKeyFile(dir / "kmsa.key", kKmsa);
    TerminalSecuredEnvironment tsed({dir / "kmsa.key", "", kDefaultTerminalAppliId, {}});
    CHECK(tsed.identity().terminalId == defaultTerminalId());
    CHECK_FALSE(tsed.identity().terminalId.empty());
    CHECK(tsed.identity().terminalId.size() <= 32);
    CHECK(tsed.identity().terminalAppliId == "m2m-agent");
    CHECK(tsed.kmsaCheckValue() == keyCheckValue(kKmsa));
    CHECK(tsed.policy().maxMessages == 10000u);
    CHECK(tsed.policy().maxAge == std::chrono::seconds(3600));

    sctest::writeFile(dir / "open.key", std::string_view("404142434445464748494a4b4c4d4e4f\n"),
                      0644);
    CHECK_THROWS_AS(TerminalSecuredEnvironment({dir / "open.key", "t", "a", {}}), KeyFileError);
    sctest::writeFile(dir / "short.key", std::string_view("4041424344454647\n"), 0600);
    CHECK_THROWS_AS(TerminalSecuredEnvironment({dir / "short.key", "t", "a", {}}), KeyFileError);
    CHECK_THROWS_AS(TerminalSecuredEnvironment({dir / "kmsa.key", std::string(33, 'x'), "a", {}}),
                    std::invalid_argument);
}
