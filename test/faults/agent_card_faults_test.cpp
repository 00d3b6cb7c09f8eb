// The fault matrix, the card under the agent: the card pulled out, or its power cut, at each APDU
// of the agent's card procedures (positions from the procedure's APDU count in the agent's own
// counters, ApduPlan), and pcscd restarted in the middle of each. `m2m agent run` is a real
// process; the card is the emulated UICC behind the machine's pcscd.
#include "cell_check.hpp"
#include "fault_lab.hpp"
#include "pcscd.hpp"

using namespace faults;

namespace {

// Where a procedure's APDUs start, counted from the agent's start, on the path that leads to it.
struct Target {
    Procedure procedure;
    std::string state;    // the agent's state while it runs
    unsigned offset = 0;  // APDUs before it
    unsigned apdus = 0;   // its own
    bool bootstrapPath = false;
};

std::vector<Target> targets(FaultLab& lab) {
    const ApduPlan& p = lab.plan();
    return {
        {Procedure::SecureChannelSetup, "starting", 0, p.start, false},
        {Procedure::TlsBootstrap, "bootstrapping", p.start + p.refusedConnection, p.bootstrap,
         true},
        {Procedure::ServiceConnection, "connecting", p.start, p.connection, false},
        {Procedure::Registration, "registering", p.start + p.connection, p.registration, false},
    };
}

// A tear, or a removal (the card stays out until the test puts it back), at APDU n from now.
std::string tearAt(unsigned n, Fault fault) {
    return "tear apdu " + std::to_string(n) + (fault == Fault::CardRemoved ? " stay-out" : "");
}

void putBackIfRemoved(FaultLab& lab, Fault fault) {
    if (fault == Fault::CardRemoved) {
        lab.card().control("insert");
    }
    lab.card().waitInserted();
}

AgentCell cardCell(const Target& t, Fault fault, unsigned n) {
    AgentCell spec;
    spec.cell.procedure = t.procedure;
    spec.cell.fault = fault;
    spec.cell.apdu = n;
    spec.cell.apdus = t.apdus;
    spec.failsIn = t.state;
    spec.causes = {"card_lost"};
    spec.next = t.state;
    spec.setupFailures = t.bootstrapPath ? 1 : 0;
    spec.before = [t, fault, n](FaultLab& lab) {
        if (t.bootstrapPath) {
            lab.refuseKmr();
        }
        lab.card().control(tearAt(t.offset + n, fault));
    };
    spec.afterFailure = [fault](FaultLab& lab) { putBackIfRemoved(lab, fault); };
    return spec;
}

}  // namespace

TEST_CASE("fault matrix: the card removed or its power cut at each APDU of the agent's procedures",
          "[faults][card]") {
    FaultLab lab;
    for (const Target& t : targets(lab)) {
        for (const Fault fault : {Fault::PowerLoss, Fault::CardRemoved}) {
            for (unsigned n = 1; n <= t.apdus; ++n) {
                run(lab, cardCell(t, fault, n));
            }
        }
    }
}

TEST_CASE("fault matrix: the card removed or its power cut while a contentInstance needs the card",
          "[faults][card]") {
    // On the kept-alive mId connection a contentInstance costs no APDU; on a new connection it
    // costs one handshake. The proxy cuts the connection, so the next reading needs the card.
    FaultLab lab;
    const unsigned apdus = lab.plan().newConnectionInstance;
    for (const Fault fault : {Fault::PowerLoss, Fault::CardRemoved}) {
        for (unsigned n = 1; n <= apdus; ++n) {
            AgentCell spec;
            spec.cell = {Procedure::ContentInstance, fault, n, apdus};
            spec.failsIn = "registered";
            spec.causes = {"card_lost"};
            spec.next = "registered";
            spec.afterStart = [fault, n](FaultLab& l) {
                waitForFirstReading(l);
                l.card().control(tearAt(n, fault));  // no APDU until the new connection
                l.proxy(Procedure::ContentInstance).control("cut");
            };
            spec.afterFailure = [fault](FaultLab& l) { putBackIfRemoved(l, fault); };
            run(lab, spec);
        }
    }
}

TEST_CASE("fault matrix: pcscd restarted during each of the agent's procedures",
          "[faults][pcscd]") {
    FaultLab lab;
    std::optional<testsupport::PcscdOutage> outage;
    const auto restartPcscd = [&](FaultLab& l) {
        outage.emplace();
        outage->restore();
        outage.reset();
        l.card().waitInserted();
    };

    // The secure channel's setup is the agent's first card work, with no network to wait on:
    // pcscd is down when the agent starts, and comes back.
    AgentCell start;
    start.cell = {Procedure::SecureChannelSetup, Fault::PcscdRestarted};
    start.failsIn = "starting";
    start.causes = {"card_lost"};
    start.next = "starting";
    start.before = [&](FaultLab&) { outage.emplace(); };
    start.afterFailure = [&](FaultLab& l) {
        outage->restore();
        outage.reset();
        l.card().waitInserted();
    };
    run(lab, start);

    // The network procedures: the proxy holds the server's first answer, so the agent waits
    // inside the procedure, before the card's part of the handshake; pcscd restarts meanwhile.
    for (const auto& [procedure, state, bootstrapPath] :
         std::vector<std::tuple<Procedure, std::string, bool>>{
             {Procedure::TlsBootstrap, "bootstrapping", true},
             {Procedure::ServiceConnection, "connecting", false},
             {Procedure::Registration, "registering", false}}) {
        AgentCell spec;
        spec.cell = {procedure, Fault::PcscdRestarted};
        spec.failsIn = state;
        spec.causes = {"card_lost"};
        spec.next = state;
        spec.setupFailures = bootstrapPath ? 1 : 0;
        spec.before = [procedure = procedure, bootstrapPath = bootstrapPath](FaultLab& l) {
            if (bootstrapPath) {
                l.refuseKmr();
            }
            l.proxy(procedure).control("delay 800");
        };
        spec.afterStart = [&, procedure = procedure](FaultLab& l) {
            waitUntilHeld(l, procedure);
            restartPcscd(l);
        };
        run(lab, spec);
    }

    // A running agent: the next contentInstance takes the card (its PC/SC transaction).
    AgentCell instance;
    instance.cell = {Procedure::ContentInstance, Fault::PcscdRestarted};
    instance.failsIn = "registered";
    instance.causes = {"card_lost"};
    instance.next = "registered";
    instance.afterStart = [&](FaultLab& l) {
        waitForFirstReading(l);
        restartPcscd(l);
    };
    run(lab, instance);
}
