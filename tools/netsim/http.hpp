// A small, strict HTTP/1.1 server side: requests read from a byte stream (the TLS session), one
// after the other on a kept-alive connection, and responses serialised back. Only what the agent
// and the tests send is accepted: origin-form targets, CRLF line ends, Content-Length framing.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace netsim::http {

inline constexpr std::size_t kMaxHeaderBytes = 8 * 1024;  // request line + headers -> 431
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;   // -> 413

struct Request {
    std::string method;
    std::string target;                                        // as sent
    std::string path;                                          // target without the query
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
    std::string body;
    bool keepAlive = true;

    [[nodiscard]] std::optional<std::string> header(std::string_view lowercaseName) const;
};

struct Response {
    int status = 200;
    std::string contentType;  // empty: no body type
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra ones (Location, Allow)
    bool close = false;  // the connection ends after this response
};

// A request that cannot be served: answered with `status` and the connection closed, because
// the stream's framing can no longer be trusted.
struct Failure {
    int status;
    std::string reason;  // for the error body and the log; never echoes request bytes
};

// The peer closed, went idle past the timeout, or the transport failed: nothing to answer.
struct Closed {};

// Reads up to `size` bytes into `buffer`: > 0 bytes read, 0 end of stream, < 0 timeout/error.
using ReadFn = std::function<long(char* buffer, std::size_t size)>;
// Writes an interim answer ("100 Continue"); false if the transport failed.
using WriteFn = std::function<bool(std::string_view data)>;

class RequestReader {
public:
    RequestReader(ReadFn read, WriteFn write) : read_(std::move(read)), write_(std::move(write)) {}
    std::variant<Request, Failure, Closed> next();

private:
    bool fill();  // false when the stream ended or failed
    ReadFn read_;
    WriteFn write_;
    std::string buffer_;  // bytes received beyond the previous request (pipelining)
};

[[nodiscard]] const char* reasonPhrase(int status);
[[nodiscard]] std::string serialise(const Response& response);
// A small text/plain error answer: "404 Not Found: <reason>".
[[nodiscard]] Response errorResponse(int status, std::string_view reason);
// 405 with the Allow header listing `allow` (e.g. "GET, PUT").
[[nodiscard]] Response notAllowed(std::string_view allow);

}  // namespace netsim::http
