#include "cli.hpp"

#include <iostream>

#include "base/log.hpp"
#include "base/text.hpp"
#include "integrity/errors.hpp"
#include "seuicc/errors.hpp"
#include "text_output.hpp"

namespace m2m::cli {

void addCommonOptions(CLI::App& cmd, CommonOptions& options) {
    cmd.add_option("--reader", options.reader,
                   "PC/SC reader name (default: first reader with a card)");
    cmd.add_option("--reader-index", options.readerIndex,
                   "PC/SC reader by position in `m2m readers`")
        ->excludes("--reader");
    cmd.add_flag("--json", options.json, "Print one JSON object instead of text");
    cmd.add_option("--log", options.log,
                   "Log levels per category, e.g. apdu=trace,pcsc=debug (also env M2M_LOG)");
}

Connection connect(const CommonOptions& options) {
    Connection c;
    c.readerName = c.context.resolveReader(options.reader, options.readerIndex);
    c.card = c.context.connect(c.readerName);
    return c;
}

void printResult(const CommonOptions& options, const nlohmann::ordered_json& result,
                 const std::function<void()>& printText) {
    if (options.json) {
        std::cout << jsonText(result, 2) << '\n';
    } else {
        printText();
    }
}

Failure describeFailure(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const seuicc::PcscServiceUnavailable& e) {
        return {Exit::ServiceDown, "pcsc", std::string(e.name()), e.what(),
                std::string(e.explanation())};
    } catch (const seuicc::PcscNoReaders& e) {
        return {Exit::NoReader, "pcsc", std::string(e.name()), e.what(),
                std::string(e.explanation())};
    } catch (const seuicc::PcscReaderNotFound& e) {
        return {Exit::NoReader, "pcsc", std::string(e.name()), e.what(),
                std::string(e.explanation())};
    } catch (const seuicc::PcscNoCard& e) {
        return {Exit::NoCard, "pcsc", std::string(e.name()), e.what(),
                std::string(e.explanation())};
    } catch (const seuicc::PcscCardRemoved& e) {
        return {Exit::NoCard, "pcsc", std::string(e.name()), e.what(),
                std::string(e.explanation())};
    } catch (const seuicc::PcscTransmitFailed& e) {
        return {Exit::Communication, "pcsc", std::string(e.name()), e.what(),
                std::string(e.explanation())};
    } catch (const seuicc::PcscTimeout& e) {
        return {Exit::Communication, "pcsc", std::string(e.name()), e.what(),
                std::string(e.explanation())};
    } catch (const seuicc::PcscError& e) {
        return {Exit::Failure, "pcsc", std::string(e.name()), e.what(),
                std::string(e.explanation())};
    } catch (const seuicc::CardStatusError& e) {
        char sw[5];
        std::snprintf(sw, sizeof sw, "%04X", e.sw());
        return {Exit::CardError, "card", sw, e.what(),
                std::string(seuicc::describeStatusWord(e.sw()))};
    } catch (const base::HexError& e) {
        return {Exit::Usage, "usage", "", e.what(),
                "Give APDUs as hex digits, e.g. 00A4000C023F00."};
    } catch (const seuicc::ApduFormatError& e) {
        return {Exit::Usage, "usage", "", e.what(), "The APDU is not a valid ISO 7816-4 command."};
    } catch (const integrity::MalformedInput& e) {
        return {Exit::Integrity, "integrity", "malformed", e.what(),
                "The input does not follow integrity/FORMATS.md (deterministic CBOR, ES256 only)."};
    } catch (const integrity::SignatureInvalid& e) {
        return {Exit::Integrity, "integrity", "signature", e.what(),
                "The signature does not verify: another signer, or the content was changed."};
    } catch (const integrity::KeyError& e) {
        return {Exit::Integrity, "integrity", "key", e.what(),
                "Use a P-256 key (PEM) or a certificate chain that leads to the trusted root."};
    } catch (const integrity::VersionNotNewer& e) {
        return {Exit::Integrity, "integrity", "version", e.what(),
                "A manifest must have a higher version than the one in force."};
    } catch (const integrity::NotFresh& e) {
        return {Exit::Integrity, "integrity", "not-fresh", e.what(),
                "The decision answers another report, or it expired."};
    } catch (const CLI::ValidationError& e) {
        return {Exit::Usage, "usage", "", e.what(), ""};
    } catch (const base::Error& e) {
        return {Exit::Failure, "error", "", e.what(), ""};
    } catch (const std::exception& e) {
        return {Exit::Failure, "error", "", e.what(), ""};
    }
}

nlohmann::ordered_json Failure::json() const {
    return {{"type", type},
            {"code", code},
            {"message", message},
            {"explanation", explanation},
            {"exit_code", static_cast<int>(exit)}};
}

// A message may quote a card or a server (an error body, a status word's context): printable.
void printFailure(const Failure& f) {
    std::cerr << "m2m: " << base::printable(f.message);
    if (!f.code.empty() && f.message.find(f.code) == std::string::npos) {
        std::cerr << " (" << base::printable(f.code) << ")";
    }
    std::cerr << '\n';
    if (!f.explanation.empty()) {
        std::cerr << "     " << base::printable(f.explanation) << '\n';
    }
}

int runGuarded(const CommonOptions& options, const std::function<Exit()>& body) {
    try {
        if (!options.log.empty()) {
            base::log::configure(options.log);
        }
        return static_cast<int>(body());
    } catch (...) {
        const Failure f = describeFailure(std::current_exception());
        if (options.json) {
            nlohmann::ordered_json j;
            j["error"] = f.json();
            std::cout << jsonText(j, 2) << '\n';
        }
        printFailure(f);
        return static_cast<int>(f.exit);
    }
}

}  // namespace m2m::cli
