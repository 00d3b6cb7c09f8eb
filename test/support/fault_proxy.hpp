// m2m-faultproxy ($M2M_FAULTPROXY) in front of one target for a test: started with a ready file
// (the OS picks its ports), steered through its control port (tools/faultproxy/README.md),
// stopped by the destructor.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "child_process.hpp"

namespace testsupport {

class FaultProxy {
public:
    // Relays 127.0.0.1:<port> (port() once started) to 127.0.0.1:<targetPort>; `name` names its
    // files in `dir`.
    FaultProxy(int targetPort, const std::filesystem::path& dir, const std::string& name);

    [[nodiscard]] int port() const { return port_; }
    // One control line; returns the reply, throws std::runtime_error on "error ...".
    std::string control(const std::string& line);
    nlohmann::json status();
    [[nodiscard]] std::string log() const { return process_->output(); }

private:
    std::unique_ptr<ChildProcess> process_;
    int port_ = 0;
    int controlPort_ = 0;
};

// The proxy binary ($M2M_FAULTPROXY).
std::string faultProxyBinary();

}  // namespace testsupport
