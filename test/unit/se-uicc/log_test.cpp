#include <catch2/catch.hpp>

#include "log_capture.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/log.hpp"

using namespace seuicc;

TEST_CASE("a level spec sets each category, * the rest", "[log]") {
    log::configure("apdu=trace, pcsc=debug,*=warn");
    CHECK(log::category("apdu")->level() == spdlog::level::trace);
    CHECK(log::category("pcsc")->level() == spdlog::level::debug);
    CHECK(log::category("card")->level() == spdlog::level::warn);
    // A category created after configure() gets the spec too.
    CHECK(log::category("test-later-layer")->level() == spdlog::level::warn);
    // The same name gives the same logger.
    CHECK(log::category("apdu") == log::category("apdu"));

    log::configure("debug");  // a bare level is "*"
    CHECK(log::category("apdu")->level() == spdlog::level::debug);
    log::configure("");
    CHECK(log::category("apdu")->level() == spdlog::level::info);  // the default
}

TEST_CASE("a malformed level spec is rejected and changes nothing", "[log]") {
    log::configure("card=error");
    CHECK_THROWS_AS(log::configure("apdu=loud"), Error);
    CHECK_THROWS_AS(log::configure("=trace"), Error);
    CHECK_THROWS_AS(log::configure("verbose"), Error);
    CHECK(log::category("card")->level() == spdlog::level::err);
    log::configure("");
}

TEST_CASE("categories log to every added sink with their name", "[log]") {
    LogCapture capture("card=debug");
    log::category("card")->debug("hello {}", 42);
    log::category("card")->trace("not shown");
    CHECK(capture.text() == "card debug hello 42\n");
}
