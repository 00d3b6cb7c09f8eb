#include "fault_lab.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "cell_check.hpp"
#include "m2m_cli.hpp"

namespace faults {

namespace {

std::string upper(std::string text) {
    for (auto& c : text) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return text;
}

std::string text(const nlohmann::json& value) {
    if (value.is_string()) {
        return value.get<std::string>();
    }
    return value.is_null() ? "none" : value.dump();
}

unsigned apdusOf(const nlohmann::json& status, const std::string& procedure, const char* which) {
    return status["counters"]["procedures"][procedure][which]["apdus"].get<unsigned>();
}

// The fault's own failure, "PcscTransmitFailed (card_lost)". What the retries meet after it (the
// card still out, the network still down) depends on timing: checked as typed, not shown, so that
// the table is the same from one run to the next.
std::string errorOf(const Failure& first) {
    return first.type + " (" + first.cause + ")";
}

}  // namespace

std::vector<Failure> failuresIn(const std::string& agentLog) {
    static const std::regex failed(R"((\w+) failed: .*\(type (\S+), cause (\w+)\)\s*$)");
    static const std::regex retrying(R"(retrying (\w+) in )");
    static const std::regex failedState(R"(state: failed\b)");
    std::vector<Failure> out;
    std::istringstream in(agentLog);
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
        if (std::regex_search(line, m, failed)) {
            out.push_back({m[1].str(), m[2].str(), m[3].str(), ""});
        } else if (!out.empty() && out.back().next.empty()) {
            if (std::regex_search(line, m, retrying)) {
                out.back().next = m[1].str();
            } else if (std::regex_search(line, failedState)) {
                out.back().next = "failed";
            }
        }
    }
    return out;
}

FaultLab::FaultLab() {
    lab_.importCard();
    lab_.network().start();
    const auto dir = lab_.keysFile().parent_path() / "proxies";
    const auto& p = lab_.network().ports();
    msbf_ = std::make_unique<testsupport::FaultProxy>(p.msbf, dir, "msbf");
    connection_ = std::make_unique<testsupport::FaultProxy>(p.connection, dir, "connection");
    mid_ = std::make_unique<testsupport::FaultProxy>(p.mid, dir, "mid");
}

testsupport::FaultProxy& FaultLab::proxy(Procedure procedure) {
    switch (procedure) {
        case Procedure::TlsBootstrap:
            return *msbf_;
        case Procedure::ServiceConnection:
            return *connection_;
        default:
            return *mid_;
    }
}

void FaultLab::refuseKmr() {
    lab_.network().control("revoke", {"--node", lab_.nodeId(), "--key", "kmr"});
}

void FaultLab::startAgent(int timeoutMs) {
    ++runs_;
    const auto stateDir = lab_.statusFile().parent_path();
    std::filesystem::remove_all(stateDir);
    testsupport::AgentSettings s;
    s.reportIntervalMs = 200;
    s.retryInitialMs = 200;
    s.retryCapMs = 1000;
    s.timeoutMs = timeoutMs;
    s.connectTimeoutMs = 2000;
    s.ports = testsupport::LabPorts{msbf_->port(), connection_->port(), mid_->port()};
    s.container = "cell-" + std::to_string(runs_);
    lab_.writeConfig(s);
    lab_.startAgent();
}

std::vector<Failure> FaultLab::failures() {
    return failuresIn(lab_.agent().output());
}

bool FaultLab::waitStatus(const std::function<bool(const nlohmann::json&)>& predicate,
                          std::chrono::milliseconds timeout) {
    return lab_.waitStatus(predicate, timeout);
}

bool FaultLab::waitRegistered(std::uint64_t readings, std::chrono::milliseconds timeout) {
    return waitStatus(
        [&](const nlohmann::json& s) {
            return s.value("state", "") == "registered" &&
                   s.value("content_instances", std::uint64_t{0}) >= readings;
        },
        timeout);
}

bool FaultLab::waitFailures(std::size_t count, std::chrono::milliseconds timeout) {
    return testsupport::eventually(
        [&] {
            const auto f = failures();
            return f.size() >= count && !f[count - 1].next.empty();
        },
        timeout);
}

std::optional<int> FaultLab::stopAgent() {
    return lab_.agent().stop();
}

std::string FaultLab::diagnostics() const {
    return lab_.diagnostics() + "\nproxy logs:\n" + msbf_->log() + connection_->log() + mid_->log();
}

