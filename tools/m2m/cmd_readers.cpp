// `m2m readers`: the PC/SC readers pcscd knows, and whether each holds a card.
#include <iostream>

#include "base/bytes.hpp"
#include "base/text.hpp"
#include "commands.hpp"

namespace m2m::cli {

void addReadersCommand(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<CommonOptions>();
    auto* cmd = app.add_subcommand("readers", "List PC/SC readers and the cards in them");
    cmd->add_flag("--json", options->json, "Print one JSON object instead of text");
    cmd->add_option("--log", options->log, "Log levels per category, e.g. pcsc=debug");
    cmd->callback([options, &exitCode] {
        exitCode = runGuarded(*options, [&] {
            seuicc::PcscContext context;
            const auto readers = context.listReaders();
            nlohmann::ordered_json result;
            result["readers"] = nlohmann::ordered_json::array();
            for (std::size_t i = 0; i < readers.size(); ++i) {
                result["readers"].push_back({{"index", i},
                                             {"name", readers[i].name},
                                             {"card_present", readers[i].cardPresent},
                                             {"atr", base::toHex(readers[i].atr)}});
            }
            printResult(*options, result, [&] {
                for (std::size_t i = 0; i < readers.size(); ++i) {
                    std::cout << i << ": " << base::printable(readers[i].name);
                    if (readers[i].cardPresent) {
                        std::cout << "  [card] " << base::toHex(readers[i].atr);
                    } else {
                        std::cout << "  [empty]";
                    }
                    std::cout << '\n';
                }
            });
            return Exit::Ok;
        });
    });
}

}  // namespace m2m::cli
