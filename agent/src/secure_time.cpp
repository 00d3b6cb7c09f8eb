#include "agent/secure_time.hpp"

#include <cmath>

#include "base/log.hpp"
#include "provisioning/param_sets.hpp"

namespace agent {

namespace {

// The server's time resolution: xs:dateTime and `iat` in whole seconds.
constexpr Clock::duration kServerResolution = std::chrono::seconds(1);

Clock::duration magnitude(Clock::duration d) {
    return d < Clock::duration::zero() ? -d : d;
}

double seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

}  // namespace

SecureTime::SecureTime(AgentClock& clock, TimeConfig config, ChronyReader chrony)
    : clock_(&clock), config_(std::move(config)), chrony_(std::move(chrony)) {
    if (!chrony_) {
        chrony_ = [path = config_.chronyc, deadline = config_.chronycTimeout] {
            return readChrony(path, deadline);
        };
    }
    if (config_.source == TimeSource::Local) {
        base::log::kAgent->warn(
            "time: source \"local\": the local clock is used unchecked (not trusted)");
        trusted_ = false;
    }
}

void SecureTime::sample(Clock::time_point server, Clock::time_point sent,
                        Clock::time_point received, std::string_view what) {
    if (config_.source == TimeSource::Local) {
        return;
    }
    if (received < sent) {
        return;  // the local clock stepped back mid-exchange: the round trip means nothing
    }
    Sample s;
    const Clock::time_point midpoint = sent + (received - sent) / 2;
    s.offset = server - midpoint;
    s.uncertainty = (received - sent) / 2 + kServerResolution;
    // An offset within the sample's own uncertainty is no evidence the local clock is off: it
    // is kept as it is, not moved by up to a second of rounding (a registration of a few seconds
    // would otherwise be refreshed after it lapsed).
    if (magnitude(s.offset) <= s.uncertainty) {
        s.offset = Clock::duration::zero();
    }
    s.takenLocal = received;
    s.takenSecure = received + s.offset;
    const std::lock_guard lock(mutex_);
    if (network_) {
        const Sample& current = *network_;
        // A sample that disagrees beyond both uncertainties means the local clock moved: the
        // current one is stale, however precise it was.
        const bool moved =
            magnitude(s.offset - current.offset) > s.uncertainty + current.uncertainty;
        const bool old = current.takenLocal + config_.resync <= received;
        if (!moved && !old && s.uncertainty > current.uncertainty) {
            return;
        }
    }
    const bool first = !network_;
    network_ = s;
    if (first) {
        base::log::kAgent->info(
            "time: synchronised by {}: local clock {:+.3f} s off (+/- {} ms)", what,
            seconds(s.offset),
            std::chrono::duration_cast<std::chrono::milliseconds>(s.uncertainty).count());
    }
    judgeTrust();
}

void SecureTime::checkChrony() {
    if (config_.source != TimeSource::Chrony) {
        return;
    }
    // chronyc may take its whole deadline: asked outside the lock.
    ChronyState state;
    std::string note;
    try {
        state = chrony_();
        note = state.trusted ? state.reason : state.reason + ": the NSCL's time decides";
    } catch (const ChronyUnavailable& e) {
        state = {};
        note = std::string(e.what()) + ": falling back to the NSCL's time";
    } catch (const ChronyOutputError& e) {
        state = {};
        note = std::string(e.what()) + ": falling back to the NSCL's time";
    }
    const auto checkedAt = clock_->now();
    const std::lock_guard lock(mutex_);
    chronyTrusted_ = state.trusted;
    chronyUncertainty_ = std::chrono::duration_cast<Clock::duration>(state.uncertainty);
    chronyCheckedAt_ = checkedAt;
    if (note != note_) {
        if (chronyTrusted_) {
            base::log::kAgent->info("time: {}", note);
        } else {
            base::log::kAgent->warn("time: {}", note);
        }
        note_ = note;
    }
    judgeTrust();
}

bool SecureTime::wantsNetworkSample() const {
    const std::lock_guard lock(mutex_);
    return config_.source == TimeSource::Network ||
           (config_.source == TimeSource::Chrony && !chronyTrusted_);
}

bool SecureTime::synchronised() const {
    const std::lock_guard lock(mutex_);
    return isSynchronised();
}

Clock::duration SecureTime::offset() const {
    const std::lock_guard lock(mutex_);
    return currentOffset();
}

Clock::duration SecureTime::uncertainty() const {
    const std::lock_guard lock(mutex_);
    return currentUncertainty();
}

bool SecureTime::localTrusted() const {
    const std::lock_guard lock(mutex_);
    return trustedNow();
}

bool SecureTime::isSynchronised() const {
    if (config_.source == TimeSource::Local) {
        return false;
    }
    return (config_.source == TimeSource::Chrony && chronyTrusted_) || network_.has_value();
}

Clock::duration SecureTime::currentOffset() const {
    if (!isSynchronised() || (config_.source == TimeSource::Chrony && chronyTrusted_)) {
        return {};
    }
    return network_->offset;
}

Clock::duration SecureTime::currentUncertainty() const {
    if (config_.source == TimeSource::Chrony && chronyTrusted_) {
        return chronyUncertainty_;
    }
    return isSynchronised() ? network_->uncertainty : Clock::duration{};
}

bool SecureTime::trustedNow() const {
    return isSynchronised() && magnitude(currentOffset()) <= config_.tolerance;
}

Clock::time_point SecureTime::now() const {
    return clock_->now() + offset();
}

std::optional<Clock::time_point> SecureTime::secureNow() const {
    const std::lock_guard lock(mutex_);
    if (!isSynchronised()) {
        return std::nullopt;
    }
    return clock_->now() + currentOffset();
}

Clock::time_point SecureTime::toLocal(Clock::time_point secure) const {
    return secure - offset();
}

Clock::time_point SecureTime::toSecure(Clock::time_point local) const {
    return local + offset();
}

void SecureTime::judgeTrust() {
    const bool trusted = trustedNow();
    if (trusted_ == trusted || (!trusted_ && trusted)) {
        trusted_ = trusted;
        return;
    }
    trusted_ = trusted;
    if (trusted) {
        base::log::kAgent->warn(
            "time: the local clock is trusted again ({:+.3f} s off, tolerance "
            "{} s)",
            seconds(currentOffset()), config_.tolerance.count());
    } else {
        base::log::kAgent->warn(
            "time: the local clock is {:+.3f} s off secure time (tolerance {} s): not trusted",
            seconds(currentOffset()), config_.tolerance.count());
    }
}

TimeStatus SecureTime::status() const {
    const std::lock_guard lock(mutex_);
    TimeStatus t;
    t.source = std::string(toString(config_.source));
    t.synchronised = isSynchronised();
    t.offsetSeconds = seconds(currentOffset());
    t.uncertaintyMs = std::chrono::duration<double, std::milli>(currentUncertainty()).count();
    t.localTrusted = trustedNow();
    if (config_.source == TimeSource::Chrony && chronyTrusted_) {
        t.lastSync = chronyCheckedAt_;
    } else if (network_ && config_.source != TimeSource::Local) {
        t.lastSync = network_->takenSecure;
    }
    t.note = note_;
    return t;
}

}  // namespace agent