const ApduPlan& FaultLab::plan() {
    if (plan_) {
        return *plan_;
    }
    ApduPlan plan;
    // A clean run: start, connection, registration, then a contentInstance on a new connection.
    const auto cardBefore = card().status()["apdus"].get<std::uint64_t>();
    startAgent();
    REQUIRE(waitRegistered(1));
    {
        const auto before =
            status()["counters"]["procedures"]["content_instance"]["total_card"]["apdus"]
                .get<unsigned>();
        mid_->control("cut");
        REQUIRE(waitStatus([&](const nlohmann::json& s) {
            return s["counters"]["procedures"]["content_instance"]["total_card"]["apdus"]
                       .get<unsigned>() > before;
        }));
        plan.newConnectionInstance = apdusOf(status(), "content_instance", "total_card") - before;
    }
    REQUIRE(stopAgent() == 0);
    const auto clean = status();
    plan.start = apdusOf(clean, "start", "last_card");
    plan.connection = apdusOf(clean, "connection", "last_card");
    plan.registration = apdusOf(clean, "registration", "last_card");
    // The agent counts every APDU the card saw (closing the channel at the stop included).
    CHECK(card().status()["apdus"].get<std::uint64_t>() - cardBefore ==
          clean["counters"]["card"]["apdus"].get<std::uint64_t>());

    // The bootstrap path: Kmr refused in connecting, then the bootstrap.
    refuseKmr();
    startAgent();
    REQUIRE(waitRegistered(1));
    REQUIRE(stopAgent() == 0);
    const auto boot = status();
    plan.bootstrap = apdusOf(boot, "bootstrap", "last_card");
    plan.refusedConnection =
        apdusOf(boot, "connection", "total_card") - apdusOf(boot, "connection", "last_card");
    CHECK(boot["counters"]["procedures"]["connection"]["failures"] == 1);
    INFO("start " << plan.start << ", refused connection " << plan.refusedConnection
                  << ", bootstrap " << plan.bootstrap << ", connection " << plan.connection
                  << ", registration " << plan.registration << ", new-connection contentInstance "
                  << plan.newConnectionInstance);
    REQUIRE(plan.start > 0);
    REQUIRE(plan.bootstrap > 0);
    REQUIRE(plan.connection > 0);
    REQUIRE(plan.registration > 0);
    REQUIRE(plan.newConnectionInstance > 0);
    plan_ = plan;
    return *plan_;
}

void FaultLab::checkReadings(Cell& cell) {
    const auto shown = network().show();
    const std::string container = "cell-" + std::to_string(runs_);
    std::set<std::int64_t> containers;
    for (const auto& c : shown.at("containers")) {
        if (c.value("container_id", "") == container) {
            containers.insert(c.at("id").get<std::int64_t>());
        }
    }
    std::map<std::uint64_t, int> stored;  // seq -> times
    std::vector<std::uint64_t> order;
    for (const auto& i : shown.at("content_instances")) {
        if (containers.count(i.at("container").get<std::int64_t>()) == 0) {
            continue;
        }
        const auto reading = nlohmann::json::parse(i.at("content").get<std::string>());
        const auto seq = reading.at("seq").get<std::uint64_t>();
        ++stored[seq];
        order.push_back(seq);
    }
    const auto counted = status().value("content_instances", std::uint64_t{0});
    std::string problems;
    for (const auto& [seq, times] : stored) {
        if (times > 1) {
            problems +=
                (problems.empty() ? "" : ", ") +
                ("seq " + std::to_string(seq) + " stored " + std::to_string(times) + " times");
        }
    }
    for (std::uint64_t seq = 1; seq <= counted; ++seq) {
        if (stored.count(seq) == 0) {
            problems +=
                (problems.empty() ? "" : ", ") + ("seq " + std::to_string(seq) + " missing");
        }
    }
    INFO("readings: " << problems << "; counted " << counted << ", stored " << order.size());
    CELL_CHECK(cell, problems.empty());
    CELL_CHECK(cell, std::is_sorted(order.begin(), order.end()));
    if (!problems.empty()) {
        cell.data = problems;
    } else {
        cell.data = counted == 0 ? "none sent" : "none";
    }
}

void FaultLab::checkKeys(Cell& cell) {
    const auto run =
        testsupport::runM2m("card status --json --reader '" + card().readerName() + "'");
    nlohmann::json onCard = nlohmann::json::object();
    try {
        onCard = nlohmann::json::parse(run.out);
    } catch (const nlohmann::json::exception&) {
    }
    nlohmann::json node = nlohmann::json::object();
    // A local: a range-for over a member of show()'s temporary would walk freed memory.
    const auto shown = network().show();
    for (const auto& n : shown.at("nodes")) {
        if (n.value("node_id", "") == lab_.nodeId()) {
            node = n;
        }
    }
    INFO("card status: " << run.out);
    std::string problems;
    for (const char* key : {"kmr", "kmc"}) {
        const std::string index = std::string(key) + "_index";
        const std::string kcv = std::string(key) + "_kcv";
        const std::string card = text(onCard[index]) + "/" + upper(text(onCard[kcv]));
        const std::string net = text(node[index]) + "/" + upper(text(node[kcv]));
        if (card != net || onCard[kcv].is_null()) {
            problems += (problems.empty() ? "" : "; ") +
                        (std::string(key) + " card " + card + ", network " + net);
        }
    }
    CELL_CHECK(cell, run.exitCode == 0);
    CELL_CHECK(cell, problems.empty());
    cell.keys = problems.empty() ? "consistent" : problems;
}

void waitForFirstReading(FaultLab& lab) {
    if (!lab.waitRegistered(1)) {
        FAIL("never registered before the fault\n" << lab.diagnostics());
    }
}

