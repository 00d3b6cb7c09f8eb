// SecretBuffer (locked, non-dumpable, wiped memory), secureWipe, constantTimeEqual and
// hardenProcess().
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <ostream>
#include <type_traits>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "base/process.hpp"
#include "base/secret.hpp"

using base::Bytes;
using base::fromHex;
using base::SecretBuffer;

namespace {

// What the wipe observer saw: one entry per released buffer, true if it was all zero.
std::vector<bool> gWipes;
std::vector<std::size_t> gWipeSizes;
void recordWipe(const std::uint8_t* storage, std::size_t size) {
    gWipes.push_back(std::all_of(storage, storage + size, [](std::uint8_t b) { return b == 0; }));
    gWipeSizes.push_back(size);
}

struct WipeRecorder {
    WipeRecorder() {
        gWipes.clear();
        gWipeSizes.clear();
        base::testing::setWipeObserver(&recordWipe);
    }
    WipeRecorder(const WipeRecorder&) = delete;
    WipeRecorder& operator=(const WipeRecorder&) = delete;
    ~WipeRecorder() { base::testing::setWipeObserver(nullptr); }
};

template <typename T>
concept Streamable = requires(std::ostream& out, const T& value) {
    out << value;
};

}  // namespace

// The type itself forbids the ways a secret could leak by accident.
static_assert(!std::is_copy_constructible_v<SecretBuffer>);
static_assert(!std::is_copy_assignable_v<SecretBuffer>);
static_assert(std::is_nothrow_move_constructible_v<SecretBuffer>);
static_assert(std::is_nothrow_move_assignable_v<SecretBuffer>);
static_assert(!std::is_convertible_v<SecretBuffer, Bytes>);
static_assert(!std::is_convertible_v<const SecretBuffer&, base::ByteView>);
static_assert(!Streamable<SecretBuffer>);

TEST_CASE("SecretBuffer is a fixed-size, zero-initialised buffer", "[secret]") {
    SecretBuffer empty;
    CHECK(empty.empty());
    CHECK(empty.size() == 0);
    CHECK(empty.data() == nullptr);
    CHECK(empty.view().empty());

    SecretBuffer buffer(37);
    REQUIRE(buffer.size() == 37);
    REQUIRE(buffer.data() != nullptr);
    CHECK(std::all_of(buffer.view().begin(), buffer.view().end(), [](auto b) { return b == 0; }));
    buffer.mutableView()[36] = 0xA5;
    CHECK(buffer.view()[36] == 0xA5);

    const Bytes key = fromHex("000102030405060708090a0b0c0d0e0f");
    const SecretBuffer copy = SecretBuffer::copyOf(key);
    CHECK(copy.size() == key.size());
    CHECK(std::equal(key.begin(), key.end(), copy.view().begin(), copy.view().end()));
    CHECK(SecretBuffer::copyOf({}).empty());
}

TEST_CASE("SecretBuffer storage is page-aligned, locked and excluded from core dumps", "[secret]") {
    const SecretBuffer buffer(32);
    const auto address = reinterpret_cast<std::uintptr_t>(buffer.data());
    CHECK(address % static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE)) == 0);
    CHECK(buffer.isExcludedFromDumps());
    // Locking may be refused (no CAP_IPC_LOCK, RLIMIT_MEMLOCK); then the failure is counted.
    if (!buffer.isLocked()) {
        WARN("mlock refused in this environment; SecretBuffer runs unlocked");
        CHECK(base::secretMemoryStatus().lockFailures > 0);
    }
}

TEST_CASE("SecretBuffer counts an mlock refusal and still works", "[secret]") {
    // In a child without the right to lock memory: an unprivileged uid (if we are root) and
    // RLIMIT_MEMLOCK = 0. The child reports through its exit code.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
            ::_exit(10);
        }
        const rlimit none{0, 0};
        if (::setrlimit(RLIMIT_MEMLOCK, &none) != 0) {
            ::_exit(11);
        }
        const auto before = base::secretMemoryStatus();
        SecretBuffer first(16);
        SecretBuffer second(16);
        const auto after = base::secretMemoryStatus();
        first.mutableView()[15] = 0x5A;
        int code = 0;
        if (first.isLocked() || second.isLocked()) {
            code = 12;  // locked anyway: the child kept CAP_IPC_LOCK
        } else if (after.lockFailures != before.lockFailures + 2 || !after.degraded()) {
            code = 13;
        } else if (first.view()[15] != 0x5A || !first.isExcludedFromDumps()) {
            code = 14;
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    const int code = WEXITSTATUS(status);
    if (code == 10 || code == 12) {
        WARN("could not drop the right to lock memory (exit " << code
                                                              << "); refusal path not exercised");
    } else {
        CHECK(code == 0);
    }
}

