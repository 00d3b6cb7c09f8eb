// The fault matrix, personalisation: `m2m provision` on a factory-fresh emulated UICC with the
// card pulled out or its power cut at an APDU, or pcscd down; then the card's state, and a re-run
// that must finish the job (personalisation is re-runnable by design) with the keys the terminal
// and the network were given.
#include <fstream>

#include "cell_check.hpp"
#include "emulated_card.hpp"
#include "m2m_cli.hpp"
#include "matrix.hpp"
#include "pcscd.hpp"
#include "securechannel/crypto.hpp"

using namespace faults;
using testsupport::EmulatedCard;

namespace {

EmulatedCard::Options slot1() {
    EmulatedCard::Options o;
    o.slot = 1;
    return o;
}

std::filesystem::path freshDir(const std::string& name) {
    const auto dir = testsupport::runDir() / ("faults-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

std::string profile() {
    const char* dir = std::getenv("M2M_TESTDATA");
    return (std::filesystem::path(dir != nullptr ? dir : "testdata") / "profiles" / "test-sim.toml")
        .string();
}

testsupport::CliRun provision(const EmulatedCard& card, const std::filesystem::path& dir) {
    return testsupport::runM2m("provision --json --reader '" + card.readerName() + "' --profile '" +
                               profile() + "' --kmsa-file '" + (dir / "kmsa.key").string() +
                               "' --export-keys '" + (dir / "keys.json").string() + "'");
}

nlohmann::json parse(const std::string& text) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        return nlohmann::json::object();
    }
}

nlohmann::json cardStatus(const EmulatedCard& card, const std::string& extra = "") {
    return parse(
        testsupport::runM2m("card status --json --reader '" + card.readerName() + "' " + extra)
            .out);
}

std::string kcvOf(const nlohmann::json& keys, const char* name) {
    return base::toHex(
        securechannel::keyCheckValue(base::fromHex(keys.at(name).get<std::string>())));
}

std::string upper(std::string text) {
    for (auto& c : text) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return text;
}

// What the card holds after the cut: nothing of the profile, or all of it, locked.
std::string stateOf(const nlohmann::json& s) {
    if (s.value("lifecycle", "") == "INSTALLED" && s["node_id"].is_null() &&
        s["kmr_kcv"].is_null() && s["kmsa_kcv"].is_null()) {
        return "card blank (INSTALLED)";
    }
    if (s.value("lifecycle", "") == "LOCKED" && !s["node_id"].is_null() &&
        !s["kmr_kcv"].is_null() && !s["kmsa_kcv"].is_null() && !s["kbs_kcv"].is_null() &&
        !s["kiv_kcv"].is_null()) {
        return "card complete (LOCKED)";
    }
    return "card half-written: " + s.dump();
}

// The re-run's result and the keys' check: the secure channel works with the terminal's Kmsa
// file, and every KCV on the card is the one of the key exported for the network.
void finish(Cell& cell, const EmulatedCard& card, const std::filesystem::path& dir) {
    const auto rerun = provision(card, dir);
    CELL_CHECK(cell, rerun.exitCode == 0);
    const auto result = parse(rerun.out);
    const auto done = cardStatus(card, "--kmsa-file '" + (dir / "kmsa.key").string() + "'");
    CELL_CHECK(cell, done.value("lifecycle", "") == "LOCKED");
    cell.recovered = done.value("lifecycle", "?") + " by a re-run (" +
                     result.value("outcome", "no outcome") + ")";
    nlohmann::json keys = nlohmann::json::object();
    try {
        keys = nlohmann::json::parse(std::ifstream(dir / "keys.json"));
    } catch (const nlohmann::json::exception&) {
    }
    std::string problems;
    if (done.value("secure_channel", "") != "ok") {
        problems = "no secure channel with the Kmsa file";
    }
    for (const char* key : {"kmr", "kmsa", "kbs", "kiv"}) {
        const std::string onCard = upper(done.value(std::string(key) + "_kcv", std::string()));
        if (!keys.contains(key) || onCard != kcvOf(keys, key)) {
            problems += (problems.empty() ? "" : "; ") + std::string(key) + " KCV differs";
        }
    }
    CELL_CHECK(cell, problems.empty());
    cell.keys = problems.empty()
                    ? "consistent (secure channel with the Kmsa file; KCVs = the export)"
                    : problems;
    cell.data = "n/a";
    record(cell);
}

// The typed error of a failed run as `--json` gives it: "pcsc SCARD_W_REMOVED_CARD (exit 5)".
std::string errorOf(const testsupport::CliRun& run) {
    const auto e = parse(run.out).value("error", nlohmann::json::object());
    const std::string code = e.value("code", std::string());
    return e.value("type", std::string("untyped")) + (code.empty() ? "" : " " + code) + " (exit " +
           std::to_string(run.exitCode) + ")";
}

}  // namespace

