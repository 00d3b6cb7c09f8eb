#include "ready_file.hpp"

#include <fstream>
#include <stdexcept>

namespace netsim {

void writeReadyFile(const std::filesystem::path& path, const nlohmann::ordered_json& content) {
    const std::filesystem::path temporary = path.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << content.dump() << "\n";
        if (!out) {
            throw std::runtime_error("cannot write " + temporary.string());
        }
    }
    std::filesystem::rename(temporary, path);
}

}  // namespace netsim
