// A secured message from a card that holds the session's keys (secure-channel/src/ts102484/
// session.cpp with codec.cpp and profile_v1.cpp unprotect): a session is opened against a small
// card that answers the connection SA and the start correctly, and the card's answer to one
// TRANSACT DATA is built from the input with a correct MAC, so every input gets past the MAC check
// into the decryption, the padding check, the plaintext limits and the inner response.
//
// Input: byte 0 flags (b1: the input's plaintext is padded here with ISO/IEC 9797-1 method 2, else
// it is the padded plaintext as it is, cut to whole blocks; b2: the counter is the input's next
// 4 bytes, else 1; b3: the MAC's P2 is the input's next byte, else the true block count - 1),
// byte 1 the container size (at least 32), byte 2 the inner Le, then the plaintext.
// A correctly padded and counted message of 2..1024 bytes must come out exactly as the card
// meant it; anything else must end in the session's typed errors (ChannelBroken: rejected).
#include <cstdint>
#include <stdexcept>

#include "base/big_endian.hpp"
#include "fuzz_support.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/ts102484/session.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/memory_transport.hpp"
#include "seuicc/tlv.hpp"

namespace {

using namespace securechannel;
using namespace securechannel::ts102484;
namespace v1 = securechannel::profile::v1;

const base::Bytes kKmsa = base::fromHex("404142434445464748494A4B4C4D4E4F");
const base::Bytes kMsaId = base::fromHex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
const base::Bytes kCsaId = base::fromHex("B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF");
const base::Bytes kUiccNonce = base::fromHex("C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF");

// The answer the card gives to one protected command, as the flags say.
struct Answer {
    bool pad = true;
    std::optional<std::uint32_t> counter;
    std::optional<std::uint8_t> macP2;
    base::ByteView plaintext;
};

base::Bytes withSw(base::Bytes data, std::uint16_t sw) {
    data.push_back(static_cast<std::uint8_t>(sw >> 8));
    data.push_back(static_cast<std::uint8_t>(sw));
    return data;
}

// The card side of M2M-SED.md §5-§7, only as far as one message needs: connection SA, start,
// one TRANSACT DATA answered with `answer`, its blocks read back.
class KeyedCard {
public:
    explicit KeyedCard(const Answer& answer) : answer_(answer) {}

    base::Bytes operator()(base::ByteView raw) {
        const auto c = seuicc::CommandApdu::parse(raw);
        if (c.ins == kInsManageSecureChannel) {
            return msc(c);
        }
        if (c.ins == kInsTransactData && c.p1 == kTransactP1Data) {
            return c.p2 > 0 ? withSw({}, 0x9200) : seal();
        }
        if (c.ins == kInsTransactData && c.p1 == kTransactP1Read && next_ < blocks_.size()) {
            const std::size_t left = blocks_.size() - next_ - 1;
            return withSw(
                blocks_[next_++],
                left == 0 ? kSwOk : v1::blocksPendingStatus(static_cast<std::uint8_t>(left)));
        }
        return withSw({}, 0x6985);
    }

private:
    base::Bytes msc(const seuicc::CommandApdu& c) {
        if (c.p2 == kP2FirstCommandBlock) {
            const auto fields = seuicc::parseTlvs(seuicc::parseTlvs(c.data).at(0).value);
            for (const auto& f : fields) {
                if (f.tag == v1::kTagTerminalNonce) {
                    terminalNonce_ = f.value;
                } else if (f.tag == kTagContainerSize && !f.value.empty()) {
                    container_ = f.value[0];
                }
            }
            return withSw({}, kSwResponseReady);
        }
        base::Bytes response;
        if (c.p1 == static_cast<std::uint8_t>(MscOperation::EstablishConnectionSa)) {
            keys_.emplace(v1::deriveSessionKeys(kKmsa, terminalNonce_, kUiccNonce, kCsaId));
            base::append(response, seuicc::encodeTlv(kTagCsaId, kCsaId));
            base::append(response, seuicc::encodeTlv(v1::kTagUiccNonce, kUiccNonce));
        } else {
            base::append(
                response,
                seuicc::encodeTlv(
                    kTagSscmac, v1::uiccSscmac(*keys_, kCsaId, kAlgorithmsAesCbcCmac, container_)));
        }
        return withSw(seuicc::encodeTlv(kTagMscData, response), kSwOk);
    }

