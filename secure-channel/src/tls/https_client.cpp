#include "securechannel/tls/https_client.hpp"

namespace securechannel::tls {

ClientCounters& ClientCounters::operator+=(const ClientCounters& other) {
    requests += other.requests;
    handshakes += other.handshakes;
    bytesSent += other.bytesSent;
    bytesReceived += other.bytesReceived;
    return *this;
}

std::vector<std::string> HttpResponse::all(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [key, value] : headers) {
        if (key == name) {
            values.push_back(value);
        }
    }
    return values;
}

}  // namespace securechannel::tls
