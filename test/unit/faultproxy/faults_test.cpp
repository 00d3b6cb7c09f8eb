// The fault proxy's pieces without sockets: the control lines, where TLS application data lies
// in a stream, and how a connection counts its way to the point where a fault acts.
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "tls_records.hpp"

using namespace faultproxy;

namespace {

std::vector<std::uint8_t> record(std::uint8_t type, std::size_t length) {
    std::vector<std::uint8_t> r{type, 3, 3, static_cast<std::uint8_t>(length >> 8),
                                static_cast<std::uint8_t>(length & 0xFF)};
    r.resize(5 + length, 0xAB);
    return r;
}

std::vector<std::uint8_t> concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
    std::vector<std::uint8_t> out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

// Application-data bytes in the spans, and all bytes.
std::pair<std::size_t, std::size_t> tally(const std::vector<Span>& spans) {
    std::size_t data = 0;
    std::size_t all = 0;
    for (const auto& s : spans) {
        data += s.applicationData ? s.length : 0;
        all += s.length;
    }
    return {data, all};
}

}  // namespace

TEST_CASE("control lines: every command, its options, and refusals", "[faultproxy]") {
    CHECK(parseCommand("pass").kind == Command::Kind::Pass);
    CHECK(parseCommand("refuse").kind == Command::Kind::Refuse);
    CHECK(parseCommand("cut").kind == Command::Kind::Cut);
    CHECK(parseCommand(" status\r").kind == Command::Kind::Status);

    const Command reset = parseCommand("reset client 20 data times 2");
    REQUIRE(reset.kind == Command::Kind::Arm);
    CHECK(reset.fault.kind == FaultSpec::Kind::Reset);
    CHECK(reset.fault.direction == Direction::FromClient);
    CHECK(reset.fault.after == 20);
    CHECK(reset.fault.dataOnly);
    CHECK(reset.fault.times == 2);
    CHECK(reset.fault.text() == "reset client 20 data times 2");

    const Command truncate = parseCommand("truncate 7");
    CHECK(truncate.fault.kind == FaultSpec::Kind::Truncate);
    CHECK(truncate.fault.direction == Direction::FromServer);
    CHECK(truncate.fault.text() == "truncate 7");

    const Command delay = parseCommand("delay 1500 after 3 data");
    CHECK(delay.fault.kind == FaultSpec::Kind::Delay);
    CHECK(delay.fault.delay == std::chrono::milliseconds(1500));
    CHECK(delay.fault.after == 3);
    CHECK(delay.fault.text() == "delay 1500 after 3 data");

    for (const char* bad :
         {"", "reset", "reset both 3", "reset client x", "truncate -1", "truncate 3 after 2",
          "delay 10 times 0", "pass now", "refuse 1", "reset client 99999999999999", "jump"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(parseCommand(bad), std::invalid_argument);
    }
}

TEST_CASE("TLS records: application data found across any chunking", "[faultproxy]") {
    const auto stream = concat({record(22, 40), record(20, 1), record(22, 16), record(23, 30),
                                record(21, 2), record(23, 0), record(23, 3)});
    const std::size_t expectedData = (5 + 30) + 5 + (5 + 3);
    for (std::size_t chunk :
         {std::size_t{1}, std::size_t{3}, std::size_t{5}, std::size_t{17}, stream.size()}) {
        CAPTURE(chunk);
        TlsRecordTracker tracker;
        std::size_t data = 0;
        std::size_t all = 0;
        for (std::size_t at = 0; at < stream.size(); at += chunk) {
            const std::size_t n = std::min(chunk, stream.size() - at);
            const auto spans = tracker.feed(stream.data() + at, n);
            const auto [d, a] = tally(spans);
            CHECK(a == n);
            data += d;
            all += a;
        }
        CHECK(all == stream.size());
        CHECK(data == expectedData);
    }
}

TEST_CASE("TLS records: a stream that is not TLS is never application data", "[faultproxy]") {
    const std::string text = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    TlsRecordTracker tracker;
    const auto spans =
        tracker.feed(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    CHECK(tally(spans) == std::pair<std::size_t, std::size_t>{0, text.size()});
    // A record header that breaks the framing (version 9) stops the classification too.
    TlsRecordTracker broken;
    const auto bad = concat({record(22, 2), std::vector<std::uint8_t>{23, 9, 9, 0, 1, 0}});
    CHECK(tally(broken.feed(bad.data(), bad.size())).first == 0);
}

TEST_CASE("fault counter: acts at the first counted byte past N, counting again when re-armed",
          "[faultproxy]") {
    FaultSpec spec;
    spec.kind = FaultSpec::Kind::Reset;
    spec.after = 10;
    FaultCounter counter;
    const std::vector<Span> six{{0, 6, false}};
    CHECK_FALSE(counter.advance({spec, 1}, six).has_value());
    CHECK(counter.advance({spec, 1}, six) == std::optional<std::size_t>(4));
    // A new arming (generation 2) starts from zero again.
    CHECK_FALSE(counter.advance({spec, 2}, six).has_value());

    // Counting application data only: the handshake bytes pass uncounted.
    spec.dataOnly = true;
    spec.after = 5;
    FaultCounter data;
    const std::vector<Span> mixed{{0, 50, false}, {50, 20, true}};
    CHECK(data.advance({spec, 1}, mixed) == std::optional<std::size_t>(55));
    spec.after = 0;
    FaultCounter first;
    CHECK(first.advance({spec, 1}, mixed) == std::optional<std::size_t>(50));
}

TEST_CASE("fault board: a fault acts on `times` connections, then passes", "[faultproxy]") {
    FaultBoard board;
    CHECK_FALSE(board.current().has_value());
    FaultSpec spec = parseCommand("truncate 3 times 2").fault;
    board.arm(spec);
    const auto armed = board.current();
    REQUIRE(armed.has_value());
    CHECK(board.describe()->second == 2);
    CHECK(board.claim(armed->generation));
    CHECK(board.claim(armed->generation));
    CHECK_FALSE(board.claim(armed->generation));
    CHECK_FALSE(board.current().has_value());
    CHECK_FALSE(board.describe().has_value());
    CHECK(board.counters().truncations == 2);

    // A claim for an older arming does not spend the new one.
    board.arm(parseCommand("reset server 1").fault);
    const auto old = board.current()->generation;
    board.arm(parseCommand("reset server 2").fault);
    CHECK_FALSE(board.claim(old));
    CHECK(board.current().has_value());
    board.clear();
    CHECK_FALSE(board.current().has_value());
}
