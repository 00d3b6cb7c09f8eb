// A check of a cell: a Catch2 CHECK that also notes the failure in the cell, so that the table
// written from the run shows it next to the outcome it contradicts.
#pragma once

#include <catch2/catch.hpp>

#define CELL_CHECK(cell, ...)                                   \
    do {                                                        \
        CHECK(__VA_ARGS__);                                     \
        if (!Catch::getResultCapture().lastAssertionPassed()) { \
            (cell).failedChecks.push_back(#__VA_ARGS__);        \
        }                                                       \
    } while (false)
