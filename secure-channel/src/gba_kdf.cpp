#include "securechannel/gba_kdf.hpp"

#include <algorithm>

#include "base/base64.hpp"
#include "securechannel/crypto.hpp"

namespace securechannel::gba {

namespace {

constexpr std::uint8_t kFcNafKey = 0x01;  // Annex B.3 (and B.4, which reuses it)
constexpr std::string_view kGbaMe = "gba-me";
constexpr std::string_view kGbaU = "gba-u";

// Printable ASCII only: see the header on NFKC.
void requireIdentifier(std::string_view what, std::string_view text) {
    if (text.empty()) {
        throw GbaError(std::string(what) + " is empty");
    }
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
        throw GbaError(std::string(what) + " is not printable ASCII");
    }
}

void requireKsAndRand(base::ByteView ks, base::ByteView rand) {
    if (ks.size() != kKsSize) {
        throw GbaError("Ks must be 32 bytes, got " + std::to_string(ks.size()));
    }
    if (rand.size() != kRandSize) {
        throw GbaError("RAND must be 16 bytes, got " + std::to_string(rand.size()));
    }
}

base::SecretBuffer nafKey(std::string_view label, base::ByteView ks, base::ByteView rand,
                          std::string_view impi, base::ByteView nafId) {
    requireKsAndRand(ks, rand);
    requireIdentifier("IMPI", impi);
    return kdf33220(ks, kFcNafKey, {base::asBytes(label), rand, base::asBytes(impi), nafId});
}

}  // namespace

base::Bytes NafId::encode() const {
    requireIdentifier("NAF FQDN", fqdn);
    return base::concat({base::asBytes(fqdn), uaProtocol});
}

NafId tlsPskNafId(std::string fqdn, std::uint16_t cipherSuite) {
    return NafId{std::move(fqdn),
                 {0x01, 0x00, 0x01, static_cast<std::uint8_t>(cipherSuite >> 8),
                  static_cast<std::uint8_t>(cipherSuite & 0xFF)}};
}

base::SecretBuffer makeKs(base::ByteView ck, base::ByteView ik) {
    if (ck.size() != kKsSize / 2 || ik.size() != kKsSize / 2) {
        throw GbaError("CK and IK must be 16 bytes each");
    }
    base::SecretBuffer ks(kKsSize);
    std::copy(ck.begin(), ck.end(), ks.data());
    std::copy(ik.begin(), ik.end(), ks.data() + ck.size());
    return ks;
}

base::SecretBuffer ksExtNaf(base::ByteView ks, base::ByteView rand, std::string_view impi,
                            const NafId& naf) {
    return nafKey(kGbaMe, ks, rand, impi, naf.encode());
}

base::SecretBuffer ksIntNaf(base::ByteView ks, base::ByteView rand, std::string_view impi,
                            const NafId& naf) {
    return nafKey(kGbaU, ks, rand, impi, naf.encode());
}

std::string makeBtid(base::ByteView rand, std::string_view bsfFqdn) {
    if (rand.size() != kRandSize) {
        throw GbaError("RAND must be 16 bytes, got " + std::to_string(rand.size()));
    }
    requireIdentifier("BSF name", bsfFqdn);
    return base::base64Encode(rand) + "@" + std::string(bsfFqdn);
}

std::string impiFromImsi(std::string_view imsi, int mncDigits) {
    if (mncDigits != 2 && mncDigits != 3) {
        throw GbaError("the MNC has 2 or 3 digits, not " + std::to_string(mncDigits));
    }
    const bool digits =
        std::all_of(imsi.begin(), imsi.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || imsi.size() < 6 || imsi.size() > 15) {
        throw GbaError("an IMSI is 6 to 15 digits");
    }
    const std::string_view mcc = imsi.substr(0, 3);
    const std::string_view mnc = imsi.substr(3, static_cast<std::size_t>(mncDigits));
    return std::string(imsi) + "@ims.mnc" + (mncDigits == 2 ? "0" : "") + std::string(mnc) +
           ".mcc" + std::string(mcc) + ".3gppnetwork.org";
}

std::string makeTmpi(base::ByteView ks, base::ByteView rand, std::string_view impi,
                     std::string_view bsfFqdn) {
    const NafId bsf{std::string(bsfFqdn), kUaTmpi};
    const base::SecretBuffer key = ksExtNaf(ks, rand, impi, bsf);
    return base::base64Encode(key.view().first(24)) + "@tmpi.bsf.3gppnetwork.org";
}

}  // namespace securechannel::gba
