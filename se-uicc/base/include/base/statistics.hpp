// The one way the project summarises a set of timings (status wait times, benchmarks).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace base {

// The value at fraction `p` (0..1) of the sorted values, the nearest rank; 0 for none.
inline double percentile(std::vector<double> values, double p) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const auto at = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(at, values.size() - 1)];
}

}  // namespace base
