// The strict HTTP/1.1 subset the PSK servers accept, checked on the request head cpp-httplib has
// parsed (its parser is lenient: it drops lines it cannot read and takes any Content-Length), and
// the small text/plain answers they give when they refuse one.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

namespace securechannel::tls::server::http {

// Why a request head is refused: the status and a reason for the body and the log (never an echo
// of request bytes).
struct Refusal {
    int status;
    std::string reason;
};

struct HeadLimits {
    std::size_t maxHeadBytes;  // request line + header fields -> 431
    std::size_t maxBodyBytes;  // Content-Length -> 413
};

// nullopt when the head is inside the subset (HTTP/1.1, origin-form target, valid field names and
// values, exactly one Host, Content-Length framing only, no Content-Encoding, Expect only
// 100-continue, within the limits); otherwise the answer to give before closing the connection.
[[nodiscard]] std::optional<Refusal> checkHead(const httplib::Request& request,
                                               const HeadLimits& limits);

// Bytes of the head as the client sent it (request line, fields, line ends), without the fields
// cpp-httplib adds itself (REMOTE_ADDR, REMOTE_PORT, LOCAL_ADDR, LOCAL_PORT).
[[nodiscard]] std::size_t headBytes(const httplib::Request& request);

[[nodiscard]] const char* reasonPhrase(int status);

// Why cpp-httplib refused a request itself (its parser could not read the head or the body), for
// the answer and the log: from the status it chose.
[[nodiscard]] const char* parserRefusal(int status);
// The answer to an exception out of a handler: logged, 500 "internal error" (never its text:
// cpp-httplib's default would send what() back in a header).
void setInternalError(httplib::Response& response, const std::exception_ptr& error);
// The listening socket's options: SO_REUSEADDR only. cpp-httplib's default adds SO_REUSEPORT,
// which would let a second server bind the same port and take a share of its connections.
void setListenOptions(socket_t socket);

// `status` with a text/plain body "404 Not Found: <reason>".
void setError(httplib::Response& response, int status, std::string_view reason);
// 405 with an Allow header listing `allow` (e.g. "GET, PUT").
void setNotAllowed(httplib::Response& response, std::string_view allow);

// The segments of an origin-form path ("/m2m/scls/1" -> m2m, scls, 1), empty ones kept.
[[nodiscard]] std::vector<std::string> pathSegments(const std::string& path);

}  // namespace securechannel::tls::server::http
