// The built-in Milenage AuC (see builtin_auc.hpp).
#include "builtin_auc.hpp"

#include "base/big_endian.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/milenage.hpp"

namespace netsim {

namespace {

namespace milenage = securechannel::milenage;

constexpr unsigned kIndBits = 5;
constexpr std::uint64_t kInd = 1;
constexpr std::uint64_t kMaxSeq = (std::uint64_t{1} << (48 - kIndBits)) - 1;
constexpr std::uint8_t kAmf[2] = {0x00, 0x00};

}  // namespace

AuthVector BuiltinAuc::vector(const std::string& imsi, const std::optional<Resync>& resync) {
    auto subscriber = store_.subscriber(imsi);
    if (!subscriber) {
        throw UnknownSubscriber("the built-in AuC does not know the IMSI");
    }
    const milenage::Keys keys{std::move(subscriber->usim.k), std::move(subscriber->usim.opc)};
    if (resync) {
        if (resync->rand.size() != 16 || resync->auts.size() != 14) {
            throw AucRejected("a resynchronisation needs RAND (16 bytes) and AUTS (14 bytes)");
        }
        const auto sqnMs = milenage::sqnFromAuts(keys, resync->rand, resync->auts);
        if (!sqnMs) {
            throw AucRejected("AUTS refused: MAC-S is wrong");
        }
        store_.resyncSeq(imsi, base::readBigEndian(*sqnMs) >> kIndBits);
    }
    const std::uint64_t seq = store_.nextSeq(imsi);
    if (seq > kMaxSeq) {
        throw AucRejected("the subscriber's SEQ is exhausted");
    }
    const base::Bytes rand = securechannel::randomBytes(16);
    const auto sqn = base::toBigEndian<milenage::kSqnSize>(seq << kIndBits | kInd);
    milenage::Vector v = milenage::makeVector(keys, rand, sqn, base::ByteView(kAmf, 2));
    return AuthVector{std::move(v.rand), std::move(v.autn), std::move(v.xres), std::move(v.ck),
                      std::move(v.ik)};
}

}  // namespace netsim
