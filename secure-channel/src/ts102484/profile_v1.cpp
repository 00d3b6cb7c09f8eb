#include "securechannel/ts102484/profile_v1.hpp"

#include <fmt/format.h>
#include "base/big_endian.hpp"

#include <limits>
#include <string>

#include "securechannel/crypto.hpp"

namespace securechannel::profile::v1 {

namespace {

constexpr std::string_view kLabelEnc = "S-ENC";
constexpr std::string_view kLabelMac = "S-MAC";
constexpr std::string_view kLabelRmac = "S-RMAC";
constexpr std::string_view kTerminalToUicc = "T2U";
constexpr std::string_view kUiccToTerminal = "U2T";
constexpr std::string_view kTerminate = "TERM";

constexpr std::uint8_t kCommandP1 = 0x04;   // TRANSACT DATA P1 b3: data present
constexpr std::uint8_t kResponseP1 = 0x00;  // a response block request
constexpr std::uint8_t kCardToTerminalIvBit = 0x80;

void requireSize(ByteView data, std::size_t size, std::string_view what) {
    if (data.size() != size) {
        throw CryptoError(
            fmt::format("profile v1: {} must be {} bytes, not {}", what, size, data.size()));
    }
}

using base::append;

std::array<std::uint8_t, kCounterSize> counterBytes(std::uint32_t counter) {
    return base::toBigEndian<kCounterSize>(counter);
}

Bytes sscmac(const SessionKeys& keys, std::string_view prefix, ByteView csaId, ByteView algorithms,
             std::uint8_t containerSize) {
    requireSize(csaId, kSaIdSize, "CSA_ID");
    Bytes input;
    append(input, asBytes(prefix));
    append(input, csaId);
    append(input, algorithms);
    input.push_back(containerSize);
    return aesCmac(keys.mac.view(), input);
}

ByteView macKey(const SessionKeys& keys, Direction direction) {
    return direction == Direction::TerminalToCard ? keys.mac.view() : keys.rmac.view();
}

Bytes iv(const SessionKeys& keys, Direction direction, std::uint32_t counter) {
    std::array<std::uint8_t, kAesBlockSize> block{};
    const auto c = counterBytes(counter);
    std::copy(c.begin(), c.end(), block.end() - kCounterSize);
    if (direction == Direction::CardToTerminal) {
        block[0] |= kCardToTerminalIvBit;
    }
    return aesEcbEncryptBlock(keys.enc.view(), block);
}

// The full 16-byte CMAC of one message; its first 8 bytes go on the wire, all 16 chain.
Bytes fullMac(const SessionKeys& keys, Direction direction, const DirectionState& state,
              std::uint8_t p1, std::uint8_t p2, ByteView counter, ByteView ciphertext) {
    Bytes input;
    input.reserve(kFullMacSize + 2 + kCounterSize + ciphertext.size());
    append(input, state.chain);
    input.push_back(p1);
    input.push_back(p2);
    append(input, counter);
    append(input, ciphertext);
    return aesCmac(macKey(keys, direction), input);
}

[[noreturn]] void reject(SecuredMessageRejected::Reason reason, const std::string& what) {
    throw SecuredMessageRejected(reason, "secured message rejected: " + what);
}

}  // namespace

SessionKeys deriveSessionKeys(ByteView kmsa, ByteView terminalNonce, ByteView uiccNonce,
                              ByteView csaId) {
    requireSize(kmsa, kKmsaSize, "Kmsa");
    requireSize(terminalNonce, kNonceSize, "the terminal nonce");
    requireSize(uiccNonce, kNonceSize, "the UICC nonce");
    requireSize(csaId, kSaIdSize, "CSA_ID");
    Bytes context;
    append(context, terminalNonce);
    append(context, uiccNonce);
    append(context, csaId);
    return SessionKeys{
        kbkdfCounterCmac(kmsa, asBytes(kLabelEnc), context, kSessionKeySize),
        kbkdfCounterCmac(kmsa, asBytes(kLabelMac), context, kSessionKeySize),
        kbkdfCounterCmac(kmsa, asBytes(kLabelRmac), context, kSessionKeySize),
    };
}

Bytes terminalSscmac(const SessionKeys& keys, ByteView csaId, ByteView algorithms,
                     std::uint8_t containerSize) {
    return sscmac(keys, kTerminalToUicc, csaId, algorithms, containerSize);
}

Bytes uiccSscmac(const SessionKeys& keys, ByteView csaId, ByteView algorithms,
                 std::uint8_t containerSize) {
    return sscmac(keys, kUiccToTerminal, csaId, algorithms, containerSize);
}

Bytes connectionSaTerminateMac(const SessionKeys& keys, ByteView csaId) {
    requireSize(csaId, kSaIdSize, "CSA_ID");
    Bytes input;
    append(input, asBytes(kTerminate));
    append(input, csaId);
    return aesCmac(keys.mac.view(), input);
}

Bytes masterSaTerminateMac(ByteView kmsa, ByteView msaId) {
    requireSize(kmsa, kKmsaSize, "Kmsa");
    requireSize(msaId, kSaIdSize, "MSA_ID");
    Bytes input;
    append(input, asBytes(kTerminate));
    append(input, msaId);
    return aesCmac(kmsa, input);
}

MacHeader macHeader(Direction direction, std::size_t blocks) {
    if (blocks == 0 || blocks > 256) {
        throw CryptoError(fmt::format("profile v1: {} blocks cannot be coded in P2", blocks));
    }
    return MacHeader{direction == Direction::TerminalToCard ? kCommandP1 : kResponseP1,
                     static_cast<std::uint8_t>(blocks - 1)};
}

std::size_t securedValueSize(std::size_t plaintextSize) {
    const std::size_t padded = (plaintextSize / kAesBlockSize + 1) * kAesBlockSize;
    return kCounterSize + padded + kMacSize;
}

Bytes protect(const SessionKeys& keys, Direction direction, DirectionState& state, std::uint8_t p1,
              std::uint8_t p2, ByteView plaintext) {
    if (plaintext.size() > kMaxPlaintext) {
        throw CryptoError(fmt::format("profile v1: an inner plaintext has at most {} bytes, not {}",
                                      kMaxPlaintext, plaintext.size()));
    }
    if (state.counter == std::numeric_limits<std::uint32_t>::max()) {
        throw SessionExpired("profile v1: the message counter is used up; open a new session");
    }
    const std::uint32_t counter = state.counter + 1;
    const auto counterField = counterBytes(counter);
    const SecretBuffer padded = iso9797M2Pad(plaintext);
    const Bytes ciphertext =
        aesCbcEncrypt(keys.enc.view(), iv(keys, direction, counter), padded.view());
    const Bytes mac = fullMac(keys, direction, state, p1, p2, counterField, ciphertext);

    Bytes secured;
    secured.reserve(securedValueSize(plaintext.size()));
    append(secured, counterField);
    append(secured, ciphertext);
    secured.insert(secured.end(), mac.begin(), mac.begin() + kMacSize);

    state.counter = counter;
    std::copy(mac.begin(), mac.end(), state.chain.begin());
    return secured;
}

SecretBuffer unprotect(const SessionKeys& keys, Direction direction, DirectionState& state,
                       std::uint8_t p1, std::uint8_t p2, ByteView securedValue) {
    using Reason = SecuredMessageRejected::Reason;
    const std::size_t size = securedValue.size();
    if (size < kMinSecuredValueSize || (size - kCounterSize - kMacSize) % kAesBlockSize != 0) {
        reject(Reason::Malformed,
               fmt::format("{} bytes is not counter ‖ whole cipher blocks ‖ MAC", size));
    }
    if (size > securedValueSize(kMaxPlaintext)) {
        reject(Reason::Malformed,
               fmt::format("{} bytes is more than a {}-byte plaintext needs", size, kMaxPlaintext));
    }
    const ByteView counterField = securedValue.first(kCounterSize);
    const ByteView ciphertext = securedValue.subspan(kCounterSize, size - kCounterSize - kMacSize);
    const ByteView mac = securedValue.last(kMacSize);

    const auto counter = static_cast<std::uint32_t>(base::readBigEndian(counterField));
    if (counter <= state.counter) {
        reject(Reason::Counter, fmt::format("counter {} is not greater than the last one, {}",
                                            counter, state.counter));
    }
    const Bytes expected = fullMac(keys, direction, state, p1, p2, counterField, ciphertext);
    if (!constantTimeEqual(ByteView(expected).first(kMacSize), mac)) {
        reject(Reason::Mac, "MAC mismatch");
    }
    const SecretBuffer padded =
        aesCbcDecrypt(keys.enc.view(), iv(keys, direction, counter), ciphertext);
    ByteView plaintext;
    try {
        plaintext = iso9797M2Unpad(padded.view());
    } catch (const CryptoError&) {
        reject(Reason::Padding, "ISO/IEC 9797-1 method 2 padding is wrong");
    }
    if (plaintext.size() > kMaxPlaintext) {
        reject(Reason::Malformed, fmt::format("a {}-byte plaintext is over the {}-byte limit",
                                              plaintext.size(), kMaxPlaintext));
    }
    state.counter = counter;
    std::copy(expected.begin(), expected.end(), state.chain.begin());
    return SecretBuffer::copyOf(plaintext);
}

std::optional<std::uint8_t> blocksPending(std::uint16_t sw) {
    if ((sw & 0xFF00) != 0x9200) {
        return std::nullopt;
    }
    return static_cast<std::uint8_t>(sw & 0xFF);
}

}  // namespace securechannel::profile::v1
