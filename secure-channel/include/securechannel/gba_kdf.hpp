// The key derivations and identifiers of GBA (3GPP TS 33.220): the NAF-specific keys of Annex B.3
// over the generic KDF of Annex B.2 (securechannel::kdf33220), NAF_Id with the Ua security
// protocol identifiers of Annex H, the B-TID of 4.5.2, the IMPI built from the IMSI (TS 23.003
// 13.3) and the TMPI of Annex B.4. Both the device (GBA_ME) and the lab network's BSF and NAFs
// use these; the card computes the same values itself for GBA_U.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "securechannel/errors.hpp"

namespace securechannel::gba {

// An identifier that cannot be used: an IMSI that is not 6-15 digits, an MNC length other than
// 2 or 3, a NAF FQDN, IMPI or BSF name that is empty or not printable ASCII (see below), a Ks
// that is not 32 bytes, a RAND that is not 16. The message never carries key bytes.
class GbaError : public Error {
public:
    using Error::Error;
};

inline constexpr std::size_t kKsSize = 32;  // Ks = CK || IK
inline constexpr std::size_t kRandSize = 16;

using UaProtocolId = std::array<std::uint8_t, 5>;

// Ua security protocol identifiers (TS 33.220 Annex H.3) this project uses.
inline constexpr UaProtocolId kUaHttpDigest{0x01, 0x00, 0x00, 0x00, 0x02};  // TS 24.109 digest
inline constexpr UaProtocolId kUaTls13Psk{0x01, 0x00, 0x00, 0x00, 0x07};    // TS 33.222 5.4.0.2
inline constexpr UaProtocolId kUaTmpi{0x01, 0x00, 0x00, 0x01, 0x00};        // Annex B.4 only

// NAF_Id = FQDN of the NAF || Ua security protocol identifier (TS 33.220 Annex H.1).
struct NafId {
    std::string fqdn;
    UaProtocolId uaProtocol{};
    // UTF-8 FQDN followed by the five raw octets. Throws GbaError for an unusable FQDN.
    [[nodiscard]] base::Bytes encode() const;
};

// The NAF_Id of a TS 33.222 shared-key TLS (5.3/5.4) Ua: 01 00 01 yy zz, where yy zz is the
// cipher suite the server chose (so the key depends on the negotiated suite).
[[nodiscard]] NafId tlsPskNafId(std::string fqdn, std::uint16_t cipherSuite);

// Ks = CK || IK (TS 33.220 4.5.2), for a GBA_ME device or the BSF.
[[nodiscard]] base::SecretBuffer makeKs(base::ByteView ck, base::ByteView ik);

// Ks_ext_NAF (GBA_U; Ks_NAF of GBA_ME) = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id) and
// Ks_int_NAF = KDF(Ks, "gba-u", RAND, IMPI, NAF_Id), FC = 0x01 (Annex B.3). 32 bytes each.
//
// Character strings enter the KDF as UTF-8 after NFKC normalisation (B.2.1.2). The IMPI and FQDN
// are refused unless printable ASCII, for which NFKC changes nothing: no identifier here needs
// more, and a half-done normalisation would give a key the network does not have.
[[nodiscard]] base::SecretBuffer ksExtNaf(base::ByteView ks, base::ByteView rand,
                                          std::string_view impi, const NafId& naf);
[[nodiscard]] base::SecretBuffer ksIntNaf(base::ByteView ks, base::ByteView rand,
                                          std::string_view impi, const NafId& naf);

// B-TID = base64(RAND) "@" BSF server name (TS 33.220 4.5.2). The BSF mints it; the device
// treats what the BSF sends as opaque.
[[nodiscard]] std::string makeBtid(base::ByteView rand, std::string_view bsfFqdn);

// IMPI = "<IMSI>@ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org" (TS 23.003 13.3), MNC of `mncDigits`
// (2 or 3) digits after the 3-digit MCC, written with 3 digits (a 2-digit MNC gets a leading 0).
[[nodiscard]] std::string impiFromImsi(std::string_view imsi, int mncDigits = 2);

// TMPI = base64(first 24 octets of KDF(Ks, "gba-me", RAND, IMPI, BSF_FQDN || 01 00 00 01 00))
// "@tmpi.bsf.3gppnetwork.org" (Annex B.4). Optional in GBA; nothing here sends it yet.
[[nodiscard]] std::string makeTmpi(base::ByteView ks, base::ByteView rand, std::string_view impi,
                                   std::string_view bsfFqdn);

}  // namespace securechannel::gba
