#include "fault_proxy.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "line_control.hpp"

namespace testsupport {

std::string faultProxyBinary() {
    const char* bin = std::getenv("M2M_FAULTPROXY");
    if (bin == nullptr || *bin == '\0') {
        throw std::runtime_error("M2M_FAULTPROXY is not set");
    }
    return bin;
}

FaultProxy::FaultProxy(int targetPort, const std::filesystem::path& dir, const std::string& name) {
    std::filesystem::create_directories(dir);
    const auto ready = dir / (name + ".ready");
    std::filesystem::remove(ready);
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{faultProxyBinary(), "--target",
                                 "127.0.0.1:" + std::to_string(targetPort), "--ready-file",
                                 ready.string()},
        dir / (name + ".log"));
    if (!eventually([&] { return std::filesystem::exists(ready) || !process_->running(); },
                    std::chrono::seconds(10)) ||
        !process_->running()) {
        throw std::runtime_error("m2m-faultproxy did not start:\n" + process_->output());
    }
    const auto doc = nlohmann::json::parse(std::ifstream(ready));
    port_ = doc.at("port").get<int>();
    controlPort_ = doc.at("control").get<int>();
}

std::string FaultProxy::control(const std::string& line) {
    const std::string reply = lineExchange(controlPort_, line);
    if (reply.empty() || reply.rfind("error", 0) == 0) {
        throw std::runtime_error("m2m-faultproxy refused '" + line + "': " + reply);
    }
    return reply;
}

nlohmann::json FaultProxy::status() {
    return nlohmann::json::parse(control("status"));
}

}  // namespace testsupport
