// Strict HTTP/1.1 request parsing and response serialisation (RFC 9112 subset, see http.hpp).
#include "http.hpp"

#include <algorithm>
#include <array>

namespace netsim::http {

namespace {

bool isTchar(char c) {
    static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kExtra.find(c) != std::string_view::npos;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    return out;
}

std::string_view trimOws(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

bool hasToken(std::string_view list, std::string_view token) {
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        if (lower(trimOws(list.substr(start, comma - start))) == token) {
            return true;
        }
        start = comma + 1;
    }
    return false;
}

// Parses the request line and header fields (everything before the blank line). Returns a
// Failure for anything outside the accepted subset.
std::variant<Request, Failure> parseHead(std::string_view head) {
    Request request;
    const std::size_t lineEnd = head.find("\r\n");
    const std::string_view line = head.substr(0, lineEnd);
    if (line.find('\n') != std::string_view::npos) {
        return Failure{400, "line ends must be CRLF"};
    }
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
        line.find(' ', sp2 + 1) != std::string_view::npos) {
        return Failure{400, "malformed request line"};
    }
    request.method = std::string(line.substr(0, sp1));
    request.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    const std::string_view version = line.substr(sp2 + 1);
    if (request.method.empty() ||
        !std::all_of(request.method.begin(), request.method.end(), isTchar)) {
        return Failure{400, "malformed method"};
    }
    if (request.target.empty() || request.target.front() != '/' ||
        !std::all_of(request.target.begin(), request.target.end(), [](char c) {
            return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F;
        })) {
        return Failure{400, "request target must be an absolute path"};
    }
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.') {
        return Failure{400, "malformed HTTP version"};
    }
    if (version != "HTTP/1.1") {
        return Failure{505, "only HTTP/1.1 is served"};
    }
    request.path = request.target.substr(0, request.target.find('?'));

    std::size_t pos = lineEnd == std::string_view::npos ? head.size() : lineEnd + 2;
    while (pos < head.size()) {
        std::size_t end = head.find("\r\n", pos);
        if (end == std::string_view::npos) {
            end = head.size();
        }
        const std::string_view field = head.substr(pos, end - pos);
        pos = end + 2;
        if (field.empty()) {
            continue;
        }
        if (field.front() == ' ' || field.front() == '\t') {
            return Failure{400, "obsolete header line folding"};
        }
        const std::size_t colon = field.find(':');
        if (colon == std::string_view::npos || colon == 0 ||
            !std::all_of(field.begin(), field.begin() + static_cast<long>(colon), isTchar)) {
            return Failure{400, "malformed header field"};
        }
        const std::string_view value = trimOws(field.substr(colon + 1));
        if (std::any_of(value.begin(), value.end(), [](char c) {
                const auto u = static_cast<unsigned char>(c);
                return (u < 0x20 && c != '\t') || u == 0x7F;
            })) {
            return Failure{400, "control character in a header value"};
        }
        request.headers.emplace_back(lower(field.substr(0, colon)), std::string(value));
    }

    auto all = [&](std::string_view name) {
        std::vector<std::string> values;
        for (const auto& [n, v] : request.headers) {
            if (n == name) {
                values.push_back(v);
            }
        }
        return values;
    };
    if (all("host").size() != 1) {
        return Failure{400, "exactly one Host header is required"};
    }
    if (!all("transfer-encoding").empty()) {
        return Failure{501, "Transfer-Encoding (chunked) is not supported; send Content-Length"};
    }
    for (const std::string& v : all("connection")) {
        if (hasToken(v, "close")) {
            request.keepAlive = false;
        }
    }
    return request;
}

}  // namespace

std::optional<std::string> Request::header(std::string_view lowercaseName) const {
    for (const auto& [name, value] : headers) {
        if (name == lowercaseName) {
            return value;
        }
    }
    return std::nullopt;
}

bool RequestReader::fill() {
    std::array<char, 4096> chunk{};
    const long n = read_(chunk.data(), chunk.size());
    if (n <= 0) {
        return false;
    }
    buffer_.append(chunk.data(), static_cast<std::size_t>(n));
    return true;
}

std::variant<Request, Failure, Closed> RequestReader::next() {
    std::size_t headEnd = std::string::npos;
    for (;;) {
        // Empty lines before a request line are ignored (RFC 9112 §2.2).
        while (buffer_.size() >= 2 && buffer_.compare(0, 2, "\r\n") == 0) {
            buffer_.erase(0, 2);
        }
        headEnd = buffer_.find("\r\n\r\n");
        if (headEnd != std::string::npos) {
            break;
        }
        if (buffer_.size() > kMaxHeaderBytes) {
            return Failure{431, "request header larger than 8 KiB"};
        }
        if (!fill()) {
            return Closed{};
        }
    }
    if (headEnd + 4 > kMaxHeaderBytes) {
        return Failure{431, "request header larger than 8 KiB"};
    }
    auto parsed = parseHead(std::string_view(buffer_).substr(0, headEnd));
    if (auto* failure = std::get_if<Failure>(&parsed)) {
        return *failure;
    }
    Request request = std::move(std::get<Request>(parsed));
    buffer_.erase(0, headEnd + 4);

    std::size_t length = 0;
    std::optional<std::string> contentLength;
    for (const auto& [name, value] : request.headers) {
        if (name == "content-length") {
            if (contentLength && *contentLength != value) {
                return Failure{400, "conflicting Content-Length headers"};
            }
            contentLength = value;
        }
    }
    if (contentLength) {
        if (contentLength->empty() || contentLength->size() > 18 ||
            !std::all_of(contentLength->begin(), contentLength->end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
            return Failure{400, "malformed Content-Length"};
        }
        length = std::stoull(*contentLength);
        if (length > kMaxBodyBytes) {
            return Failure{413, "request body larger than 64 KiB"};
        }
    } else if (request.method == "POST" || request.method == "PUT") {
        return Failure{411, "Content-Length is required"};
    }
    if (const auto expect = request.header("expect")) {
        if (lower(*expect) != "100-continue") {
            return Failure{417, "only Expect: 100-continue is understood"};
        }
        // libcurl waits a second for this before it sends a larger body on its own.
        if (buffer_.size() < length && !write_("HTTP/1.1 100 Continue\r\n\r\n")) {
            return Closed{};
        }
    }
    while (buffer_.size() < length) {
        if (!fill()) {
            return Closed{};
        }
    }
    request.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return request;
}

const char* reasonPhrase(int status) {
    switch (status) {
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
        case 415:
            return "Unsupported Media Type";
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

std::string serialise(const Response& response) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                      reasonPhrase(response.status) + "\r\n";
    if (!response.contentType.empty()) {
        out += "Content-Type: " + response.contentType + "\r\n";
    }
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    for (const auto& [name, value] : response.headers) {
        out += name + ": " + value + "\r\n";
    }
    out += response.close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
    out += "\r\n";
    out += response.body;
    return out;
}

Response notAllowed(std::string_view allow) {
    Response r = errorResponse(405, "allowed: " + std::string(allow));
    r.headers.emplace_back("Allow", std::string(allow));
    return r;
}

Response errorResponse(int status, std::string_view reason) {
    Response r;
    r.status = status;
    r.contentType = "text/plain; charset=utf-8";
    r.body =
        std::to_string(status) + " " + reasonPhrase(status) + ": " + std::string(reason) + "\n";
    return r;
}

}  // namespace netsim::http
