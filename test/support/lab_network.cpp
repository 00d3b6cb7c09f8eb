#include "lab_network.hpp"

#include "m2m_cli.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace testsupport {

namespace {

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

int portOf(const nlohmann::json& ready, const char* name) {
    const auto& v = ready.at(name);
    return v.is_object() ? v.at("port").get<int>() : v.get<int>();
}

}  // namespace

std::string netsimBinary() {
    const char* bin = std::getenv("M2M_NETSIM");
    if (bin == nullptr || *bin == '\0') {
        throw std::runtime_error("M2M_NETSIM is not set");
    }
    return bin;
}

LabNetwork::LabNetwork(std::filesystem::path dir) : dir_(std::move(dir)), db_(dir_ / "lab.db") {
    std::filesystem::create_directories(dir_);
    std::filesystem::remove(db_);
}

LabNetwork::~LabNetwork() {
    stop();
}

void LabNetwork::import(const std::filesystem::path& keysJson,
                        const std::vector<std::string>& extra) {
    std::vector<std::string> args = extra;
    args.push_back(keysJson.string());
    control("import", args);
}

void LabNetwork::start(Options options) {
    stop();
    if (options.ports.msbf != 0) {
        ports_ = options.ports;
    }
    const auto ready = dir_ / "ready.json";
    std::filesystem::remove(ready);
    auto address = [](int port) { return "127.0.0.1:" + std::to_string(port); };
    std::vector<std::string> argv{netsimBinary(), "serve",
                                  "--db",         db_.string(),
                                  "--msbf",       address(ports_.msbf),
                                  "--connection", address(ports_.connection),
                                  "--mid",        address(ports_.mid),
                                  "--ready-file", ready.string()};
    if (!gbaAuc_.empty()) {
        argv.insert(argv.end(), {"--bsf", address(ports_.bsf), "--auc", gbaAuc_});
    }
    argv.insert(argv.end(), options.serveArgs.begin(), options.serveArgs.end());
    server_ = std::make_unique<ChildProcess>(
        argv, dir_ / ("netsim-" + std::to_string(generation_++) + ".log"));
    if (!eventually([&] { return std::filesystem::exists(ready) || !server_->running(); },
                    std::chrono::seconds(20)) ||
        !server_->running()) {
        const std::string log = server_->output();
        server_.reset();
        throw std::runtime_error("m2m-netsim did not start:\n" + log);
    }
    std::ifstream in(ready);
    const auto doc = nlohmann::json::parse(in);
    ports_ = {portOf(doc, "msbf"), portOf(doc, "connection"), portOf(doc, "mid"),
              doc.contains("bsf") ? portOf(doc, "bsf") : ports_.bsf};
}

void LabNetwork::stop() {
    if (server_) {
        server_->stop();
        server_.reset();
    }
}

std::string LabNetwork::control(const std::string& command, const std::vector<std::string>& args) {
    std::string line = quote(netsimBinary()) + " " + command + " --db " + quote(db_.string());
    for (const auto& a : args) {
        line += " " + quote(a);
    }
    const CliRun run = runCommand(line + " 2>&1");
    if (run.exitCode != 0) {
        throw std::runtime_error("m2m-netsim " + command + " failed (" +
                                 std::to_string(run.exitCode) + "): " + run.out);
    }
    return run.out;
}

nlohmann::json LabNetwork::show() {
    const std::filesystem::path errors = dir_ / "show.err";
    const std::string line = quote(netsimBinary()) + " show --json --db " + quote(db_.string()) +
                             " 2>" + quote(errors.string());
    const CliRun run = runCommand(line);
    if (run.exitCode != 0) {
        std::ifstream in(errors);
        std::stringstream text;
        text << in.rdbuf();
        throw std::runtime_error("m2m-netsim show failed (" + std::to_string(run.exitCode) +
                                 "): " + text.str() + run.out);
    }
    return nlohmann::json::parse(run.out);
}

std::string LabNetwork::serverLog() const {
    std::string all;
    for (int g = 0; g < generation_; ++g) {
        std::ifstream in(dir_ / ("netsim-" + std::to_string(g) + ".log"));
        std::stringstream text;
        text << in.rdbuf();
        all += text.str();
    }
    return all;
}

}  // namespace testsupport
