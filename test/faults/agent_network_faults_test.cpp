// The fault matrix, the network under the agent: for the TLS bootstrap, the service connection,
// the registration and a contentInstance, each network fault through m2m-faultproxy (in front of
// the endpoint the procedure talks to) or m2m-netsim (TLS alerts, HTTP answers), with the real
// agent process recovering from it, or failing for good where the decision table says so.
#include "cell_check.hpp"
#include "fault_lab.hpp"

using namespace faults;

namespace {

struct Step {
    Procedure procedure;
    std::string state;     // the agent's state while it runs
    const char* endpoint;  // m2m-netsim's name for its endpoint
    bool bootstrapPath = false;
    bool onRunningAgent = false;  // strikes the next contentInstance of a registered agent
};

const std::vector<Step> kSteps = {
    {Procedure::TlsBootstrap, "bootstrapping", "msbf", true, false},
    {Procedure::ServiceConnection, "connecting", "connection", false, false},
    {Procedure::Registration, "registering", "mid", false, false},
    {Procedure::ContentInstance, "registered", "mid", false, true},
};

// A cell whose fault is `strike`, done before the agent starts or on the registered agent.
AgentCell cell(const Step& step, Fault fault, std::function<void(FaultLab&)> strike) {
    AgentCell spec;
    spec.cell = {step.procedure, fault};
    spec.failsIn = step.state;
    spec.next = step.state;
    spec.setupFailures = step.bootstrapPath ? 1 : 0;
    if (step.onRunningAgent) {
        spec.afterStart = [strike](FaultLab& lab) {
            waitForFirstReading(lab);
            strike(lab);
        };
    } else {
        spec.before = [step, strike](FaultLab& lab) {
            if (step.bootstrapPath) {
                lab.refuseKmr();
            }
            strike(lab);
        };
    }
    return spec;
}

// A fault of the proxy in front of the step's endpoint.
std::function<void(FaultLab&)> proxy(const Step& step, const std::string& line) {
    return
        [procedure = step.procedure, line](FaultLab& lab) { lab.proxy(procedure).control(line); };
}

// An answer of m2m-netsim's endpoint in place of the real one (its next request).
std::function<void(FaultLab&)> answer(const Step& step, const std::string& kind) {
    return [endpoint = std::string(step.endpoint), kind](FaultLab& lab) {
        lab.network().control("fault", {"--endpoint", endpoint, "--kind", kind, "--count", "1"});
    };
}

}  // namespace

