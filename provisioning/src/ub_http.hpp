// The Ub client's HTTP: one libcurl easy handle (its kept-alive connection serves the two or three
// requests of a run), GET only, plain HTTP or HTTPS with the server's certificate verified, every
// response header kept (the client needs WWW-Authenticate and Authentication-Info, which may
// come more than once). Private to provisioning/src.
//
// The TLS-PSK client of secure-channel/tls does not fit: it speaks HTTPS with card-held PSKs only.
// Its public error types are reused, so that a caller maps a Ub transport failure the same way.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "provisioning/ub_client.hpp"

namespace provisioning {

struct UbResponse {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercase, in order
    std::string body;
    // The values of every header called `name` (lowercase).
    [[nodiscard]] std::vector<std::string> all(std::string_view name) const;
};

class UbClient::Http {
public:
    explicit Http(const UbClientOptions& options);
    ~Http();
    Http(const Http&) = delete;
    Http& operator=(const Http&) = delete;

    // GET `url` with the extra `headers` ("Name: value"). HTTP statuses are returned; transport
    // failures throw securechannel::tls::ConnectFailed, ResponseTooLarge or TransferFailed.
    UbResponse get(const std::string& url, const std::vector<std::string>& headers);

private:
    struct ListDeleter {
        void operator()(curl_slist* list) const { curl_slist_free_all(list); }
    };
    using List = std::unique_ptr<curl_slist, ListDeleter>;
    static void append(List& list, const std::string& line);

    CURL* easy_ = nullptr;
    List resolve_;
    std::size_t maxBody_;
    std::array<char, CURL_ERROR_SIZE> errorBuffer_{};
};

}  // namespace provisioning
