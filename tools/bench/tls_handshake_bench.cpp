// tls-handshake: what holding the PSK in the card costs a TLS handshake, against the honest
// baseline: the same PskHttpsClient, the same server, the same key, with the key in memory
// (InMemoryKeyOperations) instead of in the card. The two variants alternate (ABBA), so that a
// drift of the machine's load hits both alike.

#include "agent/card_session.hpp"
#include "benchmarks.hpp"
#include "provisioning/key_export.hpp"
#include "provisioning/psk_identity.hpp"
#include "securechannel/tls/card_keys.hpp"
#include "securechannel/tls/memory_keys.hpp"
#include "securechannel/tls/psk_https_client.hpp"

namespace bench {

namespace {

namespace tls = securechannel::tls;
using Clock = std::chrono::steady_clock;

}  // namespace

Report tlsHandshake(const std::optional<std::string>& reader, const std::string& kmsaFile,
                    const HandshakeOptions& o, int runs) {
    if (o.key != "kmr" && o.key != "kbs") {
        throw std::invalid_argument("--key must be kmr or kbs (the keys file has no Kmc)");
    }
    const bool kmr = o.key == "kmr";
    const seuicc::KeySlot slot = kmr ? seuicc::KeySlot::Kmr : seuicc::KeySlot::Kbs;
    provisioning::KeyExport exported = provisioning::readKeyExport(o.keysFile);
    if (!kmr && !exported.kbs) {
        throw std::invalid_argument("the keys file has no Kbs");
    }
    tls::InMemoryKeyOperations inMemory(slot,
                                        kmr ? std::move(exported.kmr) : std::move(*exported.kbs));

    agent::CardSession card(agent::CardSession::Options{reader, kmsaFile, {}, {}});
    const auto sed = card.open();
    if (!sed.nodeId || !sed.kmrIndex) {
        throw std::runtime_error("the card is not personalised");
    }
    const tls::PskKey psk{kmr ? provisioning::kmrIdentity(*sed.nodeId, *sed.kmrIndex)
                              : provisioning::kbsIdentity(*sed.nodeId),
                          slot};
    tls::ClientOptions clientOptions;
    clientOptions.resolve = o.resolve;
    tls::PskHttpsClient client(clientOptions);
    tls::HttpRequest request;
    request.url = o.url;

    const std::string keyName = kmr ? "Kmr" : "Kbs";
    Series cardHeld{"card-held " + keyName +
                    ": PskHttpsClient, master secret by the card (COMPUTE MASTER SECRET through "
                    "TS 102 484), handshake + GET"};
    Series memory{
        "key in memory: the same PskHttpsClient with InMemoryKeyOperations, same key, "
        "handshake + GET"};
    std::optional<long> httpStatus;
    const auto sameStatus = [&](long answer) {
        if (httpStatus && *httpStatus != answer) {
            throw std::runtime_error("the two variants got different HTTP answers (" +
                                     std::to_string(*httpStatus) + ", " + std::to_string(answer) +
                                     ")");
        }
        httpStatus = answer;
    };
    // Only perform() is timed, a full handshake each time (closeConnections() before). The PC/SC
    // transaction around the card-held one is begun before the clock starts: the agent holds one
    // per procedure, not per handshake.
    const auto handshake = [&](tls::CardKeyOperations& keys, Series* into) {
        client.closeConnections();
        const auto before = card.info().traffic;
        const auto start = Clock::now();
        const tls::HttpResponse response = client.perform(request, psk, keys);
        const double ms = msSince(start);
        sameStatus(response.status);
        if (into != nullptr) {
            into->add(securechannel::ts102484::trafficBetween(before, card.info().traffic), ms);
        }
    };
    const auto runCardHeld = [&](Series* into) {
        card.run([&](provisioning::CardOperations& keys) { handshake(keys, into); });
    };
    const auto runInMemory = [&](Series* into) { handshake(inMemory, into); };

    // Warm-up, not counted: the secure channel's setup, the provider's loading, the first
    // connection of each kind.
    runCardHeld(nullptr);
    runInMemory(nullptr);
    for (int i = 0; i < runs; ++i) {
        if (i % 2 == 0) {
            runCardHeld(&cardHeld);
            runInMemory(&memory);
        } else {
            runInMemory(&memory);
            runCardHeld(&cardHeld);
        }
    }
    card.close();

    Report report{"tls-handshake", {cardHeld, memory}};
    report.comparison = {
        {"median_ratio_card_over_memory", "ratio of the medians (card-held / in memory)",
         cardHeld.median() / memory.median()},
        {"median_difference_ms", "difference of the medians (card-held - in memory), ms",
         cardHeld.median() - memory.median()},
        {"http_status", "HTTP status (both variants)", httpStatus.value_or(0)},
    };
    report.notes.push_back(
        "both variants run the same client against the same server in this run, alternating; "
        "only the key's place differs (the card, reached over PC/SC and TS 102 484, or memory)");
    report.notes.push_back(
        "on the emulated card (vpcd over TCP) a wall time that is a multiple of 40 ms is a TCP "
        "timer (delayed ACK meeting Nagle), not the card");
    return report;
}

}  // namespace bench
