// The fault matrix as data: one cell per procedure × fault (× the APDU it strikes, for the card
// faults), as the run observed and checked it; the registry the cells report to; and the markdown
// table written from them when the run ends (tools/scripts/fault-matrix.sh puts it in README.md).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faults {

enum class Procedure {
    Personalisation,
    SecureChannelSetup,
    TlsBootstrap,
    ServiceConnection,
    Registration,
    ContentInstance,
};

enum class Fault {
    CardRemoved,
    PowerLoss,
    PcscdRestarted,
    NetworkDown,
    ResetMidRequest,
    ResetMidResponse,
    Truncated,
    Delayed,
    PskRefused,
    Http403,
    Http404,
    Http503,
    MalformedBody,
};

inline constexpr std::array kProcedures{
    Procedure::Personalisation,   Procedure::SecureChannelSetup, Procedure::TlsBootstrap,
    Procedure::ServiceConnection, Procedure::Registration,       Procedure::ContentInstance,
};
inline constexpr std::array kFaults{
    Fault::CardRemoved,     Fault::PowerLoss,        Fault::PcscdRestarted, Fault::NetworkDown,
    Fault::ResetMidRequest, Fault::ResetMidResponse, Fault::Truncated,      Fault::Delayed,
    Fault::PskRefused,      Fault::Http403,          Fault::Http404,        Fault::Http503,
    Fault::MalformedBody,
};

std::string_view name(Procedure procedure);
std::string_view name(Fault fault);

// Why a fault cannot strike a procedure (it has no network, say); nullopt: it applies, and the
// run must hold at least one checked cell for it.
std::optional<std::string_view> notApplicable(Procedure procedure, Fault fault);

struct Cell {
    Cell() = default;
    Cell(Procedure p, Fault f, unsigned apduStruck = 0, unsigned apduCount = 0)
        : procedure(p), fault(f), apdu(apduStruck), apdus(apduCount) {}

    Procedure procedure = Procedure::Personalisation;
    Fault fault = Fault::PowerLoss;
    unsigned apdu = 0;      // card faults: the APDU struck, 1-based ...
    unsigned apdus = 0;     // ... of this many in the procedure; 0: not an APDU fault
    std::string error;      // the typed errors seen, in order: "PcscCardRemoved (card_lost)"
    std::string reached;    // what the failure led to: "backoff → connecting", "failed"
    std::string recovered;  // the state it came back to, and how
    std::string data;       // readings lost or doubled: "none", or "n/a"
    std::string keys;       // the keys on the card against the network's, or the export's
    std::vector<std::string> failedChecks;  // empty: every check of the cell held
};

// Adds a finished cell to the run's table.
void record(Cell cell);
const std::vector<Cell>& recorded();

// The procedure × fault pairs that apply and have no recorded cell (a run that left one out).
std::vector<std::pair<Procedure, Fault>> missing(const std::vector<Cell>& cells);

// The table: procedures and faults in declaration order, APDUs ascending; cells of one procedure
// and fault with the same outcome share a row ("APDU 1–4, 6 of 11"). The pairs that do not apply
// have one row each, with the reason; a pair that applies but did not run shows as a failure.
std::string markdown(std::vector<Cell> cells);

}  // namespace faults
