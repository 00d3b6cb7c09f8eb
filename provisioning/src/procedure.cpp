#include "provisioning/procedure.hpp"

namespace provisioning {

ServerError::ServerError(long status, std::string_view what)
    : ProcedureError(std::string(what) + ": the server answered HTTP " + std::to_string(status)),
      status_(status) {}

RequestRefused::RequestRefused(long status, std::string_view what)
    : ProcedureError(std::string(what) + ": refused with HTTP " + std::to_string(status)),
      status_(status) {}

void requireSuccess(const securechannel::tls::HttpResponse& response, std::string_view what) {
    if (response.status >= 200 && response.status < 300) {
        return;
    }
    if (response.status >= 500) {
        throw ServerError(response.status, what);
    }
    throw RequestRefused(response.status, what);
}

std::string joinUrl(std::string_view base, std::string_view path) {
    std::string url(base);
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    if (path.empty() || path.front() != '/') {
        url += '/';
    }
    url += path;
    return url;
}

}  // namespace provisioning
