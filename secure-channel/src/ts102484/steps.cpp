#include "securechannel/ts102484/steps.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include "base/big_endian.hpp"

#include <algorithm>
#include <stdexcept>

#include "base/log.hpp"
#include "securechannel/crypto.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/tlv.hpp"
#include "seuicc/uicc.hpp"

namespace securechannel::ts102484 {

namespace v1 = profile::v1;

namespace {

constexpr std::size_t kEndpointFixedSize = 7;  // type, 4 capability bytes, port
constexpr std::size_t kMaxAidSize = 16;

// Response sizes (TLV 73 included) of the steps whose response layout M2M-SED.md §5 fixes.
constexpr std::size_t kMasterSaResponseSize = 2 + 3 + 2 + v1::kSaIdSize;
constexpr std::size_t kConnectionSaResponseSize = 2 + 2 + v1::kSaIdSize + 2 + v1::kNonceSize;
constexpr std::size_t kStartResponseSize = 2 + 2 + v1::kFullMacSize;

constexpr std::uint16_t kSwAuthentication = 0x9862;
constexpr std::uint16_t kSwExpired = 0x9863;
constexpr std::uint16_t kSwNotFound = 0x6A88;

using base::append;

void appendTlv(Bytes& out, std::uint32_t tag, ByteView value) {
    append(out, seuicc::encodeTlv(tag, value));
}

std::vector<seuicc::Tlv> parseResponse(MscOperation operation, ByteView response) {
    try {
        return seuicc::parseTlvs(response);
    } catch (const seuicc::TlvError& e) {
        throw ProtocolError(
            fmt::format("{}: malformed response: {}", toString(operation), e.what()));
    }
}

// The value of the mandatory `tag` in `tlvs`, `size` bytes long.
ByteView requireField(MscOperation operation, const std::vector<seuicc::Tlv>& tlvs,
                      std::uint32_t tag, std::size_t size) {
    const auto it = std::find_if(tlvs.begin(), tlvs.end(),
                                 [tag](const seuicc::Tlv& t) { return t.tag == tag; });
    if (it == tlvs.end()) {
        throw ProtocolError(
            fmt::format("{}: the response has no '{:02X}'", toString(operation), tag));
    }
    if (it->value.size() != size) {
        throw ProtocolError(fmt::format("{}: '{:02X}' has {} bytes, not {}", toString(operation),
                                        tag, it->value.size(), size));
    }
    return it->value;
}

// Runs one step's exchange; an error status word becomes its typed error, and a step that must
// produce a response without one is a ProtocolError.
Bytes exchange(const Transaction& transaction, CardChannel& channel, MscOperation operation,
               std::optional<ByteView> payload, std::optional<std::size_t> expectedSize) {
    MscResult result = manageSecureChannel(transaction, channel, operation, payload, expectedSize);
    if (!result.ok()) {
        throwStepError(operation, result.sw);
    }
    if (!result.response) {
        throw ProtocolError(
            fmt::format("{}: the card finished with 9000 and no response", toString(operation)));
    }
    return std::move(*result.response);
}

void requireIdentity(const std::string& value, std::string_view what) {
    if (value.empty() || value.size() > v1::kMaxIdentityLength) {
        throw std::invalid_argument(
            fmt::format("{} must have 1..32 bytes, not {}", what, value.size()));
    }
}

}  // namespace

void throwStepError(MscOperation operation, std::uint16_t sw) {
    const std::string_view name = toString(operation);
    switch (sw) {
        case kSwAuthentication:
            throw AuthenticationFailed(
                fmt::format("{}: the card rejected the terminal's MAC (98 62): Kmsa differs, or "
                            "the MAC was damaged",
                            name),
                sw);
        case kSwExpired:
            throw SessionExpired(
                fmt::format("{}: the card says the security association expired (98 63)", name),
                sw);
        case kSwNotFound:
            if (operation == MscOperation::EstablishConnectionSa) {
                throw MasterSaUnknown(
                    fmt::format("{}: the card does not know this MSA_ID (6A88): a new master SA "
                                "is needed",
                                name),
                    sw);
            }
            [[fallthrough]];
        default:
            throw CardRefused(fmt::format("{}: the card answered {:04X} ({})", name, sw,
                                          seuicc::describeStatusWord(sw)),
                              sw);
    }
}

// --- Endpoints ---------------------------------------------------------------------------------

Endpoint Endpoint::parse(ByteView value) {
    if (value.size() < kEndpointFixedSize) {
        throw ProtocolError(
            fmt::format("endpoint information '82' has {} bytes, at least 7 needed", value.size()));
    }
    Endpoint e;
    e.type = value[0];
    e.transports = value[1];
    e.channelTypes = value[2];
    e.keyAgreements = value[3];
    e.maxContainerSize = value[4];
    e.port = static_cast<std::uint16_t>(base::readBigEndian(value.subspan(5, 2)));
    e.aid.assign(value.begin() + kEndpointFixedSize, value.end());
    return e;
}

std::size_t endpointsResponseSize(std::size_t aidSize) {
    return tlvSize(tlvSize(seuicc::kEfIccidSize) + tlvSize(kEndpointFixedSize + aidSize));
}

UiccEndpoints retrieveEndpoints(const Transaction& transaction, CardChannel& channel,
                                ByteView aid) {
    const MscOperation op = MscOperation::RetrieveEndpoints;
    const std::optional<std::size_t> expected =
        aid.empty() ? std::nullopt : std::optional(endpointsResponseSize(aid.size()));
    const Bytes response = exchange(transaction, channel, op, std::nullopt, expected);
    UiccEndpoints out;
    for (const seuicc::Tlv& tlv : parseResponse(op, response)) {
        if (tlv.tag == v1::kTagUiccId) {
            out.uiccId = tlv.value;
        } else if (tlv.tag == kTagEndpoint) {
            out.endpoints.push_back(Endpoint::parse(tlv.value));
        }
    }
    base::log::kSecureChannel->debug("UICC endpoints: {}", out.endpoints.size());
    return out;
}

const Endpoint& usableEndpoint(const UiccEndpoints& endpoints, ByteView aid) {
    const auto it = std::find_if(
        endpoints.endpoints.begin(), endpoints.endpoints.end(), [aid](const Endpoint& e) {
            return std::equal(e.aid.begin(), e.aid.end(), aid.begin(), aid.end());
        });
    if (it == endpoints.endpoints.end()) {
        throw EndpointUnsupported(
            fmt::format("the card offers no secure channel endpoint for AID {} ({} endpoints)",
                        base::toHex(aid), endpoints.endpoints.size()));
    }
    std::vector<std::string_view> missing;
    if (!it->applicationLevel()) {
        missing.push_back("an application-level endpoint (type 02)");
    }
    if (!it->apduInterface()) {
        missing.push_back("the APDU interface");
    }
    if (!it->apduSecureChannel()) {
        missing.push_back("the APDU secure channel");
    }
    if (!it->strongPskProprietary()) {
        missing.push_back("strong pre-shared key, proprietary pre-agreed");
    }
    if (it->maxContainerSize < v1::kMinContainerSize) {
        missing.push_back("a data container of at least 32 bytes");
    }
    if (!missing.empty()) {
        throw EndpointUnsupported(fmt::format("the endpoint for AID {} lacks {}", base::toHex(aid),
                                              fmt::join(missing, ", ")));
    }
    return *it;
}

// --- Security associations ---------------------------------------------------------------------

MasterSa establishMasterSa(const Transaction& transaction, CardChannel& channel,
                           const TerminalIdentity& identity, ByteView iccidRaw, ByteView aid) {
    requireIdentity(identity.terminalId, "Terminal_ID");
    requireIdentity(identity.terminalAppliId, "Terminal_appli_ID");
    if (iccidRaw.size() != seuicc::kEfIccidSize) {
        throw std::invalid_argument(
            fmt::format("UICC_ID: EF_ICCID has 10 bytes, not {}", iccidRaw.size()));
    }
    if (aid.empty() || aid.size() > kMaxAidSize) {
        throw std::invalid_argument(fmt::format("UICC_appli_ID: {}-byte AID", aid.size()));
    }
    const MscOperation op = MscOperation::EstablishMasterSa;
    Bytes payload;
    appendTlv(payload, v1::kTagTerminalId, asBytes(identity.terminalId));
    appendTlv(payload, v1::kTagTerminalAppliId, asBytes(identity.terminalAppliId));
    appendTlv(payload, v1::kTagUiccId, iccidRaw);
    appendTlv(payload, v1::kTagUiccAppliId, aid);
    const Bytes response = exchange(transaction, channel, op, payload, kMasterSaResponseSize);

    const auto tlvs = parseResponse(op, response);
    MasterSa sa;
    sa.uiccId.assign(iccidRaw.begin(), iccidRaw.end());
    sa.aid.assign(aid.begin(), aid.end());
    sa.keyAgreement = requireField(op, tlvs, kTagKeyAgreement, 1)[0];
    const ByteView msaId = requireField(op, tlvs, kTagMsaId, v1::kSaIdSize);
    sa.msaId.assign(msaId.begin(), msaId.end());
    if ((sa.keyAgreement & kKeyStrongPskProprietary) == 0 || (sa.keyAgreement & kKeyExists) == 0) {
        throw EndpointUnsupported(fmt::format(
            "{}: key agreement '87' = {:02X}; this terminal needs a pre-agreed strong PSK that "
            "exists (82): is Kmsa personalised in the card?",
            toString(op), sa.keyAgreement));
    }
    base::log::kSecureChannel->debug("master SA established, MSA_ID {}", base::toHex(sa.msaId));
    return sa;
}

ConnectionSa establishConnectionSa(const Transaction& transaction, CardChannel& channel,
                                   ByteView msaId) {
    const Bytes nonce = randomBytes(v1::kNonceSize);
    return establishConnectionSa(transaction, channel, msaId, nonce);
}

ConnectionSa establishConnectionSa(const Transaction& transaction, CardChannel& channel,
                                   ByteView msaId, ByteView terminalNonce) {
    if (msaId.size() != v1::kSaIdSize || terminalNonce.size() != v1::kNonceSize) {
        throw std::invalid_argument("establishConnectionSa: MSA_ID and nonce have 16 bytes");
    }
    const MscOperation op = MscOperation::EstablishConnectionSa;
    Bytes payload;
    appendTlv(payload, kTagMsaId, msaId);
    appendTlv(payload, v1::kTagTerminalNonce, terminalNonce);
    const Bytes response = exchange(transaction, channel, op, payload, kConnectionSaResponseSize);

    const auto tlvs = parseResponse(op, response);
    const ByteView csaId = requireField(op, tlvs, kTagCsaId, v1::kSaIdSize);
    const ByteView uiccNonce = requireField(op, tlvs, v1::kTagUiccNonce, v1::kNonceSize);
    base::log::kSecureChannel->debug("connection SA established, CSA_ID {}", base::toHex(csaId));
    return ConnectionSa{Bytes(csaId.begin(), csaId.end()),
                        Bytes(terminalNonce.begin(), terminalNonce.end()),
                        Bytes(uiccNonce.begin(), uiccNonce.end())};
}

void startSecureChannel(const Transaction& transaction, CardChannel& channel,
                        const v1::SessionKeys& keys, ByteView csaId, std::uint8_t containerSize) {
    if (containerSize < v1::kMinContainerSize) {
        throw std::invalid_argument(
            fmt::format("container size {} is below the minimum of 32", containerSize));
    }
    const MscOperation op = MscOperation::StartSecureChannel;
    const std::uint8_t size[] = {containerSize};
    Bytes payload;
    appendTlv(payload, kTagCsaId, csaId);
    appendTlv(payload, kTagAlgorithms, kAlgorithmsAesCbcCmac);
    appendTlv(payload, kTagContainerSize, size);
    appendTlv(payload, kTagSscmac,
              v1::terminalSscmac(keys, csaId, kAlgorithmsAesCbcCmac, containerSize));
    const Bytes response = exchange(transaction, channel, op, payload, kStartResponseSize);

    const auto tlvs = parseResponse(op, response);
    const ByteView received = requireField(op, tlvs, kTagSscmac, v1::kFullMacSize);
    const Bytes expected = v1::uiccSscmac(keys, csaId, kAlgorithmsAesCbcCmac, containerSize);
    if (!constantTimeEqual(expected, received)) {
        throw AuthenticationFailed(fmt::format(
            "{}: the UICC's SSCMAC is wrong: the card does not hold this Kmsa, or someone is "
            "in between; the connection SA is abandoned",
            toString(op)));
    }
    base::log::kSecureChannel->debug("secure channel started, container size {}", containerSize);
}

void terminateConnectionSa(const Transaction& transaction, CardChannel& channel,
                           const v1::SessionKeys& keys, ByteView csaId) {
    Bytes value(csaId.begin(), csaId.end());
    append(value, v1::connectionSaTerminateMac(keys, csaId));
    Bytes payload;
    appendTlv(payload, kTagCsaId, value);
    const MscResult result =
        manageSecureChannel(transaction, channel, MscOperation::TerminateSa, ByteView(payload));
    if (!result.ok()) {
        throwStepError(MscOperation::TerminateSa, result.sw);
    }
}

void terminateMasterSa(const Transaction& transaction, CardChannel& channel, ByteView kmsa,
                       ByteView msaId) {
    Bytes value(msaId.begin(), msaId.end());
    append(value, v1::masterSaTerminateMac(kmsa, msaId));
    Bytes payload;
    appendTlv(payload, kTagMsaId, value);
    const MscResult result =
        manageSecureChannel(transaction, channel, MscOperation::TerminateSa, ByteView(payload));
    if (!result.ok()) {
        throwStepError(MscOperation::TerminateSa, result.sw);
    }
}

}  // namespace securechannel::ts102484
