// m2m-bench: what the card interface costs, measured on the real stack (any PC/SC reader, the
// emulated UICC included): APDUs, bytes each way and wall time per operation, over N runs.
//   m2m-bench card-info      [--reader NAME] [--runs N] [--json]
//   m2m-bench secure-channel --kmsa-file FILE [--reader NAME] [--runs N] [--json]
//   m2m-bench tls-handshake  --url URL --key kmr|kbs --kmsa-file FILE --keys-file FILE
//                            [--resolve H:P:A]... [--reader NAME] [--runs N] [--json]
//     one card-held-PSK handshake + GET next to `openssl s_client -psk` with the same key in
//     memory (the key from the provisioning export), against the same server, in the same run
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include <cstdio>
#include <fstream>

#include "agent/card_session.hpp"
#include "provisioning/psk_identity.hpp"
#include "securechannel/terminal_se.hpp"
#include "securechannel/tls/psk_https_client.hpp"
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

        const base::Bytes seed(64, 0x5A);
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

struct HandshakeOptions {
    std::string url;
    std::string key = "kmr";
    std::string keysFile;
    std::vector<std::string> resolve;
};

// host and port of https://host[:port]/..., and the address --resolve maps them to.
struct Target {
    std::string host;
    std::string port = "443";
    std::string address;
};

Target targetOf(const HandshakeOptions& o) {
    Target t;
    const std::string rest = o.url.substr(o.url.find("://") + 3);
    const std::string authority = rest.substr(0, rest.find('/'));
    const auto colon = authority.find(':');
    t.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
        t.port = authority.substr(colon + 1);
    }
    t.address = t.host;
    for (const auto& r : o.resolve) {
        if (r.rfind(t.host + ":" + t.port + ":", 0) == 0) {
            t.address = r.substr(t.host.size() + t.port.size() + 2);
        }
    }
    return t;
}

std::vector<Series> tlsHandshake(const std::string& reader, const std::string& kmsaFile,
                                 const HandshakeOptions& o, int runs) {
    namespace tls = securechannel::tls;
    if (o.key != "kmr" && o.key != "kbs") {
        throw std::invalid_argument("--key must be kmr or kbs (the keys file has no Kmc)");
    }
    agent::CardSession card(agent::CardSession::Options{
        reader.empty() ? std::nullopt : std::optional(reader), kmsaFile});
    const auto status = card.open();
    if (!status.nodeId || !status.kmrIndex) {
        throw std::runtime_error("the card is not personalised");
    }
    const bool kmr = o.key == "kmr";
    const tls::PskKey psk{kmr ? provisioning::kmrIdentity(*status.nodeId, *status.kmrIndex)
                              : provisioning::kbsIdentity(*status.nodeId),
                          kmr ? seuicc::KeySlot::Kmr : seuicc::KeySlot::Kbs};
    tls::ClientOptions clientOptions;
    clientOptions.resolve = o.resolve;
    tls::PskHttpsClient client(clientOptions);
    tls::HttpRequest request;
    request.url = o.url;

    // Warm-up: the first run also sets up the secure channel; it is not a handshake's cost.
    card.run([](provisioning::CardOperations&) {});
    Series cardHeld{
        "card-held PSK (" + o.key + "): TLS handshake + GET, libcurl + card PRF", {}, {}};
    for (int i = 0; i < runs; ++i) {
        client.closeConnections();
        const auto before = card.info().traffic;
        const auto t = Clock::now();
        card.run([&](provisioning::CardOperations& keys) { client.perform(request, psk, keys); });
        cardHeld.ms.push_back(since(t));
        cardHeld.traffic = securechannel::ts102484::trafficBetween(before, card.info().traffic);
    }

    std::ifstream in(o.keysFile);
    const auto keys = nlohmann::json::parse(in);
    const std::string keyHex = keys.at(o.key).get<std::string>();
    const Target target = targetOf(o);
    // The key on a command line is visible to other local users: a bench with test keys only.
    const std::string command = "openssl s_client -brief -tls1_2 -connect " + target.address + ":" +
                                target.port + " -servername " + target.host + " -psk " + keyHex +
                                " -psk_identity " + psk.identity + " </dev/null 2>&1";
    Series inMemory{"openssl s_client -psk (key in memory): whole process, handshake", {}, {}};
    for (int i = 0; i < runs; ++i) {
        const auto t = Clock::now();
        FILE* pipe = ::popen(command.c_str(), "r");
        std::string out;
        char buffer[4096];
        while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
            out += buffer;
        }
        if (pipe != nullptr) {
            ::pclose(pipe);
        }
        inMemory.ms.push_back(since(t));
        if (out.find("CONNECTION ESTABLISHED") == std::string::npos) {
            throw std::runtime_error("openssl s_client did not complete the handshake:\n" + out);
        }
    }
    card.close();
    return {cardHeld, inMemory};
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
    HandshakeOptions handshake;
    auto* tlsCmd = app.add_subcommand(
        "tls-handshake", "a card-held-PSK handshake next to openssl s_client -psk, same server");
    tlsCmd->add_option("--url", handshake.url, "https://host:port/path")->required();
    tlsCmd->add_option("--key", handshake.key, "kmr or kbs")->required();
    tlsCmd->add_option("--keys-file", handshake.keysFile, "m2m provision --export-keys file")
        ->required();
    tlsCmd->add_option("--resolve", handshake.resolve, "HOST:PORT:ADDRESS (repeatable)");
    tlsCmd->add_option("--kmsa-file", kmsaFile, "Terminal Kmsa (0600)")->required();
    tlsCmd->add_option("--reader", reader, "PC/SC reader (default: first with a card)");
    tlsCmd->add_option("--runs", runs, "How many runs")->check(CLI::Range(1, 10000));
    tlsCmd->add_flag("--json", json, "JSON output");
    CLI11_PARSE(app, argc, argv);

    try {
        const auto series = app.got_subcommand("card-info") ? cardInfo(reader, runs)
                            : app.got_subcommand("tls-handshake")
                                ? tlsHandshake(reader, kmsaFile, handshake, runs)
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
