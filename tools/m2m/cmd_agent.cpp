// `m2m agent run|status`: the device agent in the foreground (systemd runs the same command,
// tools/systemd/m2m-agent.service) and what it reports of itself.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/agent.hpp"
#include "agent/config.hpp"
#include "agent/gateway.hpp"
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

// status.json: the agent's status and, in gateway mode, the gateway's beside it (GATEWAY.md §7:
// `gateway`, with the agent's uplink counters as `gateway.uplink`). The agent rewrites it on every
// change of its own; the gateway's devices change it between those, so a gateway also has it
// rewritten every second.
class StatusDocument {
public:
    explicit StatusDocument(std::filesystem::path file) : file_(std::move(file)) {}
    StatusDocument(const StatusDocument&) = delete;
    StatusDocument& operator=(const StatusDocument&) = delete;
    ~StatusDocument() { stopRefreshing(); }

    void agentChanged(const agent::AgentStatus& status) {
        const std::lock_guard lock(mutex_);
        agent_ = agent::toJson(status);
        writeLocked();
    }

    // From now on the document carries the gateway's status, refreshed every second.
    void follow(const agent::Gateway& gateway) {
        {
            const std::lock_guard lock(mutex_);
            gateway_ = &gateway;
        }
        refresher_ = std::thread([this] {
            std::unique_lock lock(mutex_);
            while (!stopping_) {
                if (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
                    writeLocked();
                }
            }
        });
    }
    void stopRefreshing() {
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
            gateway_ = nullptr;
        }
        wake_.notify_all();
        if (refresher_.joinable()) {
            refresher_.join();
        }
    }

    nlohmann::ordered_json document(const agent::AgentStatus& status) {
        const std::lock_guard lock(mutex_);
        agent_ = agent::toJson(status);
        return composedLocked();
    }

private:
    nlohmann::ordered_json composedLocked() const {
        nlohmann::ordered_json document = agent_;
        if (gateway_ != nullptr) {
            nlohmann::ordered_json gateway = agent::toJson(gateway_->status());
            if (document.contains("relay")) {
                gateway["uplink"] = document["relay"];
                document.erase("relay");
            }
            document["gateway"] = std::move(gateway);
        }
        return document;
    }
    void writeLocked() {
        if (!agent_.is_null()) {
            agent::writeStatusFile(file_, composedLocked());
        }
    }

    std::filesystem::path file_;
    std::mutex mutex_;
    std::condition_variable wake_;
    nlohmann::ordered_json agent_;
    const agent::Gateway* gateway_ = nullptr;
    bool stopping_ = false;
    std::thread refresher_;
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
    StatusDocument document(file);
    const agent::GatewayConfig gatewayConfig = config.gateway;
    const std::chrono::seconds tolerance = config.time.tolerance;
    agent::Agent::Options o;
    o.stopAfterInstances = options.stopAfterInstances;
    o.exitOnFailure = options.exitOnFailure;
    o.onStatus = [&document](const agent::AgentStatus& status) { document.agentChanged(status); };
    agent::Agent daemon(std::move(config), std::move(o));
    agent::AgentState final;
    {
        // Signals are blocked first, so that the gateway's threads (started after) inherit it.
        SignalStopper stopper(daemon);
        std::unique_ptr<agent::Gateway> gateway;
        if (gatewayConfig.enabled) {
            // Its records and policy key are read (0600) and its listeners bound before the agent
            // starts: a device arriving early is told 502 until the uplink is registered.
            gateway = agent::Gateway::load(
                gatewayConfig, daemon.uplink(), [&daemon] { return daemon.secureNow(); },
                tolerance);
            gateway->start();
            document.follow(*gateway);
        }
        final = daemon.run();
        if (gateway) {
            gateway->stop();  // no uplink call is made after this
        }
        document.stopRefreshing();
    }
    agent::notifySystemd("STOPPING=1");
    const auto status = document.document(daemon.status());
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
