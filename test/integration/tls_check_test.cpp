// `m2m tls-check` end to end: the built command, the emulated card over real pcscd (the PSK in
// the M2M-SED, the master secret and the exporter computed there, through the TS 102 484 channel)
// against `openssl s_server` holding the same PSK in memory. s_server prints the exporter it
// computed ("Keying material"), so the card's pending-key KCV is checked against an independent
// implementation.
#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "m2m_cli.hpp"
#include "openssl_s_server.hpp"
#include "securechannel/crypto.hpp"
#include "sed_fixture.hpp"

using testsupport::PersonalisedCard;
using testsupport::runM2m;

namespace {

// sed_fixture.hpp's profile: Node-ID 00112233445566778899AABBCCDDEEFF, KmrIndex 7.
const std::string kKmrIdentity = "00112233445566778899aabbccddeeff.7";
const std::string kKbsIdentity = "00112233445566778899aabbccddeeff.bootstrap";

std::string readerArgs(PersonalisedCard& sim) {
    return " --reader '" + sim.card().readerName() + "' --kmsa-file '" + sim.kmsaFile().string() +
           "'";
}

nlohmann::json cardStatus(PersonalisedCard& sim) {
    const auto run = runM2m("card status --json --reader '" + sim.card().readerName() + "'");
    REQUIRE(run.exitCode == 0);
    return nlohmann::json::parse(run.out);
}

std::vector<std::string> pskServer(const base::Bytes& psk, const std::string& identity) {
    return {"-nocert", "-psk", base::toHex(psk), "-psk_identity", identity, "-tls1_2"};
}

}  // namespace

TEST_CASE("m2m tls-check --export: the card's exporter matches openssl s_server's",
          "[integration][tls-check]") {
    struct Case {
        const char* name;
        const char* key;
        const char* exportTo;
        const char* label;
        std::string identity;
    };
    const Case cases[] = {
        {"Kmr -> pending Kmc", "kmr", "connection", "EXPORTER-ETSI-TC-M2M-Connection",
         kKmrIdentity},
        {"Kbs -> pending Kmr", "kbs", "bootstrap", "EXPORTER-ETSI-TC-M2M-Bootstrap", kKbsIdentity},
    };
    for (const auto& c : cases) {
        SECTION(c.name) {
            PersonalisedCard sim;
            const nlohmann::json before = cardStatus(sim);

            auto args = pskServer(sim.keys().kmr, c.identity);  // Kmr = Kbs in this fixture
            args.insert(args.end(), {"-keymatexport", c.label, "-keymatexportlen", "32"});
            tlstest::OpensslServer server(args);
            server.autoReply(tlstest::httpReply("checked"));

            const auto run =
                runM2m("tls-check " + server.url("/m2m/bootstrap") + " --key " + c.key +
                       " --export " + c.exportTo + " --json" + readerArgs(sim));
            INFO(run.out);
            INFO(server.output());
            REQUIRE(run.exitCode == 0);
            const auto result = nlohmann::json::parse(run.out);
            CHECK(result["protocol"] == "TLSv1.2");
            CHECK(result["cipher"] == "PSK-AES128-CBC-SHA256");
            CHECK(result["cipher_id"] == "0x00AE");
            CHECK(result["identity"] == c.identity);
            CHECK(result["http_status"] == 200);
            CHECK(result["export_state"] == "pending");
            CHECK(result["handshake_apdus"].get<int>() > 0);

            REQUIRE(server.waitFor("Keying material:", std::chrono::seconds(5)));
            const auto material = server.keyingMaterial();
            REQUIRE(material);
            CHECK(result["export_kcv"] ==
                  base::toHex(securechannel::keyCheckValue(base::fromHex(*material))));
            CHECK(server.output().find("PSK-AES128-CBC-SHA256") != std::string::npos);

            // The exporter went into the *pending* key: the active keys are what they were.
            const nlohmann::json after = cardStatus(sim);
            CHECK(after["kmc_kcv"] == before["kmc_kcv"]);
            CHECK(after["kmr_kcv"] == before["kmr_kcv"]);
            CHECK(after["kmc_index"] == before["kmc_index"]);
        }
    }
}

