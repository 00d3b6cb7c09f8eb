// `m2m tls-check URL --key kmr|kmc|kbs [--export bootstrap|connection]`: one HTTPS GET over
// TLS 1.2 PSK with the key held in the card (security-profile.md §3), to check a server (or the
// lab network) against the card before the agent relies on it. With --export the card derives
// the exporter into its *pending* Kmr or Kmc and the command prints its KCV; nothing is
// activated, so the card's active keys do not change. When the server completes the handshake but
// does not answer the request, the handshake's facts are still printed, with the HTTP failure and
// its exit code.
#include <chrono>
#include <iostream>
#include <optional>

#include "agent/card_session.hpp"
#include "base/bytes.hpp"
#include "base/process.hpp"
#include "base/scope_exit.hpp"
#include "base/text.hpp"
#include "commands.hpp"
#include "provisioning/psk_identity.hpp"
#include "securechannel/tls/card_keys.hpp"
#include "securechannel/tls/psk_https_client.hpp"

namespace m2m::cli {

namespace {

namespace tls = securechannel::tls;

struct TlsCheckOptions {
    CommonOptions common;
    std::string url;
    std::string key;
    std::string exportTo;
    std::string identity;
    std::vector<std::string> resolve;
    std::string kmsaFile;
    long timeoutMs = 15000;
};

seuicc::KeySlot slotOf(const std::string& key) {
    if (key == "kmr") {
        return seuicc::KeySlot::Kmr;
    }
    return key == "kmc" ? seuicc::KeySlot::Kmc : seuicc::KeySlot::Kbs;
}

tls::Export exportOf(const std::string& name) {
    if (name == "bootstrap") {
        return tls::Export::Bootstrap;
    }
    return name == "connection" ? tls::Export::Connection : tls::Export::None;
}

std::string_view exporterLabel(tls::Export e) {
    return e == tls::Export::Bootstrap ? tls::kBootstrapExporterLabel
                                       : tls::kConnectionExporterLabel;
}

// security-profile §3 identities, from the card's public data.
std::string identityFromCard(const seuicc::SedStatus& status, seuicc::KeySlot slot) {
    if (!status.nodeId) {
        throw base::Error("the M2M-SED has no M2M-Node-ID: personalise the card first");
    }
    switch (slot) {
        case seuicc::KeySlot::Kmr:
            if (!status.kmrIndex) {
                throw base::Error("the M2M-SED holds no Kmr (no KmrIndex): bootstrap first");
            }
            return provisioning::kmrIdentity(*status.nodeId, *status.kmrIndex);
        case seuicc::KeySlot::Kmc:
            if (!status.kmcIndex) {
                throw base::Error(
                    "the M2M-SED holds no Kmc (no KmcIndex): run the service connection first");
            }
            return provisioning::kmcIdentity(*status.nodeId, *status.kmcIndex);
        case seuicc::KeySlot::Kbs:
            return provisioning::kbsIdentity(*status.nodeId);
    }
    throw base::Error("unknown key slot");
}

std::string cipherIdText(std::uint16_t id) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%04X", id);
    return text;
}

Exit tlsCheck(const TlsCheckOptions& options) {
    base::hardenProcess();  // before Kmsa is read and any session key exists
    const seuicc::KeySlot slot = slotOf(options.key);
    const tls::Export exportTo = exportOf(options.exportTo);

    agent::CardSession::Options cardOptions;
    if (options.common.reader || options.common.readerIndex) {
        seuicc::PcscContext context;
        cardOptions.reader =
            context.resolveReader(options.common.reader, options.common.readerIndex);
    }
    cardOptions.kmsaFile = options.kmsaFile;
    agent::CardSession card(std::move(cardOptions));

    const seuicc::SedStatus status = card.open();
    const std::string identity =
        options.identity.empty() ? identityFromCard(status, slot) : options.identity;

    tls::ClientOptions clientOptions;
    clientOptions.resolve = options.resolve;
    clientOptions.timeout = std::chrono::milliseconds(options.timeoutMs);
    tls::PskHttpsClient client(clientOptions);
    tls::HttpRequest request;
    request.url = options.url;

    // The HTTP exchange may fail after the handshake (the server closes without an answer):
    // what is known of the TLS session (suite, export KCV, card cost) is still reported, next to
    // the failure, with the failure's exit code. A failure before or inside the handshake leaves
    // nothing to report and goes to runGuarded as it is.
    std::optional<tls::HttpResponse> response;
    std::optional<Failure> failure;
    seuicc::ApduCounters handshakeCost;
    double elapsedMs = 0;
    try {
        card.run([&](provisioning::CardOperations& keys) {
            const seuicc::ApduCounters before = card.info().traffic;
            const auto start = std::chrono::steady_clock::now();
            const base::ScopeExit measured([&] {
                elapsedMs = std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - start)
                                .count();
                handshakeCost =
                    securechannel::ts102484::trafficBetween(before, card.info().traffic);
            });
            response = client.perform(request, {identity, slot}, keys, exportTo);
        });
    } catch (...) {
        if (!client.lastHandshake()) {
            throw;
        }
        failure = describeFailure(std::current_exception());
    }
    card.close();
    const tls::TlsSummary& session = *client.lastHandshake();

