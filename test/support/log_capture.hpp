// Captures everything the library logs while it exists, with the given level spec in force.
#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <memory>
#include <sstream>
#include <string>

#include "base/log.hpp"

class LogCapture {
public:
    explicit LogCapture(std::string_view spec)
        : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
        sink_->set_pattern("%n %l %v");
        base::log::addSink(sink_);
        base::log::configure(spec);
    }
    ~LogCapture() {
        base::log::removeSink(sink_);
        base::log::configure("");
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    std::string text() const { return out_.str(); }

private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};
