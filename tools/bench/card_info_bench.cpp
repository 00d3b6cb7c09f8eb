// card-info: what `m2m card info` costs: connect, ATR, ICCID, EF_DIR.
#include "benchmarks.hpp"

#include "seuicc/pcsc.hpp"
#include "seuicc/uicc.hpp"

namespace bench {

using Clock = std::chrono::steady_clock;

Report cardInfo(const std::optional<std::string>& reader, int runs) {
    Series s{"m2m card info (connect + ATR, ICCID, EF_DIR)"};
    seuicc::PcscContext context;
    const std::string name = context.resolveReader(reader, std::nullopt);
    for (int i = 0; i < runs; ++i) {
        const auto start = Clock::now();
        auto card = context.connect(name);
        const auto info = seuicc::readCardInfo(*card);
        s.add(info.counters, msSince(start));
    }
    return {"card-info", {s}};
}

}  // namespace bench
