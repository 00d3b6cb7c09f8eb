// `m2m doctor`: walks the chain pcscd -> reader -> card -> UICC and says, in plain words, what
// is wrong and what to do about it. It never stops at the first exception: each link is a check.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "base/bytes.hpp"
#include "base/text.hpp"
#include "commands.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/uicc.hpp"

namespace m2m::cli {

namespace {

struct Check {
    std::string name;
    bool ok;
    std::string detail;
    std::string advice;
    Exit failure = Exit::Ok;
};

bool pcscdProcessRunning() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        std::ifstream comm(entry.path() / "comm");
        std::string name;
        if (comm && std::getline(comm, name) && name == "pcscd") {
            return true;
        }
    }
    return false;
}

Check checkCard(seuicc::PcscContext& context, const seuicc::ReaderInfo& reader) {
    Check check{"card in " + reader.name, false, "", ""};
    if (!reader.cardPresent) {
        check.detail = "no card in the reader";
        check.advice =
            "Insert the SIM. For the emulated UICC run `m2m-cardsim start` (it waits until the "
            "reader shows the card).";
        check.failure = Exit::NoCard;
        return check;
    }
    try {
        const auto atr = seuicc::Atr::parse(reader.atr);
        auto card = context.connect(reader.name);
        const auto info = seuicc::readCardInfo(*card);
        check.ok = true;
        check.detail = "UICC answers; ICCID " + info.iccid + ", " +
                       std::to_string(info.applications.size()) +
                       " application(s), secure channel " +
                       (atr.secureChannelSupported() ? "advertised" : "not advertised");
    } catch (const seuicc::PcscError& e) {
        check.detail = e.what();
        check.advice = std::string(e.explanation());
        check.failure = Exit::Communication;
    } catch (const seuicc::CardStatusError& e) {
        check.detail = e.what();
        check.advice =
            "The card answered but is not a UICC with an EF_DIR and EF_ICCID (a bare Java Card or "
            "a 2G SIM?).";
        check.failure = Exit::CardError;
    } catch (const seuicc::Error& e) {
        check.detail = e.what();
        check.advice = "The card's answer could not be decoded; run with --log apdu=trace.";
        check.failure = Exit::CardError;
    }
    return check;
}

std::vector<Check> diagnose() {
    std::vector<Check> checks;
    std::optional<seuicc::PcscContext> context;
    try {
        context.emplace();
        checks.push_back({"pcscd", true, "the PC/SC daemon answers", ""});
    } catch (const seuicc::PcscError& e) {
        Check check{"pcscd", false, e.what(), std::string(e.explanation()), Exit::ServiceDown};
        if (pcscdProcessRunning()) {
            check.advice =
                "A pcscd process runs but its socket cannot be reached: check PCSCLITE_CSOCK_NAME "
                "and "
                "the permissions of /run/pcscd/pcscd.comm.";
        }
        checks.push_back(check);
        return checks;
    }

    std::vector<seuicc::ReaderInfo> readers;
    try {
        readers = context->listReaders();
    } catch (const seuicc::PcscNoReaders&) {
    }
    if (readers.empty()) {
        checks.push_back({"readers", false, "pcscd knows no reader",
                          "Plug in a reader, or install the virtual reader driver for the emulated "
                          "UICC (apt install vsmartcard-vpcd) and restart pcscd.",
                          Exit::NoReader});
        return checks;
    }
    std::string names;
    for (const auto& r : readers) {
        names += (names.empty() ? "" : ", ") + r.name;
    }
    checks.push_back({"readers", true, std::to_string(readers.size()) + ": " + names, ""});

    bool anyCard = false;
    for (const auto& r : readers) {
        if (r.cardPresent) {
            anyCard = true;
            checks.push_back(checkCard(*context, r));
        }
    }
    if (!anyCard) {
        checks.push_back({"card", false, "no reader holds a card",
                          "Insert the SIM, or start the emulated UICC with `m2m-cardsim start`.",
                          Exit::NoCard});
    }
    return checks;
}

}  // namespace

void addDoctorCommand(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<CommonOptions>();
    auto* cmd = app.add_subcommand("doctor", "Check pcscd, readers and cards, and say what to fix");
    cmd->add_flag("--json", options->json, "Print one JSON object instead of text");
    cmd->add_option("--log", options->log, "Log levels per category, e.g. pcsc=debug");
    cmd->callback([options, &exitCode] {
        exitCode = runGuarded(*options, [&] {
            const auto checks = diagnose();
            Exit exit = Exit::Ok;
            nlohmann::ordered_json result;
            result["checks"] = nlohmann::ordered_json::array();
            for (const auto& c : checks) {
                result["checks"].push_back(
                    {{"check", c.name}, {"ok", c.ok}, {"detail", c.detail}, {"advice", c.advice}});
                if (!c.ok && exit == Exit::Ok) {
                    exit = c.failure;
                }
            }
            result["ok"] = exit == Exit::Ok;
            printResult(*options, result, [&] {
                for (const auto& c : checks) {
                    // Reader names, the ICCID and error messages come from outside.
                    std::cout << (c.ok ? "[ ok ] " : "[FAIL] ") << base::printable(c.name) << ": "
                              << base::printable(c.detail) << '\n';
                    if (!c.advice.empty()) {
                        std::cout << "       -> " << c.advice << '\n';
                    }
                }
            });
            return exit;
        });
    });
}

}  // namespace m2m::cli
