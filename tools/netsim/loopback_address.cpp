// Loopback listen addresses (see loopback_address.hpp).
#include "loopback_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdexcept>

namespace netsim {

ListenAddress parseLoopbackAddress(const std::string& text) {
    ListenAddress a;
    std::string host;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find("]:");
        if (close == std::string::npos) {
            throw std::invalid_argument("address must be HOST:PORT: " + text);
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        a.ipv6 = true;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos) {
            throw std::invalid_argument("address must be HOST:PORT: " + text);
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) {
        throw std::invalid_argument("bad port in " + text);
    }
    a.port = static_cast<std::uint16_t>(std::stoul(port));
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    if (a.ipv6) {
        in6_addr addr{};
        if (inet_pton(AF_INET6, host.c_str(), &addr) != 1 || !IN6_IS_ADDR_LOOPBACK(&addr)) {
            throw std::invalid_argument("listening on loopback only, not " + text);
        }
    } else {
        in_addr addr{};
        if (inet_pton(AF_INET, host.c_str(), &addr) != 1 || (ntohl(addr.s_addr) >> 24) != 127) {
            throw std::invalid_argument("listening on loopback only, not " + text);
        }
    }
    a.host = host;
    return a;
}

}  // namespace netsim
