// One request/response line on a loopback control port (the emulated card's, m2m-faultproxy's):
// connect, send the line, read one line back.
#pragma once

#include <string>

namespace testsupport {

// Throws std::runtime_error when the port cannot be reached or the exchange fails.
std::string lineExchange(int port, const std::string& line);

}  // namespace testsupport
