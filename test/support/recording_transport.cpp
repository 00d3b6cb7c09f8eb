#include "recording_transport.hpp"

#include <algorithm>

namespace testsupport {

seuicc::Bytes RecordingTransport::transmitRaw(seuicc::ByteView command) {
    requireTransaction();
    const Send send = [this](seuicc::ByteView bytes) {
        seuicc::Bytes response = inner_.transmitRaw(bytes);
        exchanges_.push_back({seuicc::Bytes(bytes.begin(), bytes.end()), response});
        return response;
    };
    if (commandHook_) {
        if (auto response = commandHook_(command, send)) {
            return *response;
        }
    }
    seuicc::Bytes response = send(command);
    if (responseHook_) {
        if (auto replacement = responseHook_(command, response)) {
            return *replacement;
        }
    }
    return response;
}

bool contains(seuicc::ByteView haystack, seuicc::ByteView needle) {
    return !needle.empty() && std::search(haystack.begin(), haystack.end(), needle.begin(),
                                          needle.end()) != haystack.end();
}

}  // namespace testsupport
