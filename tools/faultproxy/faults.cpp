#include "faults.hpp"

#include <charconv>
#include <stdexcept>

namespace faultproxy {

namespace {

std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t at = 0;
    while (at < line.size()) {
        const auto start = line.find_first_not_of(" \t\r", at);
        if (start == std::string_view::npos) {
            break;
        }
        const auto end = line.find_first_of(" \t\r", start);
        out.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
        at = end == std::string_view::npos ? line.size() : end;
    }
    return out;
}

std::uint64_t number(std::string_view word, std::string_view what) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (error != std::errc() || end != word.data() + word.size() || word.size() > 12) {
        throw std::invalid_argument(std::string(what) + " must be a number, not '" +
                                    std::string(word) + "'");
    }
    return value;
}

// The options after a fault's own arguments: [after N] [data] [times K].
void options(FaultSpec& spec, const std::vector<std::string_view>& w, std::size_t from,
             bool allowAfter) {
    for (std::size_t i = from; i < w.size(); ++i) {
        if (w[i] == "data") {
            spec.dataOnly = true;
        } else if (w[i] == "times" && i + 1 < w.size()) {
            spec.times = static_cast<unsigned>(number(w[++i], "times"));
            if (spec.times == 0) {
                throw std::invalid_argument("times must be at least 1");
            }
        } else if (w[i] == "after" && allowAfter && i + 1 < w.size()) {
            spec.after = number(w[++i], "after");
        } else {
            throw std::invalid_argument("unexpected '" + std::string(w[i]) + "'");
        }
    }
}

}  // namespace

std::string FaultSpec::text() const {
    std::string out;
    switch (kind) {
        case Kind::Reset:
            out = std::string("reset ") +
                  (direction == Direction::FromClient ? "client " : "server ") +
                  std::to_string(after);
            break;
        case Kind::Truncate:
            out = "truncate " + std::to_string(after);
            break;
        case Kind::Delay:
            out = "delay " + std::to_string(delay.count()) +
                  (after != 0 ? " after " + std::to_string(after) : "");
            break;
    }
    return out + (dataOnly ? " data" : "") + (times != 1 ? " times " + std::to_string(times) : "");
}

Command parseCommand(std::string_view line) {
    const auto w = words(line);
    if (w.empty()) {
        throw std::invalid_argument("empty command");
    }
    Command c;
    auto bare = [&](Command::Kind kind) {
        if (w.size() != 1) {
            throw std::invalid_argument("'" + std::string(w[0]) + "' takes no arguments");
        }
        c.kind = kind;
        return c;
    };
    if (w[0] == "pass") {
        return bare(Command::Kind::Pass);
    }
    if (w[0] == "refuse") {
        return bare(Command::Kind::Refuse);
    }
    if (w[0] == "cut") {
        return bare(Command::Kind::Cut);
    }
    if (w[0] == "status") {
        return bare(Command::Kind::Status);
    }
    c.kind = Command::Kind::Arm;
    FaultSpec& f = c.fault;
    if (w[0] == "reset" && w.size() >= 3 && (w[1] == "client" || w[1] == "server")) {
        f.kind = FaultSpec::Kind::Reset;
        f.direction = w[1] == "client" ? Direction::FromClient : Direction::FromServer;
        f.after = number(w[2], "the byte count");
        options(f, w, 3, false);
    } else if (w[0] == "truncate" && w.size() >= 2) {
        f.kind = FaultSpec::Kind::Truncate;
        f.direction = Direction::FromServer;
        f.after = number(w[1], "the byte count");
        options(f, w, 2, false);
    } else if (w[0] == "delay" && w.size() >= 2) {
        f.kind = FaultSpec::Kind::Delay;
        f.direction = Direction::FromServer;
        f.delay = std::chrono::milliseconds(number(w[1], "the delay"));
        options(f, w, 2, true);
    } else {
        throw std::invalid_argument("unknown command '" + std::string(line) +
                                    "' (pass, refuse, cut, reset client|server N, truncate N, "
                                    "delay MS, status)");
    }
    return c;
}

std::optional<std::size_t> FaultCounter::advance(const ArmedFault& fault,
                                                 const std::vector<Span>& spans) {
    if (fault.generation != generation_) {
        generation_ = fault.generation;
        counted_ = 0;
    }
    for (const Span& s : spans) {
        if (fault.spec.dataOnly && !s.applicationData) {
            continue;
        }
        if (counted_ + s.length > fault.spec.after) {
            return s.offset + static_cast<std::size_t>(fault.spec.after - counted_);
        }
        counted_ += s.length;
    }
    return std::nullopt;
}

void FaultBoard::arm(const FaultSpec& spec) {
    const std::lock_guard lock(mutex_);
    armed_ = spec;
    remaining_ = spec.times;
    ++generation_;
}

void FaultBoard::clear() {
    const std::lock_guard lock(mutex_);
    armed_.reset();
    remaining_ = 0;
    ++generation_;
}

std::optional<ArmedFault> FaultBoard::current() const {
    const std::lock_guard lock(mutex_);
    if (!armed_ || remaining_ == 0) {
        return std::nullopt;
    }
    return ArmedFault{*armed_, generation_};
}

bool FaultBoard::claim(std::uint64_t generation) {
    const std::lock_guard lock(mutex_);
    if (!armed_ || generation != generation_ || remaining_ == 0) {
        return false;
    }
    switch (armed_->kind) {
        case FaultSpec::Kind::Reset:
            ++counters_.resets;
            break;
        case FaultSpec::Kind::Truncate:
            ++counters_.truncations;
            break;
        case FaultSpec::Kind::Delay:
            ++counters_.delays;
            break;
    }
    if (--remaining_ == 0) {
        armed_.reset();
    }
    return true;
}

FaultBoard::Counters FaultBoard::counters() const {
    const std::lock_guard lock(mutex_);
    return counters_;
}

std::optional<std::pair<std::string, unsigned>> FaultBoard::describe() const {
    const std::lock_guard lock(mutex_);
    if (!armed_) {
        return std::nullopt;
    }
    return std::pair{armed_->text(), remaining_};
}

}  // namespace faultproxy