    // counter ‖ AES-CBC(S-ENC, IV, plaintext) ‖ CMAC(S-RMAC, chain ‖ 00 ‖ P2 ‖ counter ‖ ct)[0..8],
    // cut into container-sized blocks.
    base::Bytes seal() {
        base::Bytes padded;
        if (answer_.pad) {
            const SecretBuffer p = iso9797M2Pad(answer_.plaintext);
            padded.assign(p.view().begin(), p.view().end());
        } else {
            padded.assign(answer_.plaintext.begin(),
                          answer_.plaintext.end() - static_cast<std::ptrdiff_t>(
                                                        answer_.plaintext.size() % kAesBlockSize));
            if (padded.empty()) {
                padded.assign(kAesBlockSize, 0x00);
            }
        }
        const std::uint32_t counter = answer_.counter.value_or(1);
        const auto counterField = base::toBigEndian<4>(counter);
        std::array<std::uint8_t, kAesBlockSize> ivInput{};
        std::copy(counterField.begin(), counterField.end(), ivInput.end() - 4);
        ivInput[0] |= 0x80;
        const base::Bytes ciphertext = aesCbcEncrypt(
            keys_->enc.view(), aesEcbEncryptBlock(keys_->enc.view(), ivInput), padded);

        const std::size_t valueSize = 4 + ciphertext.size() + v1::kMacSize;
        const std::size_t blocks = blockCount(tlvSize(valueSize), container_);
        base::Bytes macInput(v1::kFullMacSize, 0x00);  // the chain: zeros before the first MAC
        macInput.push_back(0x00);
        macInput.push_back(answer_.macP2.value_or(static_cast<std::uint8_t>(blocks - 1)));
        base::append(macInput, counterField);
        base::append(macInput, ciphertext);
        const base::Bytes mac = aesCmac(keys_->rmac.view(), macInput);

        base::Bytes value(counterField.begin(), counterField.end());
        base::append(value, ciphertext);
        value.insert(value.end(), mac.begin(), mac.begin() + v1::kMacSize);
        const base::Bytes encoded = seuicc::encodeTlv(v1::kTagSecuredData, value);
        for (std::size_t offset = 0; offset < encoded.size(); offset += container_) {
            const auto begin = encoded.begin() + static_cast<std::ptrdiff_t>(offset);
            blocks_.emplace_back(begin, begin + static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                                                    container_, encoded.size() - offset)));
        }
        if (blocks_.size() > 255) {
            return withSw({}, 0x6A80);  // cannot be announced in 92 NN: the card refuses
        }
        return withSw({}, v1::blocksPendingStatus(static_cast<std::uint8_t>(blocks_.size())));
    }

    const Answer& answer_;
    base::Bytes terminalNonce_;
    std::uint8_t container_ = 0;
    std::optional<v1::SessionKeys> keys_;
    std::vector<base::Bytes> blocks_;
    std::size_t next_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    if (size < 3) {
        return 0;
    }
    base::ByteView rest = fuzz::bytes(data, size);
    const std::uint8_t flags = rest[0];
    const std::uint8_t container = std::max<std::uint8_t>(rest[1], v1::kMinContainerSize);
    const std::uint8_t le = rest[2];
    rest = rest.subspan(3);
    Answer answer;
    answer.pad = (flags & 0x01) == 0;
    if ((flags & 0x02) != 0 && rest.size() >= 4) {
        answer.counter = static_cast<std::uint32_t>(base::readBigEndian(rest.first(4)));
        rest = rest.subspan(4);
    }
    if ((flags & 0x04) != 0 && !rest.empty()) {
        answer.macP2 = rest[0];
        rest = rest.subspan(1);
    }
    answer.plaintext = rest.first(std::min<std::size_t>(rest.size(), 1100));

    KeyedCard card(answer);
    seuicc::MemoryTransport transport(base::fromHex("3B00"),
                                      [&card](base::ByteView c) { return card(c); });
    seuicc::CardChannel channel(transport);
    const seuicc::Transaction tx(transport);
    const SecretBuffer kmsa = SecretBuffer::copyOf(kKmsa);
    auto session =
        SecureChannelSession::open(tx, channel, kmsa, MasterSa{kMsaId, 0x82, {}, {}}, container);
    const seuicc::CommandApdu inner{
        0x80, 0xCA, 0x00, 0xFF, {}, le == 0 ? std::nullopt : std::optional<std::uint32_t>(le)};
    const bool wellFormed = answer.pad && !answer.counter && !answer.macP2 &&
                            answer.plaintext.size() >= 2 &&
                            answer.plaintext.size() <= v1::kMaxPlaintext;
    try {
        const seuicc::ResponseApdu response = session->transmit(tx, inner);
        // What the card meant: its plaintext (padded here), or the part of the input before a
        // padding that happened to be valid.
        const base::ByteView p = answer.plaintext;
        if (response.data.size() + 2 > p.size() ||
            (answer.pad && response.data.size() + 2 != p.size()) ||
            !std::equal(response.data.begin(), response.data.end(), p.begin()) ||
            response.sw != base::readBigEndian(p.subspan(response.data.size(), 2))) {
            throw std::logic_error("the inner response differs from what the card sent");
        }
    } catch (const SecureChannelError&) {
        if (wellFormed) {
            throw std::logic_error("a correct message was refused");
        }
        if (session->state() == SessionState::Open) {
            throw std::logic_error("a refused message left the session open");
        }
    }
    return 0;
}
