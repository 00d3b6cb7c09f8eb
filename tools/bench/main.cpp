// m2m-bench: what the card interface costs, measured on the real stack (any PC/SC reader, the
// emulated UICC included): APDUs, bytes each way and wall time per operation, over N runs.
//   m2m-bench card-info      [--reader NAME] [--runs N] [--json]
//   m2m-bench secure-channel --kmsa-file FILE [--reader NAME] [--runs N] [--json]
//   m2m-bench apdu           [--reader NAME] [--count N] [--json]
//   m2m-bench tls-handshake  --url URL --key kmr|kbs --kmsa-file FILE --keys-file FILE
//                            [--resolve H:P:A]... [--reader NAME] [--runs N] [--json]
//   m2m-bench integrity      --admin-code-file FILE --work-dir DIR [--file-mib N]
//                            [--reader NAME] [--runs N] [--json]     (a fresh IV-SED)
//   m2m-bench relay          --direct KEY,CONN_URL,MID_URL --relayed KEY,CONN_URL,MID_URL
//                            [--resolve H:P:A]... [--runs N] [--json]   (software devices)
#include <CLI/CLI.hpp>
#include <iostream>

#include "base/process.hpp"
#include "benchmarks.hpp"

int main(int argc, char** argv) {
    // secure-channel and tls-handshake hold Kmsa, session keys and (the in-memory baseline) a
    // Kmr or Kbs: no core dumps, no ptrace, from the start.
    try {
        base::hardenProcess();
    } catch (const std::exception& e) {
        std::cerr << "m2m-bench: " << e.what() << '\n';
        return 1;
    }
    CLI::App app{"m2m-bench: APDUs, bytes and wall time of card operations on the real stack"};
    app.require_subcommand(1);
    std::string reader;
    std::string kmsaFile;
    int runs = 20;
    bool json = false;

    auto* cardInfo = app.add_subcommand("card-info", "cost of `m2m card info`");
    auto* secureChannel =
        app.add_subcommand("secure-channel", "cost of TS 102 484 setup, a round trip, terminate");
    auto* apdu = app.add_subcommand(
        "apdu", "cost of one cheap APDU, inside one PC/SC transaction and in one each");
    bench::HandshakeOptions handshake;
    auto* tlsHandshake = app.add_subcommand(
        "tls-handshake",
        "a TLS-PSK handshake with the key in the card against the same client with the key in "
        "memory, same server, alternating");
    bench::IntegrityOptions integrity;
    auto* integrityCmd = app.add_subcommand(
        "integrity",
        "integrity validation on the IV-SED (manifest loading, one report, VERIFY DECISION, its "
        "secure channel) next to the same report signed in memory; personalises a fresh IV-SED");
    integrityCmd
        ->add_option("--admin-code-file", integrity.adminCodeFile,
                     "The IV-SED's administrative code (8 bytes, hex, 0600)")
        ->required();
    integrityCmd
        ->add_option("--work-dir", integrity.workDir,
                     "Where the measured files and Kmsa_iv are written")
        ->required();
    integrityCmd->add_option("--file-mib", integrity.fileMib, "Size of each measured file (MiB)")
        ->check(CLI::Range(1, 256));
    bench::RelayOptions relayOptions;
    std::vector<std::string> directPath;
    std::vector<std::string> relayedPath;
    auto* relay = app.add_subcommand(
        "relay",
        "the gateway's added latency: a software device posting contentInstances through the "
        "gateway against one posting to the NSCL directly, alternating");
    relay
        ->add_option("--direct", directPath, "KEY_FILE,CONNECTION_URL,MID_URL of the direct device")
        ->delimiter(',')
        ->expected(3)
        ->required();
    relay
        ->add_option("--relayed", relayedPath,
                     "KEY_FILE,CONNECTION_URL,MID_URL of the device behind the gateway")
        ->delimiter(',')
        ->expected(3)
        ->required();
    relay->add_option("--resolve", relayOptions.resolve, "HOST:PORT:ADDRESS (repeatable)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    relay->add_option("--runs", runs, "How many posts per device")->check(CLI::Range(1, 100000));
    relay->add_flag("--json", json, "JSON output");
    for (auto* cmd : {cardInfo, secureChannel, apdu, tlsHandshake, integrityCmd}) {
        cmd->add_option("--reader", reader, "PC/SC reader (default: first with a card)");
        cmd->add_flag("--json", json, "JSON output");
    }
    for (auto* cmd : {cardInfo, secureChannel, tlsHandshake, integrityCmd}) {
        cmd->add_option("--runs", runs, "How many runs")->check(CLI::Range(1, 10000));
    }
    apdu->add_option("--count", runs, "How many APDUs in each mode")->check(CLI::Range(1, 100000));
    for (auto* cmd : {secureChannel, tlsHandshake}) {
        cmd->add_option("--kmsa-file", kmsaFile, "Terminal Kmsa (0600)")->required();
    }
    tlsHandshake->add_option("--url", handshake.url, "https://host:port/path")->required();
    tlsHandshake->add_option("--key", handshake.key, "kmr or kbs")
        ->required()
        ->check(CLI::IsMember({"kmr", "kbs"}));
    tlsHandshake
        ->add_option("--keys-file", handshake.keysFile,
                     "m2m provision --export-keys file: the same key, for the in-memory variant")
        ->required();
    tlsHandshake->add_option("--resolve", handshake.resolve, "HOST:PORT:ADDRESS (repeatable)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    CLI11_PARSE(app, argc, argv);

    try {
        const std::optional<std::string> readerName =
            reader.empty() ? std::nullopt : std::optional(reader);
        bench::Report report =
            app.got_subcommand(cardInfo)        ? bench::cardInfo(readerName, runs)
            : app.got_subcommand(secureChannel) ? bench::secureChannel(readerName, kmsaFile, runs)
            : app.got_subcommand(apdu)          ? bench::apduCost(readerName, runs)
            : app.got_subcommand(integrityCmd)  ? bench::integrity(readerName, integrity, runs)
            : app.got_subcommand(relay)
                ? bench::relay(
                      [&] {
                          relayOptions.direct = {directPath.at(0), directPath.at(1),
                                                 directPath.at(2)};
                          relayOptions.relayed = {relayedPath.at(0), relayedPath.at(1),
                                                  relayedPath.at(2)};
                          return relayOptions;
                      }(),
                      runs)
                : bench::tlsHandshake(readerName, kmsaFile, handshake, runs);
        // Wall times on a shared machine move with its load: say what it was.
        if (const auto load = bench::loadAverage()) {
            report.notes.push_back("load average (1 min) at the end: " + *load);
        }
        if (json) {
            std::cout << report.json().dump(2) << '\n';
        } else {
            report.printText(std::cout);
        }
    } catch (const std::exception& e) {
        std::cerr << "m2m-bench: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