TEST_CASE("m2m tls-check: a plain request, then a server with another PSK",
          "[integration][tls-check][negative]") {
    PersonalisedCard sim;
    {
        auto args = pskServer(sim.keys().kbs, kKbsIdentity);
        args.push_back("-www");
        tlstest::OpensslServer server(args);
        const auto run =
            runM2m("tls-check " + server.url() + " --key kbs --json" + readerArgs(sim));
        INFO(run.out);
        REQUIRE(run.exitCode == 0);
        const auto result = nlohmann::json::parse(run.out);
        CHECK(result["identity"] == kKbsIdentity);
        CHECK(result["http_status"] == 200);
        CHECK_FALSE(result.contains("export_kcv"));
    }
    {
        auto args = pskServer(securechannel::randomBytes(32), kKmrIdentity);
        args.push_back("-www");
        tlstest::OpensslServer server(args);
        const auto run =
            runM2m("tls-check " + server.url() + " --key kmr --json" + readerArgs(sim));
        INFO(run.out);
        CHECK(run.exitCode == 1);
        const auto result = nlohmann::json::parse(run.out);
        const std::string message = result["error"]["message"];
        CHECK(message.find("rejected the PSK") != std::string::npos);
        CHECK(message.find(base::toHex(sim.keys().kmr)) == std::string::npos);
    }
    // A card without a Kmc: the identity cannot be formed, and nothing is sent.
    const auto noKmc = runM2m("tls-check https://127.0.0.1:1/ --key kmc --json" + readerArgs(sim));
    CHECK(noKmc.exitCode == 1);
    CHECK(noKmc.out.find("no Kmc") != std::string::npos);
    // --export connection with the wrong key is a usage error.
    CHECK(runM2m("tls-check https://127.0.0.1:1/ --key kbs --export connection" + readerArgs(sim))
              .exitCode == 2);
}

TEST_CASE(
    "m2m tls-check: the handshake and the export are reported when the server then closes "
    "without an answer",
    "[integration][tls-check][negative]") {
    PersonalisedCard sim;
    const std::string label = "EXPORTER-ETSI-TC-M2M-Connection";
    auto args = pskServer(sim.keys().kmr, kKmrIdentity);
    args.insert(args.end(), {"-keymatexport", label, "-keymatexportlen", "32"});
    tlstest::OpensslServer server(args);
    server.autoReply("q\n");  // s_server's command: end the connection, answer nothing

    const auto json = runM2m("tls-check " + server.url() + " --key kmr --export connection --json" +
                             readerArgs(sim));
    INFO(json.out);
    INFO(server.output());
    CHECK(json.exitCode == 1);  // as before: a failed request is a failure
    const auto result = nlohmann::json::parse(json.out);
    CHECK(result["protocol"] == "TLSv1.2");
    CHECK(result["cipher"] == "PSK-AES128-CBC-SHA256");
    CHECK(result["identity"] == kKmrIdentity);
    CHECK(result["handshake_apdus"].get<int>() > 0);
    CHECK_FALSE(result.contains("http_status"));
    CHECK(result["failed_after"] == "handshake");
    // curl says "Empty reply from server", or, when s_server closes before reading the request
    // (a busy machine), "Recv failure: Connection reset by peer": either way, no answer.
    const std::string message = result["error"]["message"].get<std::string>();
    CHECK((message.find("Empty reply") != std::string::npos ||
           message.find("Recv failure") != std::string::npos));
    CHECK(result["error"]["exit_code"] == 1);
    REQUIRE(server.waitFor("Keying material:", std::chrono::seconds(5)));
    const auto material = server.keyingMaterial();
    REQUIRE(material);
    CHECK(result["export_kcv"] ==
          base::toHex(securechannel::keyCheckValue(base::fromHex(*material))));
    CHECK(result["export_state"] == "pending");

    // The same in text, for a person.
    const auto text =
        runM2m("tls-check " + server.url() + " --key kmr --export connection" + readerArgs(sim));
    INFO(text.out);
    CHECK(text.exitCode == 1);
    CHECK(text.out.find("TLS:         TLSv1.2 PSK-AES128-CBC-SHA256 (0x00AE)") !=
          std::string::npos);
    CHECK(text.out.find("HTTP:        failed after the handshake") != std::string::npos);
    CHECK(text.out.find("-> pending Kmc, KCV ") != std::string::npos);
    CHECK(text.out.find("Card cost:") != std::string::npos);
}
