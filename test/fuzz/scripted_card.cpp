#include "scripted_card.hpp"

#include <algorithm>

namespace fuzz {

ScriptedCard::ScriptedCard(base::ByteView script, base::Bytes exhausted)
    : script_(script),
      exhausted_(std::move(exhausted)),
      transport_(
          base::Bytes{0x3B, 0x00}, [this](base::ByteView) { return next(); }, "scripted") {}

base::Bytes ScriptedCard::next() {
    if (offset_ + 2 > script_.size()) {
        return exhausted_;
    }
    const std::size_t announced = (std::size_t{script_[offset_]} << 8) | script_[offset_ + 1];
    offset_ += 2;
    const std::size_t length = std::min(announced, script_.size() - offset_);
    const auto begin = script_.begin() + static_cast<std::ptrdiff_t>(offset_);
    offset_ += length;
    return base::Bytes(begin, begin + static_cast<std::ptrdiff_t>(length));
}

}  // namespace fuzz
