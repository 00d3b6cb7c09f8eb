#include "emulated_card.hpp"

#include "line_control.hpp"
#include "seuicc/pcsc.hpp"

#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

namespace testsupport {

namespace {

std::string env(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

std::string launcher() {
    return env("M2M_CARDSIM", "m2m-cardsim");
}

void run(const std::string& command) {
    if (std::system(command.c_str()) != 0) {
        throw std::runtime_error("command failed: " + command);
    }
}

}  // namespace

std::filesystem::path runDir() {
    std::filesystem::path dir = env("M2M_TEST_RUN_DIR", "");
    if (dir.empty()) {
        dir = std::filesystem::temp_directory_path() / "m2m-tests";
    }
    std::filesystem::create_directories(dir);
    return dir;
}

EmulatedCard::EmulatedCard() : EmulatedCard(Options{}) {}

EmulatedCard::EmulatedCard(Options options) : options_(std::move(options)) {
    if (options_.profile.empty()) {
        options_.profile = env("M2M_CARD_PROFILE", "");
    }
    if (options_.image.empty()) {
        std::random_device rd;
        options_.image = runDir() / ("card-" + std::to_string(rd()) + ".img");
        std::filesystem::remove(options_.image);
    }
    reader_ = "Virtual PCD 00 0" + std::to_string(options_.slot);
    start();
}

EmulatedCard::~EmulatedCard() {
    stop();
}

void EmulatedCard::start() {
    // A card left behind on this slot by a crashed earlier run would make the start fail.
    std::system((launcher() + " stop --slot " + std::to_string(options_.slot) + " >/dev/null 2>&1")
                    .c_str());
    std::string command = launcher() + " start --slot " + std::to_string(options_.slot) +
                          " --image '" + options_.image.string() + "'";
    if (!options_.profile.empty()) {
        command += " --profile '" + options_.profile.string() + "'";
    }
    run(command + " >/dev/null");
    running_ = true;
    waitPresentInPcscd();
}

void EmulatedCard::waitPresentInPcscd() {
    // The launcher returns once vpcd powered the card; pcscd may still be finishing its own
    // bookkeeping for a card that just left the same slot, so ask pcscd itself.
    seuicc::PcscContext context;
    if (!context.waitForCard(reader_, std::chrono::seconds(20))) {
        throw std::runtime_error("pcscd did not report a card in " + reader_);
    }
}

void EmulatedCard::stop() noexcept {
    if (running_) {
        running_ = false;
        std::system(
            (launcher() + " stop --slot " + std::to_string(options_.slot) + " >/dev/null").c_str());
        // The next card on this slot must not meet pcscd's memory of this one.
        try {
            waitRemoved();
        } catch (...) {
        }
    }
}

void EmulatedCard::restart() {
    stop();
    start();
}

std::string EmulatedCard::control(const std::string& line) {
    const std::string reply = lineExchange(35990 + options_.slot, line);
    if (reply.rfind("error", 0) == 0) {
        throw std::runtime_error("emulator refused '" + line + "': " + reply);
    }
    return reply;
}

nlohmann::json EmulatedCard::status() {
    return nlohmann::json::parse(control("status"));
}

void EmulatedCard::waitInserted() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        const auto s = status();
        if (s.value("state", "") == "inserted" && s.value("powered", false)) {
            waitPresentInPcscd();
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("the emulated card did not come back within 20 s");
}

bool EmulatedCard::waitRemoved() {
    // pcscd polls a vpcd reader about every 400 ms, so a removal shows up with that delay.
    seuicc::PcscContext context;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
        bool present = false;
        for (const auto& reader : context.listReaders()) {
            present = present || (reader.name == reader_ && reader.cardPresent);
        }
        if (!present) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace testsupport
