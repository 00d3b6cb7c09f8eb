// PC/SC through the real pcscd: readers, reader lookup, and the daemon not being there.
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <cstdlib>

#include "seuicc/errors.hpp"
#include "shared_card.hpp"

using namespace seuicc;
using testsupport::sharedCard;

TEST_CASE("pcscd lists the emulated reader with its card", "[integration][pcsc]") {
    auto& card = sharedCard();
    PcscContext context;
    const auto readers = context.listReaders();
    auto it = std::find_if(readers.begin(), readers.end(),
                           [&](const ReaderInfo& r) { return r.name == card.readerName(); });
    REQUIRE(it != readers.end());
    CHECK(it->cardPresent);
    CHECK(toHex(it->atr) == "3B9A96803FC7888031E073FE211382900000");
}

TEST_CASE("an unknown reader name is a typed error", "[integration][pcsc]") {
    sharedCard();
    PcscContext context;
    CHECK_THROWS_AS(context.connect("No Such Reader 99"), PcscReaderNotFound);
    CHECK_THROWS_AS(context.resolveReader(std::string("No Such Reader 99"), std::nullopt),
                    PcscReaderNotFound);
}

// Runs in a child process only (hidden tag): libpcsclite reads the daemon's socket path once per
// process, so the parent re-executes this binary with the socket pointing nowhere.
TEST_CASE("child: establish a context while no pcscd answers", "[.pcscd-child]") {
    try {
        PcscContext context;
        FAIL("a context was established without a daemon");
    } catch (const PcscServiceUnavailable& e) {
        CHECK(e.name() == "SCARD_E_NO_SERVICE");
        CHECK(e.explanation().find("pcscd") != std::string_view::npos);
    }
}

TEST_CASE("pcscd not running is a typed error with an explanation", "[integration][pcsc]") {
    // What a client sees when pcscd is not running, without stopping the daemon other tests share.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::setenv("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm", 1);
        ::unsetenv("M2M_TEST_RESULTS");  // the child's verdict is the parent's to count
        ::execl("/proc/self/exe", "integration-tests", "[.pcscd-child]", "-r", "compact",
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
