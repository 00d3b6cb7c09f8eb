// The card side of the TS 102 484 endpoint tests, written from se-uicc/applet/M2M-SED.md §5-§7
// (MANAGE SECURE CHANNEL with chaining, TRANSACT DATA with 92 XX, the profile v1 cryptography
// redone with the crypto primitives, not with profile::v1), answering on a MemoryTransport in T=0
// or T=1 behaviour, with faults to inject; and the Rig that puts a T-SED in front of it.
#pragma once

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
#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/memory_transport.hpp"
#include "seuicc/tlv.hpp"
#include "seuicc/uicc.hpp"
#include "test_support.hpp"

namespace sctest::sim {

using namespace securechannel;
using namespace securechannel::ts102484;
using base::fromHex;
using base::toHex;

inline const Bytes kAtr = fromHex("3B9A96803FC7888031E073FE211382900000");
inline const Bytes kSedAid(seuicc::M2mSedClient::kAid.begin(), seuicc::M2mSedClient::kAid.end());
inline const Bytes kKmsa = fromHex("404142434445464748494A4B4C4D4E4F");

using base::concat;

inline Bytes ascii(std::string_view s) {
    return Bytes(s.begin(), s.end());
}

inline Bytes be32(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

inline std::uint32_t readBe32(ByteView b) {
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
}

inline Bytes sw(std::uint16_t value) {
    return {static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

inline Bytes withSw(Bytes data, std::uint16_t value) {
    data.push_back(static_cast<std::uint8_t>(value >> 8));
    data.push_back(static_cast<std::uint8_t>(value));
    return data;
}

// The card's view of a BER-TLV header (its own small parser).
inline std::optional<std::size_t> completeTlvSize(ByteView data) {
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

inline std::optional<Bytes> field(const std::vector<seuicc::Tlv>& tlvs, std::uint32_t tag) {
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
    bool endpointsCarryUiccId = true;  // '83' in the endpoints response
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
    std::size_t masterSasCreated() const { return masterSasCreated_; }
    const std::optional<Bytes>& msaId() const { return msaId_; }

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
        Bytes out = o_.endpointsCarryUiccId ? seuicc::encodeTlv(0x83, o_.iccidRaw) : Bytes{};
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
        ++masterSasCreated_;
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

    // The inner application: the operational M2M-SED commands the tests need (COMPUTE MASTER
    // SECRET with Kmr only, DERIVE EXPORTED KEY and ACTIVATE KEY without their key logic), and an
    // echo.
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
        if (c.cla == 0x80 && c.ins == 0x42) {
            return {fromHex("A1B2C3"), 0x9000};  // the pending key's KCV
        }
        if (c.cla == 0x80 && c.ins == 0x44) {
            return {{}, 0x9000};
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
    std::size_t masterSasCreated_ = 0;
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

    // The setup as the agent does it: the ICCID comes from the card's endpoints.
    std::unique_ptr<SecureChannelSession> open() { return tsed->openSession(tx, channel, kSedAid); }

    // Another terminal (process) on the same card: its own T-SED, with `kmsa`.
    std::unique_ptr<TerminalSecuredEnvironment> terminal(const Bytes& kmsa) {
        const auto file = dir / ("kmsa-" + std::to_string(++terminals) + ".key");
        writeKeyFile(file, kmsa);
        return std::make_unique<TerminalSecuredEnvironment>(
            TerminalSecuredEnvironment::Options{file, "other-terminal", "m2m-agent", {}});
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
    int terminals = 0;
};

inline Bytes pattern(std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<std::uint8_t>(i * 7 + 1);
    }
    return out;
}

}  // namespace sctest::sim