void waitUntilHeld(FaultLab& lab, Procedure procedure) {
    if (!testsupport::eventually([&] { return lab.proxy(procedure).status()["delaying"] == 1; },
                                 20s)) {
        FAIL("the agent never reached the held connection\n" << lab.diagnostics());
    }
}

namespace {

// How many times the proxy's faults have acted so far (its counters add up over the cells).
int actedSoFar(testsupport::FaultProxy& proxy) {
    const auto s = proxy.status();
    return s.value("resets", 0) + s.value("truncations", 0) + s.value("delays", 0);
}

void runAbsorbed(FaultLab& lab, AgentCell& spec, std::uint64_t readingsBefore, int actedBefore) {
    Cell& cell = spec.cell;
    auto& proxy = lab.proxy(cell.procedure);
    // Acted: counted once more than before the cell, and spent (nothing left armed).
    const bool acted = testsupport::eventually(
        [&] { return actedSoFar(proxy) > actedBefore && proxy.status()["fault"].is_null(); },
        20s);
    CELL_CHECK(cell, acted);
    const bool flowing = lab.waitStatus([&](const nlohmann::json& s) {
        return s.value("state", "") == "registered" &&
               s.value("content_instances", std::uint64_t{0}) >= readingsBefore + 2;
    });
    CELL_CHECK(cell, flowing);
    const auto failures = lab.failures();
    CELL_CHECK(cell, failures.size() == spec.setupFailures);
    if (!spec.absorbedLog.empty()) {
        CELL_CHECK(cell,
                   lab.agentLab().agent().output().find(spec.absorbedLog) != std::string::npos);
    }
    CELL_CHECK(cell, lab.stopAgent() == 0);
    cell.error = "none: " + spec.absorbedBy;
    cell.reached = "registered (no step failed)";
    cell.recovered = "registered";
    lab.checkReadings(cell);
    lab.checkKeys(cell);
    if (!cell.failedChecks.empty()) {
        UNSCOPED_INFO(lab.diagnostics());
    }
    record(cell);
}

}  // namespace

void run(FaultLab& lab, AgentCell spec) {
    Cell& cell = spec.cell;
    CAPTURE(std::string(name(cell.procedure)), std::string(name(cell.fault)), cell.apdu);
    // Nothing armed is left over from the cell before.
    for (const auto p :
         {Procedure::TlsBootstrap, Procedure::ServiceConnection, Procedure::ContentInstance}) {
        lab.proxy(p).control("pass");
    }
    lab.card().control("disarm");
    const int actedBefore = actedSoFar(lab.proxy(cell.procedure));
    if (spec.before) {
        spec.before(lab);
    }
    lab.startAgent(spec.timeoutMs);
    if (spec.afterStart) {
        spec.afterStart(lab);
    }
    const std::uint64_t readingsBefore = lab.readings();
    if (!spec.absorbedBy.empty()) {
        runAbsorbed(lab, spec, readingsBefore, actedBefore);
        return;
    }
    if (!lab.waitFailures(spec.setupFailures + 1)) {
        FAIL("the fault caused no failure\n" << lab.diagnostics());
    }
    if (spec.afterFailure) {
        spec.afterFailure(lab);
    }
    if (spec.recovers) {
        // Recovered: registered again, the failure marked recovered, and readings flowing.
        const bool recovered = lab.waitStatus([&](const nlohmann::json& s) {
            return s.value("state", "") == "registered" &&
                   s.value("last_error_recovered_at", nlohmann::json()).is_string() &&
                   s.value("content_instances", std::uint64_t{0}) >= readingsBefore + 2;
        });
        CELL_CHECK(cell, recovered);
    } else {
        CELL_CHECK(cell, lab.waitStatus([](const nlohmann::json& s) {
            return s.value("state", "") == "failed";
        }));
    }
    std::vector<Failure> failures = lab.failures();
    const auto final = lab.status();
    const auto exit = lab.stopAgent();
    CELL_CHECK(cell, exit == (spec.recovers ? 0 : 1));

    REQUIRE(failures.size() > spec.setupFailures);
    failures.erase(failures.begin(), failures.begin() + static_cast<long>(spec.setupFailures));
    const Failure& first = failures.front();
    CELL_CHECK(cell, first.state == spec.failsIn);
    CELL_CHECK(cell,
               std::find(spec.causes.begin(), spec.causes.end(), first.cause) != spec.causes.end());
    CELL_CHECK(cell, first.next == spec.next);
    for (const auto& f : failures) {
        // Typed, every one: an exception type and a cause from the decision table.
        CELL_CHECK(cell, (f.type != "-" && f.cause != "internal"));
    }
    cell.error = errorOf(first);
    cell.reached = spec.next == "failed" ? "failed" : "backoff → " + spec.next;
    cell.recovered = spec.recovers ? final.value("state", "") : "no: failed (by design)";
    lab.checkReadings(cell);
    lab.checkKeys(cell);
    if (!cell.failedChecks.empty()) {
        UNSCOPED_INFO(lab.diagnostics());
    }
    record(cell);
}

}  // namespace faults
