#include "recording_transport.hpp"

#include <algorithm>

namespace testsupport {

base::Bytes RecordingTransport::transmitRaw(base::ByteView command) {
    requireTransaction();
    const Send send = [this](base::ByteView bytes) {
        base::Bytes response = inner_.transmitRaw(bytes);
        exchanges_.push_back({base::Bytes(bytes.begin(), bytes.end()), response});
        return response;
    };
    if (commandHook_) {
        if (auto response = commandHook_(command, send)) {
            return *response;
        }
    }
    base::Bytes response = send(command);
    if (responseHook_) {
        if (auto replacement = responseHook_(command, response)) {
            return *replacement;
        }
    }
    return response;
}

bool contains(base::ByteView haystack, base::ByteView needle) {
    return !needle.empty() && std::search(haystack.begin(), haystack.end(), needle.begin(),
                                          needle.end()) != haystack.end();
}

}  // namespace testsupport