TEST_CASE("SecretBuffer move steals the storage and leaves the source empty", "[secret]") {
    SecretBuffer source = SecretBuffer::copyOf(fromHex("00112233445566778899aabbccddeeff"));
    const std::uint8_t* storage = source.data();

    SECTION("move construction") {
        SecretBuffer target(std::move(source));
        CHECK(target.data() == storage);
        CHECK(target.size() == 16);
        CHECK(target.view()[15] == 0xFF);
        CHECK(source.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
        CHECK(source.data() == nullptr);
        CHECK(source.view().empty());
        CHECK_FALSE(source.isLocked());
    }
    SECTION("move assignment wipes what the target held") {
        SecretBuffer target = SecretBuffer::copyOf(fromHex("ffffffffffffffffffffffff"));
        const WipeRecorder recorder;
        target = std::move(source);
        REQUIRE(gWipes.size() == 1);
        CHECK(gWipes[0]);
        CHECK(gWipeSizes[0] == 12);
        CHECK(target.data() == storage);
        CHECK(source.empty());  // NOLINT(bugprone-use-after-move)
    }
    SECTION("self move assignment keeps the content") {
        SecretBuffer& alias = source;
        source = std::move(alias);
        CHECK(source.size() == 16);
        CHECK(source.view()[0] == 0x00);
        CHECK(source.view()[1] == 0x11);
    }
}

TEST_CASE("SecretBuffer is wiped before its storage is released", "[secret]") {
    const WipeRecorder recorder;
    {
        SecretBuffer buffer = SecretBuffer::copyOf(fromHex("deadbeefdeadbeefdeadbeefdeadbeef"));
        SecretBuffer moved(std::move(buffer));
        CHECK(gWipes.empty());  // moving does not release anything
    }
    REQUIRE(gWipes.size() == 1);  // one storage, released once
    CHECK(gWipes[0]);
    CHECK(gWipeSizes[0] == 16);

    { const SecretBuffer empty; }
    CHECK(gWipes.size() == 1);  // an empty buffer owns nothing
}

TEST_CASE("SecretBuffer::equals compares size and content", "[secret]") {
    const SecretBuffer a = SecretBuffer::copyOf(fromHex("0102030405"));
    CHECK(a.equals(SecretBuffer::copyOf(fromHex("0102030405"))));
    CHECK(a.equals(fromHex("0102030405")));
    CHECK_FALSE(a.equals(fromHex("0102030406")));
    CHECK_FALSE(a.equals(fromHex("01020304")));
    CHECK_FALSE(a.equals(fromHex("010203040500")));
    CHECK(SecretBuffer().equals(SecretBuffer()));
    CHECK_FALSE(SecretBuffer().equals(a));
}

TEST_CASE("hardenProcess makes the process non-dumpable with no core limit, idempotently",
          "[secret]") {
    // In a child, so the test binary itself stays debuggable.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int code = 0;
        try {
            base::hardenProcess();
            base::hardenProcess();
            rlimit core{};
            if (::prctl(PR_GET_DUMPABLE, 0L, 0L, 0L, 0L) != 0) {
                code = 2;
            } else if (::getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 ||
                       core.rlim_max != 0) {
                code = 3;
            }
        } catch (const base::HardeningError&) {
            code = 4;
        } catch (...) {
            code = 5;
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("SecretBuffer::takeFrom moves a plain vector into locked memory and wipes it",
          "[secret]") {
    Bytes source = fromHex("0102030405");
    const std::uint8_t* old = source.data();
    const SecretBuffer taken = SecretBuffer::takeFrom(source);
    CHECK(source.empty());
    CHECK(old[0] == 0);  // the capacity is still allocated: the wipe happened before clear()
    CHECK(taken.equals(fromHex("0102030405")));
    Bytes empty;
    CHECK(SecretBuffer::takeFrom(empty).empty());
}

TEST_CASE("secureWipe zeroes a buffer; constantTimeEqual compares size and content", "[secret]") {
    Bytes wiped = fromHex("FFFF");
    base::secureWipe(wiped);
    CHECK(wiped == Bytes{0, 0});
    base::secureWipe({});

    CHECK(base::constantTimeEqual(fromHex("0102"), fromHex("0102")));
    CHECK(base::constantTimeEqual({}, {}));
    CHECK_FALSE(base::constantTimeEqual(fromHex("0102"), fromHex("0103")));
    CHECK_FALSE(base::constantTimeEqual(fromHex("0001"), fromHex("000100")));
    CHECK_FALSE(base::constantTimeEqual(fromHex("80"), fromHex("00")));
}
