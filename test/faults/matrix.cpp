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
    std::string out =
        "| Procedure | Fault | At | Typed error (cause) | State reached | Recovered to | Data lost | "
        "Keys |\n|---|---|---|---|---|---|---|---|\n";
    std::vector<bool> used(cells.size(), false);
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (used[i]) {
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
            for (const auto& f : c.failedChecks) {
                why += (why.empty() ? "" : "; ") + f;
            }
            error = "**FAILED: " + why + "** " + error;
        }
        out += "| " + escape(std::string(name(c.procedure))) + " | " +
               escape(std::string(name(c.fault))) + " | " + escape(at) + " | " + escape(error) +
               " | " + escape(c.reached) + " | " + escape(c.recovered) + " | " + escape(c.data) +
               " | " + escape(c.keys) + " |\n";
    }
    out += "\n" + std::to_string(cells.size()) + " cells, " +
           (failed == 0 ? std::string("every check held")
                        : std::to_string(failed) + " with failed checks") +
           ".\n";
    return out;
}

}  // namespace faults