TEST_CASE("fault matrix: network faults during the agent's network procedures",
          "[faults][network]") {
    FaultLab lab;
    const std::string node = lab.agentLab().nodeId();
    for (const Step& step : kSteps) {
        CAPTURE(std::string(name(step.procedure)));

        // The network down: connections refused (a kept-alive one reset) until it comes back,
        // after the agent has backed off twice.
        AgentCell down = cell(step, Fault::NetworkDown, proxy(step, "refuse"));
        down.causes = {"network"};
        down.afterFailure = [&step, &down](FaultLab& l) {
            CHECK(l.waitFailures(down.setupFailures + 2));
            l.proxy(step.procedure).control("pass");
        };
        run(lab, down);

        // Mid-request: 20 bytes into the first request's TLS record, both ends reset.
        AgentCell request = cell(step, Fault::ResetMidRequest, proxy(step, "reset client 20 data"));
        request.causes = {"network"};
        if (step.onRunningAgent) {
            // The reading goes on the kept-alive connection: libcurl sees it die before any
            // answer and sends the request again on a new one (a new handshake with the card).
            request.absorbedBy =
                "libcurl sent the request again on a new connection (the server had not read it)";
        }
        run(lab, request);

        // Mid-response: the server has done its work; its answer is cut 20 bytes in.
        AgentCell response =
            cell(step, Fault::ResetMidResponse, proxy(step, "reset server 20 data"));
        response.causes = {"network"};
        AgentCell truncated = cell(step, Fault::Truncated, proxy(step, "truncate 20 data"));
        truncated.causes = {"network"};
        if (step.onRunningAgent) {
            // The answer dies before libcurl could decrypt a byte of it, on a kept-alive
            // connection: libcurl sends the request again on a new one, and the NSCL, which had
            // stored the reading, refuses its id the second time (409): stored once.
            for (AgentCell* c : {&response, &truncated}) {
                c->absorbedBy =
                    "libcurl sent the request again on a new connection; 409 for the reading's "
                    "id (stored the first time), counted once";
                c->absorbedLog = "was stored before: its answer had been lost";
            }
        }
        run(lab, response);
        run(lab, truncated);

        // The answer held 2.5 s, past the agent's 1.5 s request timeout.
        AgentCell delayed = cell(step, Fault::Delayed, proxy(step, "delay 2500 data"));
        delayed.causes = {"network"};
        delayed.timeoutMs = 1500;
        run(lab, delayed);

        AgentCell forbidden = cell(step, Fault::Http403, answer(step, "http-403"));
        forbidden.causes = {"http_refused"};
        // 403 while registered: the registration lapsed at the NSCL, register again.
        forbidden.next = step.onRunningAgent ? "registering" : step.state;
        run(lab, forbidden);

        AgentCell missing = cell(step, Fault::Http404, answer(step, "http-404"));
        missing.causes = {"http_refused"};
        missing.next = "failed";
        missing.recovers = false;
        run(lab, missing);

        AgentCell unavailable = cell(step, Fault::Http503, answer(step, "http-503"));
        unavailable.causes = {"server_error"};
        run(lab, unavailable);

        AgentCell malformed = cell(step, Fault::MalformedBody, answer(step, "malformed-xml"));
        malformed.causes = {"bad_answer"};
        run(lab, malformed);
    }

    // TLS alerts: the network refuses the PSK the procedure uses.
    // Kmr refused in connecting: the agent bootstraps a new one.
    AgentCell kmr = cell(kSteps[1], Fault::PskRefused, [](FaultLab& l) { l.refuseKmr(); });
    kmr.causes = {"psk_refused"};
    kmr.next = "bootstrapping";
    run(lab, kmr);

    // Kmc refused while registering: the proxy holds the registration's handshake while the
    // network revokes the Kmc the agent has just made; the agent connects again for a new one.
    AgentCell kmcRegistering = cell(kSteps[2], Fault::PskRefused, proxy(kSteps[2], "delay 600"));
    kmcRegistering.causes = {"psk_refused"};
    kmcRegistering.next = "connecting";
    kmcRegistering.afterStart = [node](FaultLab& l) {
        waitUntilHeld(l, Procedure::Registration);
        l.network().control("revoke", {"--node", node, "--key", "kmc"});
    };
    run(lab, kmcRegistering);

    // Kmc refused while registered: the kept-alive connection is cut as the Kmc is revoked, so
    // the next reading needs a handshake, which the NSCL refuses; the agent connects again.
    AgentCell kmcRunning = cell(kSteps[3], Fault::PskRefused, [node](FaultLab& l) {
        l.network().control("revoke", {"--node", node, "--key", "kmc"});
        l.proxy(Procedure::ContentInstance).control("cut");
    });
    kmcRunning.causes = {"psk_refused"};
    kmcRunning.next = "connecting";
    run(lab, kmcRunning);

    // Kbs refused by the MSBF: no retry can mend it; the agent fails, visibly, for a person.
    // Then the person re-imports the node and restarts the agent, which bootstraps again.
    AgentCell kbs = cell(kSteps[0], Fault::PskRefused, [node](FaultLab& l) {
        l.network().control("revoke", {"--node", node, "--key", "kbs"});
    });
    kbs.causes = {"psk_refused"};
    kbs.next = "failed";
    kbs.recovers = false;
    run(lab, kbs);
    lab.agentLab().importCard();
    lab.startAgent();
    CHECK(lab.waitRegistered(1));
    CHECK(lab.stopAgent() == 0);
}
