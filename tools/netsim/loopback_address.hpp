// The addresses the lab tools (`m2m-netsim serve`, `m2m-faultproxy`) may use: loopback only,
// because the lab network's keys are test keys and its HTTP subset is not meant for anyone else.
#pragma once

#include <cstdint>
#include <string>

namespace netsim {

struct ListenAddress {
    std::string host;  // numeric
    std::uint16_t port = 0;
    bool ipv6 = false;
};

// "127.0.0.1:8441", "[::1]:0", "localhost:8441"; std::invalid_argument for a malformed address
// or anything that is not loopback.
[[nodiscard]] ListenAddress parseLoopbackAddress(const std::string& text);

}  // namespace netsim
