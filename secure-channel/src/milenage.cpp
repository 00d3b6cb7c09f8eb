// TS 35.206 §4.1 as a sequence of AES-128 block encryptions. The constants r1..r5 and c1..c5 are
// the ones the specification fixes (and the published test sets confirm); every rotation is a
// whole number of bytes, so it is done on bytes.
#include "securechannel/milenage.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "securechannel/crypto.hpp"
#include "securechannel/errors.hpp"

namespace securechannel::milenage {

namespace {

using Block = std::span<std::uint8_t, kAesBlockSize>;

void requireSize(std::string_view function, std::string_view what, base::ByteView value,
                 std::size_t expected) {
    if (value.size() != expected) {
        throw CryptoError("milenage::" + std::string(function) + ": " + std::string(what) +
                          " must be " + std::to_string(expected) + " bytes, got " +
                          std::to_string(value.size()));
    }
}

void requireKeys(std::string_view function, const Keys& keys) {
    requireSize(function, "K", keys.k.view(), kKeySize);
    requireSize(function, "OPc", keys.opc.view(), kKeySize);
}

void xorInto(Block out, base::ByteView a, base::ByteView b) {
    for (std::size_t i = 0; i < kAesBlockSize; ++i) {
        out[i] = a[i] ^ b[i];
    }
}

// OUTi = E_K(rot(TEMP xor OPc, ri) xor ci) xor OPc, i = 2..5 (ri in bytes, ci in the last byte).
void outFunction(const Keys& keys, base::ByteView temp, std::size_t rotateBytes,
                 std::uint8_t constant, Block scratch, Block out) {
    xorInto(scratch, temp, keys.opc.view());
    std::rotate(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(rotateBytes),
                scratch.end());
    scratch[kAesBlockSize - 1] ^= constant;
    aesEcbEncryptBlock(keys.k.view(), scratch, out);
    xorInto(out, out, keys.opc.view());
}

base::Bytes slice(base::ByteView block, std::size_t offset, std::size_t size) {
    return {block.begin() + static_cast<std::ptrdiff_t>(offset),
            block.begin() + static_cast<std::ptrdiff_t>(offset + size)};
}

}  // namespace

base::SecretBuffer opcFromOp(base::ByteView k, base::ByteView op) {
    requireSize("opcFromOp", "K", k, kKeySize);
    requireSize("opcFromOp", "OP", op, kKeySize);
    base::SecretBuffer opc(kKeySize);
    const Block out(opc.data(), kKeySize);
    aesEcbEncryptBlock(k, op, out);
    xorInto(out, out, op);
    return opc;
}

Output compute(const Keys& keys, base::ByteView rand, base::ByteView sqn6, base::ByteView amf2) {
    requireKeys("compute", keys);
    requireSize("compute", "RAND", rand, kRandSize);
    requireSize("compute", "SQN", sqn6, kSqnSize);
    requireSize("compute", "AMF", amf2, kAmfSize);

    // TEMP, a scratch block and one OUT block; OUT3 and OUT4 go straight into CK and IK.
    base::SecretBuffer work(3 * kAesBlockSize);
    const Block temp(work.data(), kAesBlockSize);
    const Block scratch(work.data() + kAesBlockSize, kAesBlockSize);
    const Block out(work.data() + 2 * kAesBlockSize, kAesBlockSize);

    xorInto(scratch, rand, keys.opc.view());
    aesEcbEncryptBlock(keys.k.view(), scratch, temp);

    Output result;
    // OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, IN1 = SQN||AMF||SQN||AMF,
    // r1 = 64 bits, c1 = 0.
    const base::Bytes in1 = base::concat({sqn6, amf2, sqn6, amf2});
    xorInto(scratch, in1, keys.opc.view());
    std::rotate(scratch.begin(), scratch.begin() + 8, scratch.end());
    xorInto(scratch, scratch, temp);
    aesEcbEncryptBlock(keys.k.view(), scratch, out);
    xorInto(out, out, keys.opc.view());
    result.macA = slice(out, 0, kMacSize);
    result.macS = slice(out, kMacSize, kMacSize);

    outFunction(keys, temp, 0, 0x01, scratch, out);  // OUT2: r2 = 0, c2 = 1
    result.ak = slice(out, 0, kSqnSize);
    result.res = base::SecretBuffer::copyOf(base::ByteView(out).subspan(8, kMacSize));

    result.ck = base::SecretBuffer(kKeySize);
    outFunction(keys, temp, 4, 0x02, scratch, Block(result.ck.data(), kKeySize));  // r3 = 32
    result.ik = base::SecretBuffer(kKeySize);
    outFunction(keys, temp, 8, 0x04, scratch, Block(result.ik.data(), kKeySize));  // r4 = 64

    outFunction(keys, temp, 12, 0x08, scratch, out);  // OUT5: r5 = 96, c5 = 8
    result.akStar = slice(out, 0, kSqnSize);
    return result;
}

Vector makeVector(const Keys& keys, base::ByteView rand, base::ByteView sqn6, base::ByteView amf2) {
    Output f = compute(keys, rand, sqn6, amf2);
    Vector v;
    v.rand.assign(rand.begin(), rand.end());
    v.autn.reserve(kAutnSize);
    for (std::size_t i = 0; i < kSqnSize; ++i) {
        v.autn.push_back(sqn6[i] ^ f.ak[i]);
    }
    base::append(v.autn, amf2);
    base::append(v.autn, f.macA);
    v.xres = std::move(f.res);
    v.ck = std::move(f.ck);
    v.ik = std::move(f.ik);
    return v;
}

std::optional<base::Bytes> sqnFromAutn(const Keys& keys, base::ByteView rand,
                                       base::ByteView autn16) {
    requireSize("sqnFromAutn", "AUTN", autn16, kAutnSize);
    // f5 does not depend on SQN or AMF: any value gives AK.
    const std::array<std::uint8_t, kSqnSize> anySqn{};
    const base::ByteView amf = autn16.subspan(kSqnSize, kAmfSize);
    const Output unmasking = compute(keys, rand, anySqn, amf);
    base::Bytes sqn(kSqnSize);
    for (std::size_t i = 0; i < kSqnSize; ++i) {
        sqn[i] = autn16[i] ^ unmasking.ak[i];
    }
    const Output check = compute(keys, rand, sqn, amf);
    if (!base::constantTimeEqual(check.macA, autn16.subspan(kSqnSize + kAmfSize, kMacSize))) {
        return std::nullopt;
    }
    return sqn;
}

namespace {
constexpr std::array<std::uint8_t, kAmfSize> kResyncAmf{};  // TS 33.102 6.3.3: AMF* = 0000
}

base::Bytes makeAuts(const Keys& keys, base::ByteView rand, base::ByteView sqnMs6) {
    const Output f = compute(keys, rand, sqnMs6, kResyncAmf);
    base::Bytes auts;
    auts.reserve(kAutsSize);
    for (std::size_t i = 0; i < kSqnSize; ++i) {
        auts.push_back(sqnMs6[i] ^ f.akStar[i]);
    }
    base::append(auts, f.macS);
    return auts;
}

std::optional<base::Bytes> sqnFromAuts(const Keys& keys, base::ByteView rand,
                                       base::ByteView auts14) {
    requireSize("sqnFromAuts", "AUTS", auts14, kAutsSize);
    const std::array<std::uint8_t, kSqnSize> anySqn{};  // f5* does not depend on SQN either
    const Output unmasking = compute(keys, rand, anySqn, kResyncAmf);
    base::Bytes sqnMs(kSqnSize);
    for (std::size_t i = 0; i < kSqnSize; ++i) {
        sqnMs[i] = auts14[i] ^ unmasking.akStar[i];
    }
    const Output check = compute(keys, rand, sqnMs, kResyncAmf);
    if (!base::constantTimeEqual(check.macS, auts14.subspan(kSqnSize, kMacSize))) {
        return std::nullopt;
    }
    return sqnMs;
}

}  // namespace securechannel::milenage
