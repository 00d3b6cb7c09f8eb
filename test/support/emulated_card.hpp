// Test fixture: one emulated UICC (jCardSim behind vpcd) on a pcscd slot, started through the
// project's launcher and driven through its control port (tear, remove, insert, status).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace testsupport {

class EmulatedCard {
public:
    struct Options {
        int slot = 0;
        std::filesystem::path profile;  // default: $M2M_CARD_PROFILE or testdata/cards default
        std::filesystem::path image;    // default: a fresh file under the test's run dir
    };

    explicit EmulatedCard(Options options);
    EmulatedCard();
    ~EmulatedCard();
    EmulatedCard(const EmulatedCard&) = delete;
    EmulatedCard& operator=(const EmulatedCard&) = delete;

    const std::string& readerName() const { return reader_; }
    const std::filesystem::path& image() const { return options_.image; }

    // Sends one control line and returns the reply line; throws if the reply starts "error".
    std::string control(const std::string& line);
    nlohmann::json status();

    // Stops the JVM (state persisted in the image) and starts it again on the same image.
    void restart();
    // Waits until pcscd sees the card again (after a tear or `insert`).
    void waitInserted();
    // Waits (at most 5 s) until pcscd reports the reader empty; false if it never does.
    bool waitRemoved();

private:
    void start();
    void stop() noexcept;
    void waitPresentInPcscd();

    Options options_;
    std::string reader_;
    bool running_ = false;
};

// The directory tests may write into ($M2M_TEST_RUN_DIR or a temp dir).
std::filesystem::path runDir();

}  // namespace testsupport
