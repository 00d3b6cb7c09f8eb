// The steps of setting up and tearing down the TS 102 484 APDU secure channel, terminal side
// (M2M-SED.md §5): each one MANAGE SECURE CHANNEL exchange with an explicit result.
//
//   retrieveEndpoints      P1 00  -> UiccEndpoints (UICC_ID, the '82' endpoints)
//   usableEndpoint                -> the endpoint for the AID, or EndpointUnsupported
//   establishMasterSa      P1 01  -> MasterSa (MSA_ID, key agreement)
//   establishConnectionSa  P1 02  -> ConnectionSa (CSA_ID, both nonces)
//   startSecureChannel     P1 03  (SSCMAC both ways)
//   terminateConnectionSa  P1 04 '8B', terminateMasterSa P1 04 '88'
//
// Status words of the card become typed errors (stepError): 98 62 AuthenticationFailed,
// 98 63 SessionExpired, anything else CardRefused with the SW.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/secret.hpp"
#include "securechannel/ts102484/codec.hpp"
#include "securechannel/ts102484/profile_v1.hpp"

namespace securechannel::ts102484 {

// Endpoint information '82' [STD TS 102 221, capability bytes].
inline constexpr std::uint8_t kEndpointPlatform = 0x01;
inline constexpr std::uint8_t kEndpointApplication = 0x02;
inline constexpr std::uint8_t kTransportApdu = 0x01;             // capability 1 b1
inline constexpr std::uint8_t kChannelApduSecureChannel = 0x04;  // capability 2 b3
inline constexpr std::uint8_t kChannelRequired = 0x80;           // capability 2 b8
inline constexpr std::uint8_t kKeyStrongPskProprietary = 0x02;   // capability 3 / '87' b2
inline constexpr std::uint8_t kKeyExists = 0x80;                 // '87' b8
// '89': AES-128 CBC, AES-128 CMAC. CRC32 and DES options are never offered.
inline constexpr std::array<std::uint8_t, 2> kAlgorithmsAesCbcCmac{0x04, 0x04};

inline constexpr std::uint32_t kTagEndpoint = 0x82;
inline constexpr std::uint32_t kTagKeyAgreement = 0x87;
inline constexpr std::uint32_t kTagMsaId = 0x88;
inline constexpr std::uint32_t kTagAlgorithms = 0x89;
inline constexpr std::uint32_t kTagCsaId = 0x8B;
inline constexpr std::uint32_t kTagSscmac = 0x8D;
inline constexpr std::uint32_t kTagContainerSize = 0x8E;

struct Endpoint {
    std::uint8_t type = 0;              // 01 platform, 02 application
    std::uint8_t transports = 0;        // capability byte 1
    std::uint8_t channelTypes = 0;      // capability byte 2
    std::uint8_t keyAgreements = 0;     // capability byte 3
    std::uint8_t maxContainerSize = 0;  // capability byte 4
    std::uint16_t port = 0;
    Bytes aid;  // the endpoint identifier: the hosting application's AID

    [[nodiscard]] bool applicationLevel() const { return type == kEndpointApplication; }
    [[nodiscard]] bool apduInterface() const { return (transports & kTransportApdu) != 0; }
    [[nodiscard]] bool apduSecureChannel() const {
        return (channelTypes & kChannelApduSecureChannel) != 0;
    }
    [[nodiscard]] bool strongPskProprietary() const {
        return (keyAgreements & kKeyStrongPskProprietary) != 0;
    }
    // Concurrent connection SAs, from capability 2 b6-b5 (00: no information, read as 1).
    [[nodiscard]] unsigned maxConnectionSas() const { return 1 + ((channelTypes >> 4) & 0x03); }

    // The value of one '82' TLV. Throws ProtocolError if it is shorter than 7 bytes.
    static Endpoint parse(ByteView value);
};

struct UiccEndpoints {
    std::optional<Bytes> uiccId;  // '83'
    std::vector<Endpoint> endpoints;
};

// The response size (TLV 73 included) of a card that knows its ICCID and offers one endpoint,
// for an application of `aidSize` bytes: 73 L ‖ 83 0A ICCID ‖ 82 L capabilities(7) ‖ AID.
[[nodiscard]] std::size_t endpointsResponseSize(std::size_t aidSize);

// With `aid`, the response block is asked for with the size a card offering just that endpoint
// answers (endpointsResponseSize): one APDU under T=0; another answer costs a 6Cxx round.
[[nodiscard]] UiccEndpoints retrieveEndpoints(const Transaction& transaction, CardChannel& channel,
                                              ByteView aid = {});

// The endpoint whose identifier is `aid`, if this terminal can use it: application level, APDU
// interface, APDU secure channel, strong PSK proprietary pre-agreed, container size >= 32.
// Throws EndpointUnsupported naming what is missing.
[[nodiscard]] const Endpoint& usableEndpoint(const UiccEndpoints& endpoints, ByteView aid);

struct TerminalIdentity {
    std::string terminalId;       // 1..32 bytes
    std::string terminalAppliId;  // 1..32 bytes
};

struct MasterSa {
    Bytes msaId;                    // 16 bytes, chosen by the card
    std::uint8_t keyAgreement = 0;  // '87'
    Bytes uiccId;                   // UICC_ID '83' it was established for: EF_ICCID as stored
    Bytes aid;                      // UICC_appli_ID '84' it was established for
};

// `iccidRaw`: EF_ICCID as stored (10 bytes), as the endpoints' '83' gives it; `aid`: the
// M2M-SED's AID. Requires the card to offer strong PSK proprietary with an existing key
// ('87' = 82), EndpointUnsupported otherwise.
[[nodiscard]] MasterSa establishMasterSa(const Transaction& transaction, CardChannel& channel,
                                         const TerminalIdentity& identity, ByteView iccidRaw,
                                         ByteView aid);

struct ConnectionSa {
    Bytes csaId;          // 16 bytes, chosen by the card
    Bytes terminalNonce;  // 16 bytes
    Bytes uiccNonce;      // 16 bytes
};

// With a fresh random terminal nonce. An MSA_ID the card does not know: MasterSaUnknown.
[[nodiscard]] ConnectionSa establishConnectionSa(const Transaction& transaction,
                                                 CardChannel& channel, ByteView msaId);
// With the given nonce (known-answer tests).
[[nodiscard]] ConnectionSa establishConnectionSa(const Transaction& transaction,
                                                 CardChannel& channel, ByteView msaId,
                                                 ByteView terminalNonce);

// Sends CSA_ID, algorithms 04 04, the container size and the terminal SSCMAC; checks the
// UICC SSCMAC (constant time). AuthenticationFailed on either side's rejection.
void startSecureChannel(const Transaction& transaction, CardChannel& channel,
                        const profile::v1::SessionKeys& keys, ByteView csaId,
                        std::uint8_t containerSize);

void terminateConnectionSa(const Transaction& transaction, CardChannel& channel,
                           const profile::v1::SessionKeys& keys, ByteView csaId);
void terminateMasterSa(const Transaction& transaction, CardChannel& channel, ByteView kmsa,
                       ByteView msaId);

// The typed error for an MSC status word other than 9000 (6A88 to a connection SA:
// MasterSaUnknown).
[[noreturn]] void throwStepError(MscOperation operation, std::uint16_t sw);

}  // namespace securechannel::ts102484
