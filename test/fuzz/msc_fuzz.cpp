// The TS 102 484 setup as the card answers it (secure-channel/src/ts102484/steps.cpp, codec.cpp):
// the first input byte picks a step, the rest is the card's answers (scripted_card.hpp) to that
// step's MANAGE SECURE CHANNEL exchange: retrieve endpoints (with and without the AID's expected
// size), master SA, connection SA, start (fixed keys: the card's SSCMAC is checked), terminate.
// Whatever the card answers, the terminal must end with a typed error of the secure channel (or
// the card library's ApduFormatError / CardStatusError for a broken APDU exchange), never with
// anything else, a loop or unbounded memory.
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "scripted_card.hpp"
#include "securechannel/ts102484/steps.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/m2m_sed_client.hpp"

namespace {

using namespace securechannel::ts102484;
namespace v1 = securechannel::profile::v1;

const base::Bytes kAid(seuicc::M2mSedClient::kAid.begin(), seuicc::M2mSedClient::kAid.end());
const base::Bytes kKmsa = base::fromHex("404142434445464748494A4B4C4D4E4F");
const base::Bytes kIccid = base::fromHex("98882101000000000081");
const base::Bytes kId16 = base::fromHex("000102030405060708090A0B0C0D0E0F");

void endpoints(const seuicc::Transaction& tx, seuicc::CardChannel& channel, bool withAid) {
    const UiccEndpoints found = retrieveEndpoints(tx, channel, withAid ? kAid : base::Bytes{});
    for (const Endpoint& e : found.endpoints) {
        static_cast<void>(e.maxConnectionSas());
    }
    const Endpoint& usable = usableEndpoint(found, kAid);
    if (usable.aid != kAid || usable.maxContainerSize < v1::kMinContainerSize) {
        throw std::logic_error("usableEndpoint accepted an endpoint it must refuse");
    }
}

void step(std::uint8_t which, const seuicc::Transaction& tx, seuicc::CardChannel& channel) {
    const auto keys = v1::deriveSessionKeys(kKmsa, kId16, kId16, kId16);
    switch (which % 7) {
        case 0:
            return endpoints(tx, channel, true);
        case 1:
            return endpoints(tx, channel, false);
        case 2: {
            const MasterSa sa =
                establishMasterSa(tx, channel, {"fuzz-terminal", "m2m-agent"}, kIccid, kAid);
            if (sa.msaId.size() != v1::kSaIdSize) {
                throw std::logic_error("establishMasterSa: an MSA_ID of another size");
            }
            return;
        }
        case 3: {
            const ConnectionSa sa = establishConnectionSa(tx, channel, kId16, kId16);
            if (sa.csaId.size() != v1::kSaIdSize || sa.uiccNonce.size() != v1::kNonceSize) {
                throw std::logic_error("establishConnectionSa: a field of another size");
            }
            return;
        }
        case 4:
            return startSecureChannel(tx, channel, keys, kId16, 0xFF);
        case 5:
            return terminateConnectionSa(tx, channel, keys, kId16);
        default:
            return terminateMasterSa(tx, channel, kKmsa, kId16);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    fuzz::withScriptedCard(
        data, size,
        [](std::uint8_t which, const seuicc::Transaction& tx, seuicc::CardChannel& channel) {
            try {
                step(which, tx, channel);
            } catch (const securechannel::SecureChannelError&) {
            } catch (const seuicc::ApduFormatError&) {
            } catch (const seuicc::CardStatusError&) {
            }
        });
    // The TLV helpers of the codec on the raw input as well.
    const auto raw = fuzz::bytes(data, size);
    const auto announced = announcedTlvSize(raw, 0x73);
    const auto value = exactTlvValue(raw, 0x73);
    if (value && (!announced || *announced != size)) {
        throw std::logic_error("exactTlvValue and announcedTlvSize disagree");
    }
    try {
        static_cast<void>(Endpoint::parse(raw));
    } catch (const securechannel::ProtocolError&) {
    }
    return 0;
}
