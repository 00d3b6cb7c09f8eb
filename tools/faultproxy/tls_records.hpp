// Where TLS application data lies in a byte stream, read from the record headers only (RFC 5246
// §6.2: content type, version, length). The proxy never decrypts anything; it counts, so that a
// fault can be placed "N bytes into the request" instead of somewhere inside the handshake.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace faultproxy {

// A run of bytes of one kind, by offset into the chunk just fed.
struct Span {
    std::size_t offset = 0;
    std::size_t length = 0;
    bool applicationData = false;  // part of a record of content type 23 (header included)
};

class TlsRecordTracker {
public:
    // Classifies the next `n` bytes of the stream; the spans cover all of them, in order.
    // A stream that does not start like TLS (content type 20-24, version 3.x) is never
    // application data.
    std::vector<Span> feed(const std::uint8_t* data, std::size_t n);

private:
    enum class State { Header, Body, NotTls };
    State state_ = State::Header;
    bool started_ = false;
    std::array<std::uint8_t, 5> header_{};
    std::size_t headerBytes_ = 0;
    std::size_t bodyLeft_ = 0;
};

}  // namespace faultproxy
