// apdu: the cost of one APDU on the card path (PC/SC, pcscd, the reader driver, the card), the
// floor under every card operation. The APDU is a SELECT of the M2M-SED's AID with P2 0C (no FCP
// back): the card does next to nothing, so what is measured is the path.
#include "benchmarks.hpp"

#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/pcsc.hpp"

namespace bench {

namespace {

using Clock = std::chrono::steady_clock;

seuicc::CommandApdu selectSed() {
    const auto& aid = seuicc::M2mSedClient::kAid;
    return {0x00, 0xA4, 0x04, 0x0C, base::Bytes(aid.begin(), aid.end()), std::nullopt};
}

seuicc::ApduCounters oneApdu(const seuicc::Transaction& tx, seuicc::CardChannel& channel) {
    const seuicc::ApduCounters before = channel.counters();
    channel.transmit(tx, selectSed()).requireOk("SELECT M2M-SED (P2 0C)");
    const seuicc::ApduCounters after = channel.counters();
    return {after.apdus - before.apdus, after.bytesSent - before.bytesSent,
            after.bytesReceived - before.bytesReceived};
}

// Samples of 40 ms and more: on the emulated card, TCP timers (see the note).
std::size_t atOrAbove40ms(const Series& s) {
    return static_cast<std::size_t>(
        std::count_if(s.ms.begin(), s.ms.end(), [](double ms) { return ms >= 39.5; }));
}

}  // namespace

Report apduCost(const std::optional<std::string>& reader, int count) {
    seuicc::PcscContext context;
    const std::string name = context.resolveReader(reader, std::nullopt);
    auto card = context.connect(name);
    seuicc::CardChannel basic(*card);

    Series inOne{"SELECT M2M-SED AID, P2 0C, inside one PC/SC transaction", "APDU"};
    Series eachOwn{
        "SELECT M2M-SED AID, P2 0C, each in a PC/SC transaction of its own (begin, "
        "transmit, end)",
        "APDU"};
    {
        const seuicc::Transaction tx(*card);
        oneApdu(tx, basic);  // warm-up: the first exchange of a connection
        for (int i = 0; i < count; ++i) {
            const auto start = Clock::now();
            const seuicc::ApduCounters traffic = oneApdu(tx, basic);
            inOne.add(traffic, msSince(start));
        }
    }
    for (int i = 0; i < count; ++i) {
        const auto start = Clock::now();
        seuicc::ApduCounters traffic;
        {
            const seuicc::Transaction tx(*card);
            traffic = oneApdu(tx, basic);
        }
        eachOwn.add(traffic, msSince(start));
    }

    Report report{"apdu", {inOne, eachOwn}};
    report.comparison = {
        {"samples_at_or_above_40ms_in_one_transaction",
         "samples at or above 40 ms, inside one transaction", atOrAbove40ms(inOne)},
        {"samples_at_or_above_40ms_each_own_transaction",
         "samples at or above 40 ms, a transaction each", atOrAbove40ms(eachOwn)},
    };
    report.notes.push_back(
        "on the emulated card (vpcd over TCP) a time that is a multiple of 40 ms is a TCP timer "
        "(delayed ACK meeting Nagle's algorithm), not the card; a real reader has no such timer");
    report.notes.push_back("reader: " + name);
    return report;
}

}  // namespace bench
