// `m2m card ...`: what a person wants to know about the UICC in a reader.
#include <chrono>
#include <iostream>

#include "base/bytes.hpp"
#include "base/process.hpp"
#include "commands.hpp"
#include "provisioning/personalisation.hpp"
#include "securechannel/terminal_se.hpp"
#include "securechannel/ts102484/steps.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/uicc.hpp"
#include "seuicc/usim_client.hpp"
#include "text_output.hpp"

namespace m2m::cli {

namespace {

std::string secureChannelSupport(const seuicc::Atr& atr) {
    if (atr.platformSecuredApduRequired()) {
        return "required";
    }
    return atr.secureChannelSupported() ? "supported" : "not supported";
}

nlohmann::ordered_json countersJson(const seuicc::ApduCounters& c, double elapsedMs) {
    return {{"apdus", c.apdus},
            {"bytes_sent", c.bytesSent},
            {"bytes_received", c.bytesReceived},
            {"elapsed_ms", elapsedMs}};
}

Exit cardInfo(const CommonOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    auto connection = connect(options);
    const seuicc::CardInfo info = seuicc::readCardInfo(*connection.card);
    const double elapsedMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

    nlohmann::ordered_json result;
    result["reader"] = connection.readerName;
    result["atr"] = base::toHex(info.atr.raw);
    result["atr_decoded"] = info.atr.describe();
    result["iccid"] = info.iccid;
    result["applications"] = nlohmann::ordered_json::array();
    for (const auto& app : info.applications) {
        result["applications"].push_back({{"aid", base::toHex(app.aid)}, {"label", app.label}});
    }
    result["secure_channel"] = secureChannelSupport(info.atr);
    result["counters"] = countersJson(info.counters, elapsedMs);

    printResult(options, result, [&] {
        printCardInfo(std::cout, connection.readerName, info, secureChannelSupport(info.atr),
                      elapsedMs);
    });
    return Exit::Ok;
}

struct StatusOptions {
    CommonOptions common;
    std::string kmsaFile;
};

// Sets up a real TS 102 484 channel to the M2M-SED (and terminates it): the only honest way to
// say that the terminal's Kmsa and the card's agree. `iccid` gets the card's ICCID from the
// session (the endpoints' UICC_ID) when the setup gets that far.
nlohmann::ordered_json checkSecureChannel(const seuicc::Transaction& tx,
                                          seuicc::CardChannel& channel, const std::string& kmsaFile,
                                          std::string& iccid) {
    securechannel::TerminalSecuredEnvironment::Options o;
    o.kmsaKeyFile = kmsaFile;
    securechannel::TerminalSecuredEnvironment tsed(std::move(o));
    try {
        auto session = tsed.openSession(tx, channel, seuicc::M2mSedClient::kAid);
        iccid = session->iccid();
        const auto cost = session->setupCost().total();
        session->terminate(tx);
        return {{"secure_channel", "ok"},
                {"secure_channel_setup",
                 {{"apdus", cost.apdus},
                  {"bytes_sent", cost.bytesSent},
                  {"bytes_received", cost.bytesReceived}}}};
    } catch (const base::Error& e) {
        return {{"secure_channel", "failed"},
                {"secure_channel_error", e.what()},
                {"terminal_kmsa_kcv", base::toHex(tsed.kmsaCheckValue())}};
    }
}

// The ICCID as the M2M-SED's endpoints carry it (UICC_ID, one APDU on its channel), or from
// EF_ICCID on the basic channel for a card whose endpoints leave it out.
std::string iccidOf(const seuicc::Transaction& tx, seuicc::CardChannel& basic,
                    seuicc::CardChannel& sedChannel) {
    const auto endpoints =
        securechannel::ts102484::retrieveEndpoints(tx, sedChannel, seuicc::M2mSedClient::kAid);
    return seuicc::decodeIccid(endpoints.uiccId ? *endpoints.uiccId
                                                : seuicc::readEfIccid(tx, basic));
}

Exit cardStatus(const StatusOptions& options) {
    if (!options.kmsaFile.empty()) {
        base::hardenProcess();  // before Kmsa is read and the session keys exist
    }
    auto connection = connect(options.common);
    seuicc::Transaction tx(*connection.card);
    seuicc::CardChannel basic(*connection.card);
    seuicc::CardChannel channel = seuicc::CardChannel::open(tx, basic);
    seuicc::M2mSedClient sed(channel);
    sed.select(tx);
    const seuicc::SedStatus status = sed.status(tx);

    nlohmann::ordered_json result;
    result["reader"] = connection.readerName;
    result["iccid"] = "";  // filled in below; set now to keep its place in the output
    result.update(provisioning::statusJson(status));
    std::string iccid;
    if (options.kmsaFile.empty()) {
        result["secure_channel"] = "not checked (no --kmsa-file)";
    } else {
        result.update(checkSecureChannel(tx, channel, options.kmsaFile, iccid));
    }
    result["iccid"] = iccid.empty() ? iccidOf(tx, basic, channel) : iccid;
    channel.close(tx);

    printResult(options.common, result, [&] { printFields(std::cout, result); });
    const bool channelFailed = result["secure_channel"] == "failed";
    return channelFailed ? Exit::Failure : Exit::Ok;
}

struct AuthenticateOptions {
    CommonOptions common;
    std::string rand;
    std::string autn;
    std::string context = "3g";
};

std::string hexOf(const base::SecretBuffer& b) {
    return base::toHex(b.view());
}

// One AUTHENTICATE on the USIM, for checking the card against another MILENAGE (osmo-auc-gen):
// the keys it prints are the answer the user asked for, on stdout only, never in a log.
Exit cardAuthenticate(const AuthenticateOptions& options) {
    const base::Bytes rand = base::fromHex(options.rand);
    const base::Bytes autn = base::fromHex(options.autn);
    if (rand.size() != seuicc::UsimClient::kRandSize ||
        autn.size() != seuicc::UsimClient::kAutnSize) {
        throw CLI::ValidationError("--rand/--autn", "16 bytes of hex each");
    }
    const bool gba = options.context == "gba";
    auto connection = connect(options.common);
    seuicc::Transaction tx(*connection.card);
    seuicc::CardChannel basic(*connection.card);
    seuicc::UsimClient usim(basic);
    usim.select(tx);
    nlohmann::ordered_json result;
    result["context"] = options.context;
    Exit exit = Exit::Ok;
    try {
        const seuicc::AkaOutcome out = gba ? usim.authenticateGbaBootstrap(tx, rand, autn)
                                           : usim.authenticate3g(tx, rand, autn);
        if (out.kind == seuicc::AkaOutcome::Kind::SyncFailure) {
            result["result"] = "sync_failure";
            result["auts"] = base::toHex(out.auts);
        } else {
            result["result"] = "ok";
            result["res"] = hexOf(out.res);
            if (!gba) {
                result["ck"] = hexOf(out.ck);
                result["ik"] = hexOf(out.ik);
                if (!out.kc.empty()) {
                    result["kc"] = hexOf(out.kc);
                }
            }
        }
    } catch (const seuicc::UsimMacFailure&) {
        result["result"] = "mac_failure";
        result["sw"] = "9862";
        exit = Exit::CardError;
    }
    printResult(options.common, result, [&] { printFields(std::cout, result); });
    return exit;
}

}  // namespace

void addCardCommands(CLI::App& app, int& exitCode) {
    auto* card = app.add_subcommand("card", "Inspect the UICC");
    card->require_subcommand(1);

    auto options = std::make_shared<CommonOptions>();
    auto* info =
        card->add_subcommand("info", "ATR decoded, ICCID, applications, secure-channel support");
    addCommonOptions(*info, *options);
    info->callback([options, &exitCode] {
        exitCode = runGuarded(*options, [&] { return cardInfo(*options); });
    });

    auto statusOptions = std::make_shared<StatusOptions>();
    auto* status = card->add_subcommand(
        "status", "M2M-SED lifecycle, identities, indexes, lifetimes, KCVs, secure channel");
    status
        ->add_option("--kmsa-file", statusOptions->kmsaFile,
                     "Terminal Kmsa (0600): set up a real secure channel to check it")
        ->envname("M2M_KMSA_FILE");
    addCommonOptions(*status, statusOptions->common);
    status->callback([statusOptions, &exitCode] {
        exitCode = runGuarded(statusOptions->common, [&] { return cardStatus(*statusOptions); });
    });

    auto authOptions = std::make_shared<AuthenticateOptions>();
    auto* authenticate = card->add_subcommand(
        "authenticate", "One USIM AUTHENTICATE: RES, CK, IK (3G), or AUTS, or the MAC failure");
    authenticate->add_option("--rand", authOptions->rand, "RAND, 16 bytes hex")->required();
    authenticate->add_option("--autn", authOptions->autn, "AUTN, 16 bytes hex")->required();
    authenticate
        ->add_option("--context", authOptions->context,
                     "3g (RES, CK, IK, Kc) or gba (bootstrapping: RES; Ks stays in the card)")
        ->check(CLI::IsMember({"3g", "gba"}));
    addCommonOptions(*authenticate, authOptions->common);
    authenticate->callback([authOptions, &exitCode] {
        exitCode = runGuarded(authOptions->common, [&] { return cardAuthenticate(*authOptions); });
    });
}

}  // namespace m2m::cli
