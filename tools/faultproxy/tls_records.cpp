#include "tls_records.hpp"

#include <algorithm>

namespace faultproxy {

namespace {

constexpr std::uint8_t kApplicationData = 23;

bool tlsContentType(std::uint8_t type) {
    return type >= 20 && type <= 24;
}

// Appends n bytes of one kind, merged with the previous span when it is of the same kind.
void append(std::vector<Span>& spans, std::size_t offset, std::size_t n, bool applicationData) {
    if (n == 0) {
        return;
    }
    if (!spans.empty() && spans.back().applicationData == applicationData) {
        spans.back().length += n;
    } else {
        spans.push_back({offset, n, applicationData});
    }
}

}  // namespace

std::vector<Span> TlsRecordTracker::feed(const std::uint8_t* data, std::size_t n) {
    std::vector<Span> spans;
    std::size_t at = 0;
    while (at < n) {
        switch (state_) {
            case State::NotTls:
                append(spans, at, n - at, false);
                at = n;
                break;
            case State::Header: {
                if (!started_) {
                    started_ = true;
                    if (!tlsContentType(data[at])) {
                        state_ = State::NotTls;
                        break;
                    }
                }
                // The content type is the header's first byte: the header is counted with
                // its record.
                const std::uint8_t type = headerBytes_ == 0 ? data[at] : header_[0];
                const std::size_t take = std::min(n - at, header_.size() - headerBytes_);
                std::copy_n(data + at, take, header_.begin() + static_cast<long>(headerBytes_));
                headerBytes_ += take;
                // Checked before the bytes are classified: a header that breaks the framing
                // (a version other than 3.x) is not the start of a record, so none of it counts
                // as application data.
                const bool lost =
                    !tlsContentType(header_[0]) || (headerBytes_ >= 2 && header_[1] != 3);
                append(spans, at, take, !lost && type == kApplicationData);
                at += take;
                if (lost) {
                    headerBytes_ = 0;
                    state_ = State::NotTls;  // lost the framing: stop classifying
                    break;
                }
                if (headerBytes_ == header_.size()) {
                    headerBytes_ = 0;
                    bodyLeft_ = static_cast<std::size_t>(header_[3]) << 8 | header_[4];
                    state_ = bodyLeft_ == 0 ? State::Header : State::Body;
                }
                break;
            }
            case State::Body: {
                const std::size_t take = std::min(n - at, bodyLeft_);
                append(spans, at, take, header_[0] == kApplicationData);
                at += take;
                bodyLeft_ -= take;
                if (bodyLeft_ == 0) {
                    state_ = State::Header;
                }
                break;
            }
        }
    }
    return spans;
}

}  // namespace faultproxy
