// The ready file of a lab tool (m2m-netsim serve, m2m-faultproxy): written once it listens, so a
// test or script knows the ports the OS picked.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace netsim {

// Written whole under a temporary name, then renamed: a test polling for it never reads half.
void writeReadyFile(const std::filesystem::path& path, const nlohmann::ordered_json& content);

}  // namespace netsim
