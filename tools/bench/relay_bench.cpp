// relay: what the gateway adds to a device's request (agent/GATEWAY.md §3). Two software-only
// devices (agent::SoftwareCard: Kmr in memory, InMemoryKeyOperations; PskHttpsClient each) run
// the service connection and register, one at the gateway's dIa endpoints, one at the NSCL
// directly (a device registered directly cannot also be one behind a gateway, so they are two
// identities of the same kind); then each posts `runs` contentInstances, the two alternating
// (ABBA) so that a drift of the machine's load hits both alike. A relayed post is the device's
// TLS-PSK request to the gateway, the gateway's turn on its one uplink and its request with its
// card-held Kmc to the NSCL: the difference is the gateway's share.
#include <algorithm>
#include <cmath>

#include "agent/mid_client.hpp"
#include "agent/service_connection.hpp"
#include "agent/software_card.hpp"
#include "base/statistics.hpp"
#include "benchmarks.hpp"
#include "provisioning/psk_identity.hpp"
#include "securechannel/tls/psk_https_client.hpp"

namespace bench {

namespace {

namespace tls = securechannel::tls;
using Clock = std::chrono::steady_clock;

// One device: its key, its client and its registration with a container to post into.
struct Device {
    Device(const RelayOptions::Path& path, const std::vector<std::string>& resolve)
        : card(path.keyFile),
          https([&] {
              tls::ClientOptions o;
              o.resolve = resolve;
              return o;
          }()),
          mid(https, path.midUrl) {
        const seuicc::SedStatus s = card.open();
        card.run([&](provisioning::CardOperations& ops) {
            agent::runServiceConnection(https, ops, path.connectionUrl, *s.nodeId, *s.kmrIndex,
                                        *s.sclId, std::nullopt);
        });
        const seuicc::SedStatus& now = card.status();
        mid.useKey({provisioning::kmcIdentity(*now.nodeId, *now.kmcIndex), seuicc::KeySlot::Kmc});
        card.run([&](provisioning::CardOperations& ops) {
            agent::SclRegistration scl;
            scl.sclId = *now.sclId;
            scl.link = *now.sclId;
            const agent::Registration r = mid.registerScl(ops, scl);
            const std::string app = mid.createApplication(ops, r.location, {"bench"});
            container = mid.createContainer(ops, app, {"readings"});
        });
    }

    double post(int i) {
        agent::ContentInstance ci;
        ci.contentType = "application/json";
        ci.content = R"({"seq":)" + std::to_string(i) + "}";
        const auto start = Clock::now();
        card.run([&](provisioning::CardOperations& ops) {
            mid.postContentInstance(ops, container, ci);
        });
        return msSince(start);
    }

    agent::SoftwareCard card;
    tls::PskHttpsClient https;
    agent::MidClient mid;
    std::string container;
};

double rounded(double ms) {
    return std::round(ms * 100.0) / 100.0;
}

}  // namespace

Report relay(const RelayOptions& o, int runs) {
    Device direct(o.direct, o.resolve);
    Device relayed(o.relayed, o.resolve);
    const tls::ClientCounters directBefore = direct.https.counters();
    const tls::ClientCounters relayedBefore = relayed.https.counters();

    Series directSeries("contentInstance, device -> NSCL directly", "request");
    Series relayedSeries("contentInstance, device -> gateway -> NSCL", "request");
    for (int i = 0; i < runs; ++i) {
        // ABBA: direct first in runs 0 and 3 mod 4, relayed first in 1 and 2.
        const bool directFirst = (i % 4 == 0) || (i % 4 == 3);
        for (int k = 0; k < 2; ++k) {
            if ((k == 0) == directFirst) {
                directSeries.add({}, direct.post(i));
            } else {
                relayedSeries.add({}, relayed.post(i));
            }
        }
    }
    const tls::ClientCounters d = direct.https.counters();
    const tls::ClientCounters r = relayed.https.counters();

    Report report("relay", {directSeries, relayedSeries});
    for (const Series* s : {&directSeries, &relayedSeries}) {
        const std::string key = s == &directSeries ? "direct" : "relayed";
        report.comparison.push_back(
            {key + "_p90_ms", key + ": p90 ms", rounded(base::percentile(s->ms, 0.9))});
    }
    report.comparison.push_back({"added_median_ms",
                                 "the gateway's added latency (median relayed - median direct), ms",
                                 rounded(relayedSeries.median() - directSeries.median())});
    report.comparison.push_back({"direct_requests",
                                 "direct: HTTP requests / TLS handshakes in the posts",
                                 std::to_string(d.requests - directBefore.requests) + " / " +
                                     std::to_string(d.handshakes - directBefore.handshakes)});
    report.comparison.push_back(
        {"relayed_requests", "relayed: HTTP requests / TLS handshakes in the posts (device side)",
         std::to_string(r.requests - relayedBefore.requests) + " / " +
             std::to_string(r.handshakes - relayedBefore.handshakes)});
    report.notes.push_back(
        "both devices keep their mId TLS connection alive (handshakes at the service connection "
        "and "
        "the registration, none in the posts); so does the gateway's uplink to the NSCL (its "
        "handshakes: the gateway's status, counters.tls_handshakes)");
    report.notes.push_back(
        "times near 40 ms or its multiples are TCP's delayed ACK meeting Nagle's algorithm on "
        "loopback, not work done by either side");
    return report;
}

}  // namespace bench
