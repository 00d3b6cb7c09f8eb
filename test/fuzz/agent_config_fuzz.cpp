// The agent's configuration (agent::parseAgentConfig, agent/src/config.cpp): any TOML text must
// give a configuration within the documented ranges or a ConfigError.
#include <cstdint>
#include <stdexcept>

#include "agent/config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    try {
        const agent::AgentConfig c = agent::parseAgentConfig(fuzz::text(data, size), "/fuzz/etc");
        if (c.retry.cap < c.retry.initial || c.msbfUrl.rfind("https://", 0) != 0 ||
            c.connectionUrl.rfind("https://", 0) != 0 || c.kmsaFile.empty()) {
            throw std::logic_error("parseAgentConfig accepted what it documents as refused");
        }
    } catch (const agent::ConfigError&) {
    }
    return 0;
}
