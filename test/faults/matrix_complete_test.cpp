// The matrix is whole: every procedure × fault pair either ran as checked cells or is marked not
// applicable with its reason, never both. Catch2 runs test cases in the order they register,
// which is the order of the files in meson.build: this file is listed last so that it sees every
// cell of the run. A filtered run (one test case, a tag) is not a whole matrix and is not judged.
#include <catch2/catch.hpp>

#include "matrix.hpp"

using namespace faults;

TEST_CASE("fault matrix: every procedure × fault pair is a checked cell or not applicable",
          "[faults][complete]") {
    if (Catch::getCurrentContext().getConfig()->hasTestFilters()) {
        SUCCEED("a filtered run: the matrix is judged only on a whole run");
        return;
    }
    const auto& cells = recorded();
    for (const auto& [procedure, fault] : missing(cells)) {
        FAIL_CHECK("not run: " << name(procedure) << " × " << name(fault));
    }
    for (const Cell& c : cells) {
        CAPTURE(std::string(name(c.procedure)), std::string(name(c.fault)), c.apdu);
        CHECK_FALSE(notApplicable(c.procedure, c.fault).has_value());
        CHECK(c.failedChecks.empty());
        // A defined end state in every column.
        CHECK_FALSE(c.error.empty());
        CHECK_FALSE(c.reached.empty());
        CHECK_FALSE(c.recovered.empty());
        CHECK_FALSE(c.data.empty());
        CHECK_FALSE(c.keys.empty());
    }
}
