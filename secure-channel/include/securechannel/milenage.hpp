// Milenage (3GPP TS 35.206): the AKA functions f1, f1*, f2, f3, f4, f5, f5* over AES-128, and the
// authentication vector, AUTN check and AUTS of TS 33.102 6.3 built from them. Used by the
// network side (the lab BSF's built-in AuC), by tests that stand in for a USIM, and to
// cross-check the card's applet. All values are big-endian, most significant bit first.
//
// Secrets: K and OPc, CK and IK, RES, and every intermediate value (TEMP, OUT1..OUT5 before they
// are cut) stay in SecretBuffers. RES is a secret on Ub: it is the HTTP Digest AKA password
// (RFC 3310), never sent. The MACs and the anonymity keys are returned as plain Bytes: the MACs
// travel in the clear, and AK only hides SQN, which is no key.
#pragma once

#include <cstddef>
#include <optional>

#include "base/bytes.hpp"
#include "base/secret.hpp"

namespace securechannel::milenage {

inline constexpr std::size_t kKeySize = 16;   // K, OP, OPc, CK, IK
inline constexpr std::size_t kRandSize = 16;  // RAND
inline constexpr std::size_t kSqnSize = 6;    // SQN, AK, AK*
inline constexpr std::size_t kAmfSize = 2;    // AMF
inline constexpr std::size_t kMacSize = 8;    // MAC-A, MAC-S, RES
inline constexpr std::size_t kAutnSize = 16;  // (SQN xor AK) || AMF || MAC-A
inline constexpr std::size_t kAutsSize = 14;  // (SQN_MS xor AK*) || MAC-S

// The subscriber's keys. Every function below throws securechannel::CryptoError when a key or an
// input has the wrong length; the message names the input, never its bytes.
struct Keys {
    base::SecretBuffer k;
    base::SecretBuffer opc;
};

// OPc = OP xor E_K(OP) (TS 35.206 4.1), for a card personalised with the operator's OP.
[[nodiscard]] base::SecretBuffer opcFromOp(base::ByteView k, base::ByteView op);

struct Output {
    base::Bytes macA;        // f1   (8)
    base::Bytes macS;        // f1*  (8)
    base::SecretBuffer res;  // f2   (8)
    base::Bytes ak;          // f5   (6)
    base::Bytes akStar;      // f5*  (6)
    base::SecretBuffer ck;   // f3 (16)
    base::SecretBuffer ik;   // f4 (16)
};

// All seven functions for one RAND, SQN and AMF (f2..f5* do not depend on SQN and AMF).
[[nodiscard]] Output compute(const Keys& keys, base::ByteView rand, base::ByteView sqn6,
                             base::ByteView amf2);

// The network's authentication vector (TS 33.102 6.3.2): RAND, AUTN = (SQN xor AK) || AMF ||
// MAC-A, XRES, CK, IK.
struct Vector {
    base::Bytes rand;
    base::Bytes autn;
    base::SecretBuffer xres;
    base::SecretBuffer ck;
    base::SecretBuffer ik;
};
[[nodiscard]] Vector makeVector(const Keys& keys, base::ByteView rand, base::ByteView sqn6,
                                base::ByteView amf2);

// The USIM's first check of a challenge (TS 33.102 6.3.3): SQN = AUTN[0..5] xor f5(RAND), and
// MAC-A = f1(SQN, RAND, AMF). The SQN carried in AUTN, or nullopt if MAC-A is wrong (a MAC
// failure). Freshness of the SQN is the caller's business (it owns SQN_MS).
[[nodiscard]] std::optional<base::Bytes> sqnFromAutn(const Keys& keys, base::ByteView rand,
                                                     base::ByteView autn16);

// The USIM's answer to a SQN out of range (TS 33.102 6.3.5): AUTS = (SQN_MS xor f5*(RAND)) ||
// f1*(SQN_MS, RAND, AMF = 0000). The AMF is the dummy value the resynchronisation uses.
[[nodiscard]] base::Bytes makeAuts(const Keys& keys, base::ByteView rand, base::ByteView sqnMs6);

// The AuC's side of resynchronisation: SQN_MS from AUTS, or nullopt if MAC-S is wrong.
[[nodiscard]] std::optional<base::Bytes> sqnFromAuts(const Keys& keys, base::ByteView rand,
                                                     base::ByteView auts14);

}  // namespace securechannel::milenage
