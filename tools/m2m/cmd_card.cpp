// `m2m card ...`: what a person wants to know about the UICC in a reader.
#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "seuicc/bytes.hpp"
#include "seuicc/uicc.hpp"

namespace m2m::cli {

namespace {

std::string secureChannelSupport(const seuicc::Atr& atr) {
    if (atr.platformSecuredApduRequired()) {
        return "required";
    }
    return atr.secureChannelSupported() ? "supported" : "not supported";
}

nlohmann::ordered_json countersJson(const seuicc::ApduCounters& c, double elapsedMs) {
    return {{"apdus", c.apdus},
            {"bytes_sent", c.bytesSent},
            {"bytes_received", c.bytesReceived},
            {"elapsed_ms", elapsedMs}};
}

Exit cardInfo(const CommonOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    auto connection = connect(options);
    const seuicc::CardInfo info = seuicc::readCardInfo(*connection.card);
    const double elapsedMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

    nlohmann::ordered_json result;
    result["reader"] = connection.readerName;
    result["atr"] = seuicc::toHex(info.atr.raw);
    result["atr_decoded"] = info.atr.describe();
    result["iccid"] = info.iccid;
    result["applications"] = nlohmann::ordered_json::array();
    for (const auto& app : info.applications) {
        result["applications"].push_back({{"aid", seuicc::toHex(app.aid)}, {"label", app.label}});
    }
    result["secure_channel"] = secureChannelSupport(info.atr);
    result["counters"] = countersJson(info.counters, elapsedMs);

    printResult(options, result, [&] {
        std::cout << "Reader:         " << connection.readerName << '\n'
                  << "ATR:            " << seuicc::toHex(info.atr.raw, true) << '\n';
        for (const auto& line : info.atr.describe()) {
            std::cout << "                " << line << '\n';
        }
        std::cout << "ICCID:          " << info.iccid << '\n'
                  << "Applications:   " << (info.applications.empty() ? "(none)" : "") << '\n';
        for (const auto& app : info.applications) {
            std::cout << "  " << seuicc::toHex(app.aid) << "  " << app.label << '\n';
        }
        std::cout << "Secure channel: " << secureChannelSupport(info.atr)
                  << " (TS 102 484, from the ATR)\n"
                  << "Cost:           " << info.counters.apdus << " APDUs, "
                  << info.counters.bytesSent << " bytes sent, " << info.counters.bytesReceived
                  << " bytes received, " << static_cast<long>(elapsedMs) << " ms\n";
    });
    return Exit::Ok;
}

}  // namespace

void addCardCommands(CLI::App& app, int& exitCode) {
    auto* card = app.add_subcommand("card", "Inspect the UICC");
    card->require_subcommand(1);

    auto options = std::make_shared<CommonOptions>();
    auto* info =
        card->add_subcommand("info", "ATR decoded, ICCID, applications, secure-channel support");
    addCommonOptions(*info, *options);
    info->callback([options, &exitCode] {
        exitCode = runGuarded(*options, [&] { return cardInfo(*options); });
    });
}

}  // namespace m2m::cli
