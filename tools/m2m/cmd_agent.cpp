// `m2m agent run|status`: the device agent in the foreground (systemd runs the same command,
// tools/systemd/m2m-agent.service) and what it reports of itself.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <iostream>
#include <thread>

#include "agent/agent.hpp"
#include "agent/config.hpp"
#include "agent/status.hpp"
#include "base/process.hpp"
#include "commands.hpp"
#include "text_output.hpp"

namespace m2m::cli {

namespace {

struct AgentOptions {
    CommonOptions common;
    std::string config;
    std::string stateDir;
    std::uint64_t stopAfterInstances = 0;
    bool exitOnFailure = false;
};

std::filesystem::path statusFile(const std::filesystem::path& stateDir) {
    return stateDir / "status.json";
}

// SIGTERM/SIGINT are blocked in every thread and taken by sigtimedwait here, so stopping is
// ordinary code (Agent::stop) rather than work inside a signal handler.
class SignalStopper {
public:
    explicit SignalStopper(agent::Agent& agent) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
        thread_ = std::thread([this, &agent, set] {
            const timespec tick{0, 200'000'000};
            while (!done_) {
                if (sigtimedwait(&set, nullptr, &tick) > 0) {
                    agent.stop();
                    return;
                }
            }
        });
    }
    ~SignalStopper() {
        done_ = true;
        thread_.join();
    }
    SignalStopper(const SignalStopper&) = delete;
    SignalStopper& operator=(const SignalStopper&) = delete;

private:
    std::atomic<bool> done_{false};
    std::thread thread_;
};

Exit agentRun(const AgentOptions& options) {
    base::hardenProcess();  // before Kmsa is read and any session key exists
    agent::AgentConfig config = agent::loadAgentConfig(options.config);
    if (options.common.reader) {
        config.reader = options.common.reader;
    }
    if (!options.stateDir.empty()) {
        config.stateDir = options.stateDir;
    }
    const std::filesystem::path file = statusFile(config.stateDir);
    agent::Agent::Options o;
    o.stopAfterInstances = options.stopAfterInstances;
    o.exitOnFailure = options.exitOnFailure;
    o.onStatus = [file](const agent::AgentStatus& status) {
        agent::writeStatusFile(file, agent::toJson(status));
    };
    agent::Agent daemon(std::move(config), std::move(o));
    agent::AgentState final;
    {
        SignalStopper stopper(daemon);
        final = daemon.run();
    }
    agent::notifySystemd("STOPPING=1");
    const auto status = agent::toJson(daemon.status());
    printResult(options.common, status, [&] {
        std::cout << "agent " << agent::toString(final) << "; status in " << file.string() << '\n';
    });
    return final == agent::AgentState::Failed ? Exit::Failure : Exit::Ok;
}

bool processAlive(long pid) {
    return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

Exit agentStatus(const AgentOptions& options) {
    std::filesystem::path stateDir = options.stateDir;
    if (stateDir.empty()) {
        if (options.config.empty()) {
            throw std::invalid_argument("give --config FILE or --state-dir DIR");
        }
        stateDir = agent::loadAgentConfig(options.config).stateDir;
    }
    // Read and checked whole before anything is printed: a damaged file is one clean error.
    nlohmann::ordered_json status = agent::readStatusFile(statusFile(stateDir));
    const bool running = processAlive(status.value("pid", 0L));
    status["running"] = running;
    printResult(options.common, status, [&] { printAgentStatus(std::cout, status, running); });
    return Exit::Ok;
}

}  // namespace

void addAgentCommands(CLI::App& app, int& exitCode) {
    auto* agentCmd = app.add_subcommand("agent", "The device agent: run it, or see its status");
    agentCmd->require_subcommand(1);

    auto runOptions = std::make_shared<AgentOptions>();
    auto* run = agentCmd->add_subcommand(
        "run", "Bootstrap, connect, register and report, in the foreground (SIGTERM stops)");
    run->add_option("--config", runOptions->config, "Agent configuration (TOML)")
        ->required()
        ->envname("M2M_AGENT_CONFIG");
    run->add_option("--state-dir", runOptions->stateDir, "Where status.json goes (overrides)");
    run->add_option("--stop-after-instances", runOptions->stopAfterInstances,
                    "Stop once this many contentInstances are stored (0: never)");
    run->add_flag("--exit-on-failure", runOptions->exitOnFailure,
                  "Exit on a permanent failure instead of staying in state 'failed'");
    addCommonOptions(*run, runOptions->common);
    run->callback([runOptions, &exitCode] {
        exitCode = runGuarded(runOptions->common, [&] { return agentRun(*runOptions); });
    });

    auto statusOptions = std::make_shared<AgentOptions>();
    auto* status = agentCmd->add_subcommand("status", "The running (or last) agent's status");
    status->add_option("--config", statusOptions->config, "Agent configuration (TOML)")
        ->envname("M2M_AGENT_CONFIG");
    status->add_option("--state-dir", statusOptions->stateDir, "The agent's state_dir");
    addCommonOptions(*status, statusOptions->common);
    status->callback([statusOptions, &exitCode] {
        exitCode = runGuarded(statusOptions->common, [&] { return agentStatus(*statusOptions); });
    });
}

}  // namespace m2m::cli
