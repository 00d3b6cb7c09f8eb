// Precompiled for every test binary: Catch2's single header dominates their compile time.
#include <catch2/catch.hpp>
