// The shipped systemd unit is one systemd accepts, and it hands Kmsa over as a credential.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "emulated_card.hpp"

TEST_CASE("the systemd unit passes systemd-analyze verify", "[systemd]") {
    const char* source = std::getenv("M2M_SOURCE_ROOT");
    const char* bin = std::getenv("M2M_BIN");
    REQUIRE(source != nullptr);
    REQUIRE(bin != nullptr);
    std::ifstream in(std::filesystem::path(source) / "tools/systemd/m2m-agent.service");
    std::stringstream text;
    text << in.rdbuf();
    const std::string unit = text.str();
    CHECK(unit.find("Type=notify") != std::string::npos);
    CHECK(unit.find("LoadCredential=kmsa:") != std::string::npos);
    CHECK(unit.find("LimitCORE=0") != std::string::npos);
    if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0) {
        WARN("systemd-analyze is not installed: the unit's syntax is not checked");
        return;
    }
    // The installed path does not exist here: check the same unit with the built binary.
    const auto dir = testsupport::runDir() / "systemd";
    std::filesystem::create_directories(dir);
    const auto copy = dir / "m2m-agent.service";
    std::ofstream(copy) << std::regex_replace(unit, std::regex("/usr/local/bin/m2m"), bin);
    const std::string command = "systemd-analyze verify --man=no '" + copy.string() + "' > '" +
                                (dir / "verify.log").string() + "' 2>&1";
    const int rc = std::system(command.c_str());
    std::ifstream log(dir / "verify.log");
    std::stringstream messages;
    messages << log.rdbuf();
    INFO(messages.str());
    CHECK(rc == 0);
}
