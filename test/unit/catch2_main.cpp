#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

// The console reporter, plus one line per finished test case appended to $M2M_TEST_RESULTS:
// meson counts test binaries, while the runner's closing line counts test cases.
class CountingReporter : public Catch::ConsoleReporter {
public:
    using ConsoleReporter::ConsoleReporter;

    static std::string getDescription() {
        return "Console output, plus per-test-case results appended to $M2M_TEST_RESULTS";
    }

    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        ConsoleReporter::testCaseEnded(stats);
        if (const char* path = std::getenv("M2M_TEST_RESULTS")) {
            std::ofstream(path, std::ios::app)
                << (stats.totals.assertions.allOk() ? "pass" : "fail") << '\t'
                << stats.testInfo.name << '\n';
        }
    }
};

CATCH_REGISTER_REPORTER("m2m", CountingReporter)
