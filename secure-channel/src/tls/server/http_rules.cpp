// The request-head rules of the PSK servers (see http_rules.hpp).
#include "securechannel/tls/server/http_rules.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>

#include "base/log.hpp"
#include "base/text.hpp"

namespace securechannel::tls::server::http {

namespace {

// Fields cpp-httplib inserts into every parsed request; they are not the client's.
constexpr std::array<std::string_view, 4> kAddedFields = {"REMOTE_ADDR", "REMOTE_PORT",
                                                          "LOCAL_ADDR", "LOCAL_PORT"};

bool isTchar(char c) {
    static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kExtra.find(c) != std::string_view::npos;
}

bool isToken(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), isTchar);
}

bool isFieldValue(std::string_view value) {
    return std::none_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7F;
    });
}

bool isOriginForm(std::string_view target) {
    return !target.empty() && target.front() == '/' &&
           std::all_of(target.begin(), target.end(), [](char c) {
               const auto u = static_cast<unsigned char>(c);
               return u > 0x20 && u < 0x7F;
           });
}

std::optional<Refusal> checkContentLength(const httplib::Request& request,
                                          const HeadLimits& limits) {
    const std::size_t count = request.get_header_value_count("Content-Length");
    if (count == 0) {
        if (request.method == "POST" || request.method == "PUT") {
            return Refusal{411, "Content-Length is required"};
        }
        return std::nullopt;
    }
    const std::string value = request.get_header_value("Content-Length");
    for (std::size_t i = 1; i < count; ++i) {
        if (request.get_header_value("Content-Length", i) != value) {
            return Refusal{400, "conflicting Content-Length headers"};
        }
    }
    if (value.empty() || value.size() > 18 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Refusal{400, "malformed Content-Length"};
    }
    if (std::stoull(value) > limits.maxBodyBytes) {
        return Refusal{
            413, "request body larger than " + std::to_string(limits.maxBodyBytes) + " bytes"};
    }
    return std::nullopt;
}

}  // namespace

std::size_t headBytes(const httplib::Request& request) {
    std::size_t size =
        request.method.size() + 1 + request.target.size() + 1 + request.version.size() + 2 + 2;
    for (const auto& [name, value] : request.headers) {
        size += name.size() + 2 + value.size() + 2;
    }
    for (std::string_view added : kAddedFields) {
        const std::string name(added);
        if (request.has_header(name)) {
            // httplib appends its own field after any the client sent under the same name.
            const std::size_t last = request.get_header_value_count(name) - 1;
            const std::size_t own =
                name.size() + 2 + request.get_header_value(name, last).size() + 2;
            size -= std::min(size, own);
        }
    }
    return size;
}

std::optional<Refusal> checkHead(const httplib::Request& request, const HeadLimits& limits) {
    if (headBytes(request) > limits.maxHeadBytes) {
        return Refusal{
            431, "request head larger than " + std::to_string(limits.maxHeadBytes) + " bytes"};
    }
    if (!isOriginForm(request.target)) {
        return Refusal{400, "request target must be an absolute path"};
    }
    if (request.version != "HTTP/1.1") {
        return Refusal{505, "only HTTP/1.1 is served"};
    }
    // httplib knows these methods but no handler can be registered for them.
    if (request.method == "CONNECT" || request.method == "TRACE" || request.method == "PRI") {
        return Refusal{501, "method not implemented"};
    }
    for (const auto& [name, value] : request.headers) {
        if (!isToken(name)) {
            return Refusal{400, "malformed header field"};
        }
        if (!isFieldValue(value)) {
            return Refusal{400, "control character in a header value"};
        }
    }
    if (request.get_header_value_count("Host") != 1) {
        return Refusal{400, "exactly one Host header is required"};
    }
    if (request.has_header("Transfer-Encoding")) {
        return Refusal{501, "Transfer-Encoding (chunked) is not supported; send Content-Length"};
    }
    // httplib would inflate a gzip or brotli body past the body limit.
    if (request.has_header("Content-Encoding")) {
        return Refusal{415, "Content-Encoding is not supported"};
    }
    if (auto refusal = checkContentLength(request, limits)) {
        return refusal;
    }
    if (request.has_header("Expect") &&
        !base::equalsIgnoreCase(base::trim(request.get_header_value("Expect")), "100-continue")) {
        return Refusal{417, "only Expect: 100-continue is understood"};
    }
    return std::nullopt;
}

const char* reasonPhrase(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 411:
            return "Length Required";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 416:
            return "Range Not Satisfiable";
        case 417:
            return "Expectation Failed";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

const char* parserRefusal(int status) {
    switch (status) {
        case 414:
            return "request line longer than 8 KiB";
        case 413:
            return "request body too large";
        default:
            return "malformed request";
    }
}

void setInternalError(httplib::Response& response, const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        base::log::kTls->error("request handler failed: {}", e.what());
    } catch (...) {
        base::log::kTls->error("request handler failed");
    }
    setError(response, 500, "internal error");
}

void setListenOptions(socket_t socket) {
    const int one = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
}

void setError(httplib::Response& response, int status, std::string_view reason) {
    response.status = status;
    response.set_content(
        std::to_string(status) + " " + reasonPhrase(status) + ": " + std::string(reason) + "\n",
        "text/plain; charset=utf-8");
}

void setNotAllowed(httplib::Response& response, std::string_view allow) {
    setError(response, 405, "allowed: " + std::string(allow));
    response.set_header("Allow", std::string(allow));
}

std::vector<std::string> pathSegments(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = 1;
    while (start <= path.size()) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return out;
}

}  // namespace securechannel::tls::server::http
