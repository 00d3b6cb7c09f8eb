// `m2m apdu HEX...`: raw APDUs for people who know what they send, in one PC/SC transaction.
#include <iostream>

#include "base/bytes.hpp"
#include "commands.hpp"
#include "seuicc/apdu.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/errors.hpp"

namespace m2m::cli {

namespace {

// Warnings (62xx, 63xx) and the ETSI "more data" family still mean the command was processed.
bool isProcessed(std::uint16_t sw) {
    const unsigned sw1 = sw >> 8;
    return sw1 == 0x90 || sw1 == 0x91 || sw1 == 0x92 || sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63;
}

struct ApduOptions {
    CommonOptions common;
    std::vector<std::string> apdus;
};

Exit sendApdus(const ApduOptions& options) {
    std::vector<seuicc::CommandApdu> commands;
    for (const auto& hex : options.apdus) {
        commands.push_back(seuicc::CommandApdu::parse(base::fromHex(hex)));
    }
    auto connection = connect(options.common);
    seuicc::Transaction transaction(*connection.card);
    seuicc::ApduCounters total;

    nlohmann::ordered_json result;
    result["reader"] = connection.readerName;
    result["exchanges"] = nlohmann::ordered_json::array();
    std::uint16_t lastSw = 0x9000;
    for (const auto& command : commands) {
        // The channel the person typed into CLA is the one the command goes out on.
        seuicc::CardChannel channel(*connection.card, seuicc::channelOfCla(command.cla));
        const seuicc::ResponseApdu response = channel.transmit(transaction, command);
        total += channel.counters();
        lastSw = response.sw;
        char sw[5];
        std::snprintf(sw, sizeof sw, "%04X", response.sw);
        result["exchanges"].push_back({{"command", base::toHex(command.encode())},
                                       {"response", base::toHex(response.data)},
                                       {"sw", sw},
                                       {"status", seuicc::describeStatusWord(response.sw)}});
        if (!options.common.json) {
            std::cout << "> " << base::toHex(command.encode(), true) << '\n';
            if (!response.data.empty()) {
                std::cout << "< " << base::toHex(response.data, true) << '\n';
            }
            std::cout << "< " << sw << "  " << seuicc::describeStatusWord(response.sw) << '\n';
        }
    }
    result["counters"] = {{"apdus", total.apdus},
                          {"bytes_sent", total.bytesSent},
                          {"bytes_received", total.bytesReceived}};
    printResult(options.common, result, [] {});
    return isProcessed(lastSw) ? Exit::Ok : Exit::CardError;
}

}  // namespace

void addApduCommand(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<ApduOptions>();
    auto* cmd = app.add_subcommand("apdu",
                                   "Send command APDUs (hex) in one transaction; 61xx/6Cxx "
                                   "handled, trace with --log apdu=trace");
    cmd->add_option("APDU", options->apdus, "Command APDUs as hex, e.g. 00A4000C023F00")
        ->required();
    addCommonOptions(*cmd, options->common);
    cmd->callback([options, &exitCode] {
        exitCode = runGuarded(options->common, [&] { return sendApdus(*options); });
    });
}

}  // namespace m2m::cli
