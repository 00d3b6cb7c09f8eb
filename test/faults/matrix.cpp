#include "matrix.hpp"

#include <algorithm>
#include <tuple>

namespace faults {

namespace {

std::vector<Cell>& registry() {
    static std::vector<Cell> cells;
    return cells;
}

bool sameOutcome(const Cell& a, const Cell& b) {
    return a.procedure == b.procedure && a.fault == b.fault && a.apdus == b.apdus &&
           a.error == b.error && a.reached == b.reached && a.recovered == b.recovered &&
           a.data == b.data && a.keys == b.keys && a.failedChecks == b.failedChecks;
}

// "1–4, 6, 9–11": ascending APDU numbers with runs compressed.
std::string ranges(const std::vector<unsigned>& numbers) {
    std::string out;
    for (std::size_t i = 0; i < numbers.size();) {
        std::size_t j = i;
        while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) {
            ++j;
        }
        out += (out.empty() ? "" : ", ") + std::to_string(numbers[i]);
        if (j > i) {
            out += (j == i + 1 ? ", " : "–") + std::to_string(numbers[j]);
        }
        i = j + 1;
    }
    return out;
}

// A table cell: no line breaks, no bare pipes.
std::string escape(std::string text) {
    std::string out;
    for (char c : text) {
        if (c == '|') {
            out += "\\|";
        } else if (c == '\n') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out.empty() ? "—" : out;
}

}  // namespace

std::string_view name(Procedure procedure) {
    switch (procedure) {
        case Procedure::Personalisation:
            return "personalisation (`m2m provision`)";
        case Procedure::SecureChannelSetup:
            return "secure-channel setup (agent start)";
        case Procedure::TlsBootstrap:
            return "TLS bootstrap";
        case Procedure::ServiceConnection:
            return "service connection";
        case Procedure::Registration:
            return "registration (SCL, application, container)";
        case Procedure::ContentInstance:
            return "contentInstance";
    }
    return "?";
}

std::string_view name(Fault fault) {
    switch (fault) {
        case Fault::CardRemoved:
            return "card removed";
        case Fault::PowerLoss:
            return "power loss (tear)";
        case Fault::PcscdRestarted:
            return "pcscd restarted";
        case Fault::NetworkDown:
            return "network down";
        case Fault::ResetMidRequest:
            return "TCP reset mid-request";
        case Fault::ResetMidResponse:
            return "TCP reset mid-response";
        case Fault::Truncated:
            return "response truncated";
        case Fault::Delayed:
            return "response delayed past the timeout";
        case Fault::PskRefused:
            return "TLS alert (PSK refused)";
        case Fault::Http403:
            return "HTTP 403";
        case Fault::Http404:
            return "HTTP 404";
        case Fault::Http503:
            return "HTTP 503";
        case Fault::MalformedBody:
            return "malformed body";
    }
    return "?";
}

std::optional<std::string_view> notApplicable(Procedure procedure, Fault fault) {
    const bool cardFault =
        fault == Fault::CardRemoved || fault == Fault::PowerLoss || fault == Fault::PcscdRestarted;
    if (cardFault) {
        return std::nullopt;  // every procedure uses the card
    }
    if (procedure == Procedure::Personalisation) {
        return "no network: `m2m provision` talks only to the card; the network side gets the "
               "export file";
    }
    if (procedure == Procedure::SecureChannelSetup) {
        return "no network: the TS 102 484 channel is set up between the agent and the card "
               "before any network procedure";
    }
    return std::nullopt;
}

std::vector<std::pair<Procedure, Fault>> missing(const std::vector<Cell>& cells) {
    std::vector<std::pair<Procedure, Fault>> out;
    for (const Procedure p : kProcedures) {
        for (const Fault f : kFaults) {
            const bool ran = std::any_of(cells.begin(), cells.end(), [&](const Cell& c) {
                return c.procedure == p && c.fault == f;
            });
            if (!ran && !notApplicable(p, f)) {
                out.emplace_back(p, f);
            }
        }
    }
    return out;
}

void record(Cell cell) {
    registry().push_back(std::move(cell));
}

const std::vector<Cell>& recorded() {
    return registry();
}

std::string markdown(std::vector<Cell> cells) {
    std::stable_sort(cells.begin(), cells.end(), [](const Cell& a, const Cell& b) {
        return std::tie(a.procedure, a.fault, a.apdu) < std::tie(b.procedure, b.fault, b.apdu);
    });
    std::size_t failed = 0;
    for (const Cell& c : cells) {
        failed += c.failedChecks.empty() ? 0 : 1;
    }
    const auto notRun = missing(cells);
    std::size_t notApplicablePairs = 0;
    std::string out =
        "| Procedure | Fault | At | Typed error (cause) | State reached | Recovered to | Data lost "
        "| "
        "Keys |\n|---|---|---|---|---|---|---|---|\n";
    const auto row = [&](Procedure p, const std::string& faults, const std::string& at,
                         const std::string& error, const std::string& reached,
                         const std::string& recovered, const std::string& data,
                         const std::string& keys) {
        out += "| " + escape(std::string(name(p))) + " | " + escape(faults) + " | " + escape(at) +
               " | " + escape(error) + " | " + escape(reached) + " | " + escape(recovered) + " | " +
               escape(data) + " | " + escape(keys) + " |\n";
    };
    std::vector<bool> used(cells.size(), false);
    for (const Procedure p : kProcedures) {
        for (const Fault f : kFaults) {
            if (const auto why = notApplicable(p, f)) {
                ++notApplicablePairs;
                // One row for the faults that share the reason, where the first of them stands.
                std::string faults;
                std::optional<Fault> first;
                for (const Fault other : kFaults) {
                    if (notApplicable(p, other) == why) {
                        first = first.value_or(other);
                        faults += (faults.empty() ? "" : ", ") + std::string(name(other));
                    }
                }
                if (first == f) {
                    row(p, faults, "", "", "not applicable: " + std::string(*why), "", "", "");
                }
                continue;
            }
            if (std::find(notRun.begin(), notRun.end(), std::make_pair(p, f)) != notRun.end()) {
                row(p, std::string(name(f)), "", "**FAILED: not run**", "", "", "", "");
                continue;
            }
            for (std::size_t i = 0; i < cells.size(); ++i) {
                if (used[i] || cells[i].procedure != p || cells[i].fault != f) {
                    continue;
                }
                std::vector<unsigned> apdus;
                for (std::size_t j = i; j < cells.size(); ++j) {
                    if (!used[j] && sameOutcome(cells[i], cells[j])) {
                        used[j] = true;
                        apdus.push_back(cells[j].apdu);
                    }
                }
                const Cell& c = cells[i];
                const std::string at =
                    c.apdus == 0 ? "" : "APDU " + ranges(apdus) + " of " + std::to_string(c.apdus);
                std::string error = c.error;
                if (!c.failedChecks.empty()) {
                    std::string why;
                    for (const auto& check : c.failedChecks) {
                        why += (why.empty() ? "" : "; ") + check;
                    }
                    error = "**FAILED: " + why + "** " + error;
                }
                row(p, std::string(name(f)), at, error, c.reached, c.recovered, c.data, c.keys);
            }
        }
    }
    const std::size_t pairs = kProcedures.size() * kFaults.size();
    out += "\n" + std::to_string(kProcedures.size()) + " procedures × " +
           std::to_string(kFaults.size()) + " faults = " + std::to_string(pairs) +
           " pairs: " + std::to_string(pairs - notApplicablePairs) + " run as " +
           std::to_string(cells.size()) + " cells (the card faults once per APDU), " +
           std::to_string(notApplicablePairs) + " not applicable; " +
           (failed == 0 && notRun.empty() ? std::string("every check held")
                                          : std::to_string(failed) + " cells with failed checks, " +
                                                std::to_string(notRun.size()) + " pairs not run") +
           ".\n";
    return out;
}

}  // namespace faults
