// m2m-bench: what the card interface costs, measured on the real stack (any PC/SC reader, the
// emulated UICC included): APDUs, bytes each way and wall time per operation, over N runs.
//   m2m-bench card-info      [--reader NAME] [--runs N] [--json]
//   m2m-bench secure-channel --kmsa-file FILE [--reader NAME] [--runs N] [--json]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "securechannel/terminal_se.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/pcsc.hpp"
#include "seuicc/uicc.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// One operation's samples: the traffic is the same every run, the wall time is not.
struct Series {
    std::string name;
    seuicc::ApduCounters traffic;
    std::vector<double> ms;

    nlohmann::ordered_json json() const {
        std::vector<double> sorted = ms;
        std::sort(sorted.begin(), sorted.end());
        return {{"operation", name},
                {"apdus", traffic.apdus},
                {"bytes_sent", traffic.bytesSent},
                {"bytes_received", traffic.bytesReceived},
                {"runs", sorted.size()},
                {"ms_min", sorted.front()},
                {"ms_median", sorted[sorted.size() / 2]},
                {"ms_max", sorted.back()}};
    }
};

double since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::vector<Series> cardInfo(const std::string& reader, int runs) {
    Series s{"m2m card info (connect + ATR, ICCID, EF_DIR)", {}, {}};
    seuicc::PcscContext context;
    const std::string name =
        context.resolveReader(reader.empty() ? std::nullopt : std::optional(reader), std::nullopt);
    for (int i = 0; i < runs; ++i) {
        const auto start = Clock::now();
        auto card = context.connect(name);
        const auto info = seuicc::readCardInfo(*card);
        s.ms.push_back(since(start));
        s.traffic = info.counters;
    }
    return {s};
}

std::vector<Series> secureChannel(const std::string& reader, const std::string& kmsaFile,
                                  int runs) {
    Series setup{"secure channel setup (endpoints, master SA, connection SA, start)", {}, {}};
    Series roundTrip{"one secured round trip (COMPUTE MASTER SECRET)", {}, {}};
    Series terminate{"terminate the connection SA", {}, {}};
    securechannel::TerminalSecuredEnvironment::Options o;
    o.kmsaKeyFile = kmsaFile;
    securechannel::TerminalSecuredEnvironment tsed(std::move(o));
    seuicc::PcscContext context;
    const std::string name =
        context.resolveReader(reader.empty() ? std::nullopt : std::optional(reader), std::nullopt);
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
        setup.ms.push_back(since(t));
        setup.traffic = session->setupCost().total();

        const seuicc::Bytes seed(64, 0x5A);
        auto before = channel.counters();
        t = Clock::now();
        sed.computeMasterSecret(tx, *session, seuicc::KeySlot::Kmr, seuicc::MasterSecretMode::Plain,
                                seed);
        roundTrip.ms.push_back(since(t));
        roundTrip.traffic = securechannel::ts102484::trafficBetween(before, channel.counters());

        before = channel.counters();
        t = Clock::now();
        session->terminate(tx);
        terminate.ms.push_back(since(t));
        terminate.traffic = securechannel::ts102484::trafficBetween(before, channel.counters());
        channel.close(tx);
    }
    return {setup, roundTrip, terminate};
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"m2m-bench: APDUs, bytes and wall time of card operations on the real stack"};
    app.require_subcommand(1);
    std::string reader, kmsaFile;
    int runs = 20;
    bool json = false;
    for (auto* cmd : {app.add_subcommand("card-info", "cost of `m2m card info`"),
                      app.add_subcommand("secure-channel",
                                         "cost of TS 102 484 setup, a round trip, terminate")}) {
        cmd->add_option("--reader", reader, "PC/SC reader (default: first with a card)");
        cmd->add_option("--runs", runs, "How many runs")->check(CLI::Range(1, 10000));
        cmd->add_flag("--json", json, "JSON output");
    }
    app.get_subcommand("secure-channel")
        ->add_option("--kmsa-file", kmsaFile, "Terminal Kmsa (0600)")
        ->required();
    CLI11_PARSE(app, argc, argv);

    try {
        const auto series = app.got_subcommand("card-info") ? cardInfo(reader, runs)
                                                            : secureChannel(reader, kmsaFile, runs);
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& s : series) {
            out.push_back(s.json());
        }
        if (json) {
            std::cout << out.dump(2) << '\n';
        } else {
            for (const auto& s : out) {
                std::cout << s["operation"].get<std::string>() << ": " << s["apdus"] << " APDUs, "
                          << s["bytes_sent"] << " B sent, " << s["bytes_received"]
                          << " B received; wall ms min/median/max " << s["ms_min"] << " / "
                          << s["ms_median"] << " / " << s["ms_max"] << " over " << s["runs"]
                          << " runs\n";
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "m2m-bench: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
