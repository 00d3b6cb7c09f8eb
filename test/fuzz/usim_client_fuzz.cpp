// The USIM's answers as UsimClient reads them (se-uicc/src/usim_client.cpp): the first input byte
// picks an operation, the rest is the card's answers (scripted_card.hpp). Whatever the card
// answers, the client must end with a typed error of the card library (UsimMalformedResponse,
// a CardStatusError, a TlvError from the FCP), never anything else. EF_GBABP's and EF_IMSI's
// decoders run on the raw input as well.
#include <cstdint>
#include <stdexcept>

#include "fuzz_support.hpp"
#include "scripted_card.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/usim_client.hpp"

namespace {

const base::Bytes kRand(16, 0x23);
const base::Bytes kAutn(16, 0x55);
const base::Bytes kNafId = base::fromHex("6E61662E6578616D706C650100000002");

void checkOutcome(const seuicc::AkaOutcome& out, bool gba) {
    if (out.kind == seuicc::AkaOutcome::Kind::SyncFailure) {
        if (out.auts.size() != seuicc::UsimClient::kAutsSize) {
            throw std::logic_error("AUTS of another size accepted");
        }
    } else if (!gba && (out.ck.size() != 16 || out.ik.size() != 16)) {
        throw std::logic_error("CK/IK of another size accepted");
    }
}

void run(std::uint8_t which, const seuicc::Transaction& tx, seuicc::UsimClient& usim) {
    switch (which % 7) {
        case 0:
            return checkOutcome(usim.authenticate3g(tx, kRand, kAutn), false);
        case 1:
            return checkOutcome(usim.authenticateGbaBootstrap(tx, kRand, kAutn), true);
        case 2:
            if (usim.nafDerivation(tx, kNafId, "001010123456789@ims.example").size() != 32) {
                throw std::logic_error("Ks_ext_NAF of another size accepted");
            }
            return;
        case 3:
            static_cast<void>(usim.readImsi(tx));
            return;
        case 4:
            static_cast<void>(usim.readGbaBp(tx));
            return;
        case 5:
            static_cast<void>(usim.status(tx));
            return;
        default:
            return usim.select(tx);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    fuzz::withScriptedCard(
        data, size,
        [](std::uint8_t which, const seuicc::Transaction& tx, seuicc::CardChannel& channel) {
            seuicc::UsimClient usim(channel);
            try {
                run(which, tx, usim);
            } catch (const seuicc::Error&) {
            }
        });
    const auto raw = fuzz::bytes(data, size);
    static_cast<void>(seuicc::decodeImsi(raw));
    try {
        static_cast<void>(seuicc::GbaBootstrapParams::parse(raw));
    } catch (const seuicc::UsimMalformedResponse&) {
    }
    return 0;
}