    nlohmann::ordered_json result;
    result["url"] = options.url;
    result["reader"] = card.info().reader;
    result["key"] = options.key;
    result["identity"] = identity;
    result["protocol"] = session.protocol;
    result["cipher"] = session.cipher;
    result["cipher_id"] = cipherIdText(session.cipherId);
    if (response) {
        result["http_status"] = response->status;
        result["content_type"] = response->contentType;
        result["body_bytes"] = response->body.size();
    }
    if (exportTo != tls::Export::None && session.exportKcv) {
        result["export"] = options.exportTo;
        result["export_label"] = exporterLabel(exportTo);
        result["export_target"] = exportTo == tls::Export::Bootstrap ? "kmr" : "kmc";
        result["export_kcv"] = base::toHex(*session.exportKcv);
        result["export_state"] = "pending";
    }
    result["handshake_apdus"] = handshakeCost.apdus;
    result["handshake_bytes_sent"] = handshakeCost.bytesSent;
    result["handshake_bytes_received"] = handshakeCost.bytesReceived;
    result["request_ms"] = elapsedMs;
    result["card_apdus"] = card.info().traffic.apdus;
    if (failure) {
        result["failed_after"] = "handshake";  // the TLS session above is complete
        result["error"] = failure->json();
    }

    printResult(options.common, result, [&] {
        std::cout << "URL:         " << base::printable(options.url) << '\n'
                  << "PSK:         " << options.key << " (card-held), identity "
                  << base::printable(identity) << '\n'
                  << "TLS:         " << session.protocol << ' ' << session.cipher << " ("
                  << cipherIdText(session.cipherId) << ")\n";
        if (response) {
            std::cout << "HTTP status: " << response->status << '\n';
        } else {
            std::cout << "HTTP:        failed after the handshake: "
                      << base::printable(failure->message) << '\n';
        }
        if (session.exportKcv) {
            std::cout << "Export:      " << exporterLabel(exportTo) << " -> pending "
                      << (exportTo == tls::Export::Bootstrap ? "Kmr" : "Kmc") << ", KCV "
                      << base::toHex(*session.exportKcv) << " (not activated)\n";
        }
        std::cout << "Card cost:   " << handshakeCost.apdus << " APDUs for the handshake"
                  << (exportTo != tls::Export::None ? " and the export" : "") << ", "
                  << static_cast<long>(elapsedMs) << " ms for the request\n";
    });
    if (failure) {
        printFailure(*failure);
        return failure->exit;
    }
    return Exit::Ok;
}

}  // namespace

void addTlsCheckCommand(CLI::App& app, int& exitCode) {
    auto options = std::make_shared<TlsCheckOptions>();
    auto* cmd = app.add_subcommand(
        "tls-check", "HTTPS GET over TLS 1.2 PSK with the key held in the card (no key leaves it)");
    cmd->add_option("url", options->url, "https://host[:port]/path")->required();
    cmd->add_option("--key", options->key, "The card-held PSK: kmr, kmc or kbs")
        ->required()
        ->check(CLI::IsMember({"kmr", "kmc", "kbs"}));
    cmd->add_option("--export", options->exportTo,
                    "After the handshake the card derives this exporter into its pending key: "
                    "bootstrap (-> Kmr, needs --key kbs) or connection (-> Kmc, needs --key kmr)")
        ->check(CLI::IsMember({"bootstrap", "connection"}));
    cmd->add_option("--identity", options->identity,
                    "PSK identity (default: from the card's Node-ID and key index)");
    // One value per occurrence (repeat the option), so that it cannot swallow the URL.
    cmd->add_option("--resolve", options->resolve,
                    "HOST:PORT:ADDRESS, as curl --resolve (repeatable)")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--timeout-ms", options->timeoutMs, "Whole request timeout")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--kmsa-file", options->kmsaFile,
                    "Terminal Kmsa (0600), for the secure channel")
        ->envname("M2M_KMSA_FILE")
        ->required();
    addCommonOptions(*cmd, options->common);
    cmd->callback([options, &exitCode] {
        const bool bootstrap = options->exportTo == "bootstrap";
        const bool connection = options->exportTo == "connection";
        if (!options->url.starts_with("https://")) {
            std::cerr << "m2m tls-check: the URL must start with https://\n";
            exitCode = static_cast<int>(Exit::Usage);
            return;
        }
        if ((bootstrap && options->key != "kbs") || (connection && options->key != "kmr")) {
            std::cerr << "m2m tls-check: --export " << options->exportTo << " needs --key "
                      << (bootstrap ? "kbs" : "kmr") << '\n';
            exitCode = static_cast<int>(Exit::Usage);
            return;
        }
        exitCode = runGuarded(options->common, [&] { return tlsCheck(*options); });
    });
}

}  // namespace m2m::cli