TEST_CASE("fault matrix: personalisation with the card removed or its power cut at an APDU",
          "[faults][personalisation]") {
    // How many APDUs a clean run sends, as the card counts them and as the tool reports them.
    unsigned total = 0;
    {
        EmulatedCard card(slot1());
        const auto dir = freshDir("provision-clean");
        const auto before = card.status()["apdus"].get<unsigned>();
        const auto clean = provision(card, dir);
        REQUIRE(clean.exitCode == 0);
        total = card.status()["apdus"].get<unsigned>() - before;
        CHECK(parse(clean.out)["counters"]["apdus"] == total);
    }
    REQUIRE(total > 5);
    // Every APDU of a power cut is swept by the integration suite (personalisation_test.cpp);
    // here the first, the middle and the last, each way.
    for (const Fault fault : {Fault::PowerLoss, Fault::CardRemoved}) {
        for (const unsigned n : {1u, (total + 1) / 2, total}) {
            Cell cell{Procedure::Personalisation, fault, n, total};
            CAPTURE(std::string(name(fault)), n);
            EmulatedCard card(slot1());
            const auto dir = freshDir("provision");
            card.control("tear apdu " + std::to_string(n) +
                         (fault == Fault::CardRemoved ? " stay-out" : ""));
            const auto cut = provision(card, dir);
            CELL_CHECK(cell, cut.exitCode != 0);
            CELL_CHECK(cell,
                       parse(cut.out).value("error", nlohmann::json::object()).value("type", "") ==
                           "pcsc");
            cell.error = errorOf(cut);
            if (fault == Fault::CardRemoved) {
                // Out until put back: the tool says so, with its exit code for "no card".
                CELL_CHECK(cell, card.waitRemoved());
                const auto out =
                    testsupport::runM2m("card status --json --reader '" + card.readerName() + "'");
                CELL_CHECK(cell, out.exitCode == 5);
                card.control("insert");
            }
            card.waitInserted();
            CELL_CHECK(cell, card.status()["tears"] == 1);
            cell.reached = stateOf(cardStatus(card));
            CELL_CHECK(cell, cell.reached.rfind("card half-written", 0) != 0);
            finish(cell, card, dir);
        }
    }
}

TEST_CASE("fault matrix: personalisation with pcscd restarted",
          "[faults][personalisation][pcscd]") {
    EmulatedCard card(slot1());
    const auto dir = freshDir("provision-pcscd");
    Cell cell{Procedure::Personalisation, Fault::PcscdRestarted};
    {
        testsupport::PcscdOutage outage;
        const auto down = provision(card, dir);
        CELL_CHECK(cell, down.exitCode == 3);  // pcscd not running
        cell.error = errorOf(down);
        outage.restore();
    }
    card.waitInserted();
    cell.reached = stateOf(cardStatus(card));
    CELL_CHECK(cell, cell.reached == "card blank (INSTALLED)");
    finish(cell, card, dir);
}
