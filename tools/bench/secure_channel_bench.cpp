// secure-channel: what the TS 102 484 channel costs: setup, one secured round trip, terminate.
#include "benchmarks.hpp"

#include "securechannel/terminal_se.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/pcsc.hpp"
#include "seuicc/uicc.hpp"

namespace bench {

using Clock = std::chrono::steady_clock;

Report secureChannel(const std::optional<std::string>& reader, const std::string& kmsaFile,
                     int runs) {
    Series setup{"secure channel setup (endpoints, master SA, connection SA, start)"};
    Series roundTrip{"one secured round trip (COMPUTE MASTER SECRET)"};
    Series terminate{"terminate the connection SA"};
    securechannel::TerminalSecuredEnvironment::Options o;
    o.kmsaKeyFile = kmsaFile;
    securechannel::TerminalSecuredEnvironment tsed(std::move(o));
    seuicc::PcscContext context;
    const std::string name = context.resolveReader(reader, std::nullopt);
    auto card = context.connect(name);
    for (int i = 0; i < runs; ++i) {
        seuicc::Transaction tx(*card);
        const auto info = seuicc::readCardInfo(*card);
        seuicc::CardChannel basic(*card);
        auto channel = seuicc::CardChannel::open(tx, basic);
        seuicc::M2mSedClient sed(channel);
        sed.select(tx);

        auto t = Clock::now();
        auto session = tsed.openSession(tx, channel, info.iccidRaw, seuicc::M2mSedClient::kAid);
        setup.add(session->setupCost().total(), msSince(t));

        const base::Bytes seed(64, 0x5A);
        auto before = channel.counters();
        t = Clock::now();
        sed.computeMasterSecret(tx, *session, seuicc::KeySlot::Kmr, seuicc::MasterSecretMode::Plain,
                                seed);
        const double roundTripMs = msSince(t);
        roundTrip.add(securechannel::ts102484::trafficBetween(before, channel.counters()),
                      roundTripMs);

        before = channel.counters();
        t = Clock::now();
        session->terminate(tx);
        const double terminateMs = msSince(t);
        terminate.add(securechannel::ts102484::trafficBetween(before, channel.counters()),
                      terminateMs);
        channel.close(tx);
    }
    return {"secure-channel", {setup, roundTrip, terminate}};
}

}  // namespace bench
