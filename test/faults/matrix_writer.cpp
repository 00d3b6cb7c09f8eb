// Writes the fault matrix when the test run ends: the markdown table of every cell that ran, to
// $M2M_FAULT_MATRIX_FILE (tools/scripts/fault-matrix.sh sets it), else <test run
// dir>/fault-matrix.md. A Catch2 listener, so the table is written whatever the cells' results (a
// failed check shows in its row).
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "emulated_card.hpp"
#include "matrix.hpp"

namespace {

class MatrixWriter : public Catch::TestEventListenerBase {
public:
    using TestEventListenerBase::TestEventListenerBase;

    void testRunEnded(const Catch::TestRunStats& stats) override {
        if (faults::recorded().empty()) {
            return;
        }
        const char* file = std::getenv("M2M_FAULT_MATRIX_FILE");
        const std::filesystem::path path = file != nullptr && *file != '\0'
                                               ? std::filesystem::path(file)
                                               : testsupport::runDir() / "fault-matrix.md";
        std::ofstream out(path, std::ios::trunc);
        out << faults::markdown(faults::recorded());
        std::cout << "fault matrix: " << faults::recorded().size() << " cells written to "
                  << path.string() << '\n';
        TestEventListenerBase::testRunEnded(stats);
    }
};

}  // namespace

CATCH_REGISTER_LISTENER(MatrixWriter)
