#include <catch2/catch.hpp>

#include <algorithm>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/log.hpp"
#include "log_capture.hpp"

using namespace base;

TEST_CASE("a level spec sets each category, * the rest", "[log]") {
    log::configure("apdu=trace, pcsc=debug,*=warn");
    CHECK(base::log::kApdu->level() == spdlog::level::trace);
    CHECK(base::log::kPcsc->level() == spdlog::level::debug);
    CHECK(base::log::kCard->level() == spdlog::level::warn);
    CHECK(base::log::kNetsim->level() == spdlog::level::warn);
    // One logger per category, whichever copy of the constant names it.
    constexpr base::log::Category apdu = base::log::kApdu;
    CHECK(&*apdu == &*base::log::kApdu);

    log::configure("debug");  // a bare level is "*"
    CHECK(base::log::kApdu->level() == spdlog::level::debug);
    log::configure("");
    CHECK(base::log::kApdu->level() == spdlog::level::info);  // the default
}

TEST_CASE("a malformed level spec is rejected and changes nothing", "[log]") {
    log::configure("card=error");
    CHECK_THROWS_AS(log::configure("apdu=loud"), Error);
    CHECK_THROWS_AS(log::configure("=trace"), Error);
    CHECK_THROWS_AS(log::configure("verbose"), Error);
    // A category nobody declared is a typo, not a new category.
    CHECK_THROWS_WITH(log::configure("apud=trace"),
                      Catch::Contains("unknown category \"apud\"") && Catch::Contains("apdu"));
    CHECK(base::log::kCard->level() == spdlog::level::err);
    log::configure("");
}

TEST_CASE("categories log to every added sink with their name", "[log]") {
    LogCapture capture("card=debug");
    base::log::kCard->debug("hello {}", 42);
    base::log::kCard->trace("not shown");
    CHECK(capture.text() == "card debug hello 42\n");
}

TEST_CASE("every category is declared once, with its own name", "[log]") {
    std::vector<std::string_view> names;
    for (const auto& c : base::log::kCategories) {
        CHECK(c.index() == names.size());
        CHECK(c->name() == c.name());
        names.push_back(c.name());
    }
    std::sort(names.begin(), names.end());
    CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
}
