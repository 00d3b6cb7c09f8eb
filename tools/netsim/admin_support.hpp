// What the short-lived commands share: a Node-ID from the command line, and the one way they
// report a failure (exit 1, the reason on stderr).
#pragma once

#include <cctype>
#include <iostream>
#include <stdexcept>
#include <string>

namespace netsim {

// The 16-byte Node-ID in lowercase hex, as the store keeps it; colons and spaces are dropped.
inline std::string checkedNode(const std::string& node) {
    std::string hex;
    for (char c : node) {
        if (c == ':' || c == ' ') {
            continue;
        }
        hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (hex.size() != 32 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
        throw std::invalid_argument("the node must be the 16-byte Node-ID in hex");
    }
    return hex;
}

template <typename F>
int guarded(const char* command, F&& f) {
    try {
        f();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "m2m-netsim " << command << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace netsim
