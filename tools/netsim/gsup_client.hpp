// A GSUP client to osmo-hlr on libosmo-gsup-client: SendAuthInfo by IMSI (with RAND and AUTS
// for a resynchronisation) and the first UMTS vector of the answer.
//
// libosmocore runs its own select loop and is not thread-safe: the client runs it on one thread
// of its own. A request is handed to that thread through a queue (an eventfd wakes the loop);
// the caller blocks on a future until its deadline. Answers are matched to requests by IMSI, in
// order (osmo-hlr answers one link's requests in order). The link reconnects by itself (every
// second); while it is down, requests fail at once with AucUnreachable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "auc.hpp"

struct osmo_gsup_client;
struct msgb;

namespace netsim {

class GsupClient : public Auc {
public:
    // Starts the loop thread and the connection to `host:port` (IPA unit name `unitName`: osmo-hlr
    // gives each unit name its own SQN IND slot).
    GsupClient(std::string host, std::uint16_t port, std::string unitName,
               std::chrono::milliseconds timeout);
    GsupClient(const GsupClient&) = delete;
    GsupClient& operator=(const GsupClient&) = delete;
    ~GsupClient() override;

    // Waits up to `timeout` for the link to come up; false if it did not.
    bool waitConnected(std::chrono::milliseconds timeout);
    [[nodiscard]] bool connected() const { return connected_; }

    // SendAuthInfo for `imsi`: AucUnreachable, AucTimeout, UnknownSubscriber or AucRejected.
    AuthVector sendAuthInfo(const std::string& imsi, const std::optional<Resync>& resync);
    AuthVector vector(const std::string& imsi, const std::optional<Resync>& resync) override {
        return sendAuthInfo(imsi, resync);
    }
    [[nodiscard]] std::string name() const override { return "osmo-hlr"; }

private:
    struct Request {
        std::string imsi;
        std::optional<Resync> resync;
        std::promise<AuthVector> result;
    };

    void run(std::promise<void>& started);
    void drainQueue();
    void received(msgb* message);
    void linkChanged(bool up);
    void failAll(const char* why);

    static int readCallback(osmo_gsup_client* client, msgb* message);
    static bool upDownCallback(osmo_gsup_client* client, bool up);

    std::string host_;
    std::uint16_t port_;
    std::string unitName_;
    std::chrono::milliseconds timeout_;
    int wakeFd_ = -1;
    std::atomic<bool> connected_{false};
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable linkUp_;
    std::deque<std::shared_ptr<Request>> incoming_;  // guarded by mutex_
    // Loop thread only: sent, not yet answered, per IMSI in the order sent.
    std::map<std::string, std::deque<std::shared_ptr<Request>>> pending_;
    osmo_gsup_client* client_ = nullptr;
    std::thread loop_;
};

}  // namespace netsim
