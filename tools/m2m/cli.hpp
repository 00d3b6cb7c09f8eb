// Shared plumbing of the `m2m` command: the options every subcommand takes, how a card is
// reached, how results are printed (text or --json) and how failures map to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "seuicc/pcsc.hpp"

namespace m2m::cli {

// Stable exit codes: scripts and the systemd unit rely on them; never renumber.
enum class Exit : int {
    Ok = 0,
    Failure = 1,        // anything not listed below
    Usage = 2,          // bad command line
    ServiceDown = 3,    // pcscd not running / not reachable
    NoReader = 4,       // no reader, or the named reader does not exist
    NoCard = 5,         // no card in the reader, or it was removed
    CardError = 6,      // the card answered with an error status word
    Communication = 7,  // transmission failed (reader or card stopped answering)
    Integrity = 8,      // an integrity format, signature, chain or freshness check failed
};

struct CommonOptions {
    std::optional<std::string> reader;
    std::optional<std::size_t> readerIndex;
    bool json = false;
    std::string log;
};

// Adds --reader, --reader-index, --json and --log to a subcommand.
void addCommonOptions(CLI::App& cmd, CommonOptions& options);

// Connects to the reader the options name (default: the first reader with a card).
struct Connection {
    seuicc::PcscContext context;
    std::string readerName;
    std::unique_ptr<seuicc::PcscCard> card;
};
Connection connect(const CommonOptions& options);

// Prints a result either as JSON (one object; bytes that are not UTF-8 as U+FFFD) or as text
// (`printText`, which passes card and peer strings through base::printable: text_output.hpp).
void printResult(const CommonOptions& options, const nlohmann::ordered_json& result,
                 const std::function<void()>& printText);

// What went wrong, for a person and a script: the exit code, a type ("pcsc", "card", "usage",
// "error"), a code (PC/SC name or status word, if any), the message and what to do about it.
struct Failure {
    Exit exit = Exit::Failure;
    std::string type;
    std::string code;
    std::string message;
    std::string explanation;

    // {"type", "code", "message", "explanation", "exit_code"}: the "error" object of --json.
    [[nodiscard]] nlohmann::ordered_json json() const;
};
Failure describeFailure(std::exception_ptr error);
// "m2m: message (code)" and the explanation, on stderr, through base::printable.
void printFailure(const Failure& failure);

// Runs a subcommand body, turning every typed error into a clear message and its exit code
// (with --json also {"error": Failure::json()} on stdout).
int runGuarded(const CommonOptions& options, const std::function<Exit()>& body);

}  // namespace m2m::cli
