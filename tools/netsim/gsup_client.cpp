// GSUP client to osmo-hlr (see gsup_client.hpp).
#include "gsup_client.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

extern "C" {
#include <osmocom/core/logging.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/crypt/auth.h>
#include <osmocom/gsm/gsup.h>
#include <osmocom/gsm/protocol/gsm_04_08_gprs.h>
#include <osmocom/gsupclient/gsup_client.h>
}

#include <cstring>
#include <stdexcept>

#include "base/log.hpp"
#include "base/scope_exit.hpp"
#include "base/secret.hpp"

namespace netsim {

namespace {

// libosmocore's logging must be initialised once per process before its first log call; with no
// target added it prints nothing (osmo-hlr's own log is in its directory).
void initOsmoLogging() {
    static std::once_flag once;
    std::call_once(once, [] {
        static const log_info info{};
        log_init(&info, nullptr);
    });
}

// osmo_ctx_init() gives the calling thread its own talloc tree behind a thread-local pointer; it
// is freed before the thread ends, or it would be lost with the pointer (LeakSanitizer says so).
void freeOsmoContext() {
    talloc_free(osmo_ctx);
    osmo_ctx = nullptr;
}

base::Bytes bytes(const std::uint8_t* data, std::size_t length) {
    return base::Bytes(data, data + length);
}

bool isImsi(const std::string& imsi) {
    return imsi.size() >= 6 && imsi.size() <= 15 &&
           imsi.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

GsupClient::GsupClient(std::string host, std::uint16_t port, std::string unitName,
                       std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), unitName_(std::move(unitName)), timeout_(timeout) {
    initOsmoLogging();
    wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeFd_ < 0) {
        throw AucError("eventfd failed");
    }
    std::promise<void> started;
    auto ready = started.get_future();
    loop_ = std::thread([this, &started] { run(started); });
    try {
        ready.get();
    } catch (...) {
        loop_.join();
        ::close(wakeFd_);
        throw;
    }
}

GsupClient::~GsupClient() {
    stopping_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wakeFd_, &one, sizeof one);
    if (loop_.joinable()) {
        loop_.join();
    }
    ::close(wakeFd_);
}

bool GsupClient::waitConnected(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return linkUp_.wait_for(lock, timeout, [this] { return connected_.load(); });
}

AuthVector GsupClient::sendAuthInfo(const std::string& imsi, const std::optional<Resync>& resync) {
    if (!isImsi(imsi)) {
        throw UnknownSubscriber("not an IMSI");
    }
    if (resync && (resync->rand.size() != 16 || resync->auts.size() != 14)) {
        throw AucRejected("a resynchronisation needs RAND (16 bytes) and AUTS (14 bytes)");
    }
    if (!connected_) {
        throw AucUnreachable("no GSUP link to osmo-hlr at " + host_ + ":" + std::to_string(port_));
    }
    auto request = std::make_shared<Request>();
    request->imsi = imsi;
    request->resync = resync;
    auto answer = request->result.get_future();
    {
        std::lock_guard lock(mutex_);
        incoming_.push_back(std::move(request));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wakeFd_, &one, sizeof one);
    if (answer.wait_for(timeout_) != std::future_status::ready) {
        throw AucTimeout("osmo-hlr did not answer SendAuthInfo within " +
                         std::to_string(timeout_.count()) + " ms");
    }
    return answer.get();
}

void GsupClient::run(std::promise<void>& started) {
    // libosmocore's talloc contexts and select state are per thread: set up for this one.
    osmo_ctx_init("gsup");
    osmo_select_init();
    void* ctx = talloc_named_const(nullptr, 0, "netsim-gsup");
    auto* unit = talloc_zero(ctx, ipaccess_unit);
    unit->unit_name = talloc_strdup(unit, unitName_.c_str());
    unit->serno = talloc_strdup(unit, unitName_.c_str());
    unit->swversion = talloc_strdup(unit, "m2m-netsim");
    osmo_gsup_client_config config{};
    config.ipa_dev = unit;
    config.ip_addr = host_.c_str();
    config.tcp_port = port_;
    config.read_cb = &GsupClient::readCallback;
    config.up_down_cb = &GsupClient::upDownCallback;
    config.data = this;
    client_ = osmo_gsup_client_create3(ctx, &config);
    if (client_ == nullptr) {
        talloc_free(ctx);
        freeOsmoContext();
        started.set_exception(
            std::make_exception_ptr(AucUnreachable("cannot create the GSUP client")));
        return;
    }
    osmo_fd wake{};
    osmo_fd_setup(
        &wake, wakeFd_, OSMO_FD_READ,
        [](osmo_fd* fd, unsigned int) -> int {
            std::uint64_t count = 0;
            [[maybe_unused]] const auto n = ::read(fd->fd, &count, sizeof count);
            static_cast<GsupClient*>(fd->data)->drainQueue();
            return 0;
        },
        this, 0);
    osmo_fd_register(&wake);
    started.set_value();
    while (!stopping_) {
        osmo_select_main(0);
    }
    osmo_fd_unregister(&wake);
    osmo_gsup_client_destroy(client_);
    client_ = nullptr;
    failAll("the GSUP client stopped");
    talloc_free(ctx);
    freeOsmoContext();
}

void GsupClient::drainQueue() {
    std::deque<std::shared_ptr<Request>> requests;
    {
        std::lock_guard lock(mutex_);
        requests.swap(incoming_);
    }
    for (auto& request : requests) {
        if (!connected_) {
            request->result.set_exception(
                std::make_exception_ptr(AucUnreachable("the GSUP link to osmo-hlr is down")));
            continue;
        }
        osmo_gsup_message message{};
        message.message_type = OSMO_GSUP_MSGT_SEND_AUTH_INFO_REQUEST;
        message.message_class = OSMO_GSUP_MESSAGE_CLASS_SUBSCRIBER_MANAGEMENT;
        OSMO_STRLCPY_ARRAY(message.imsi, request->imsi.c_str());
        if (request->resync) {
            message.rand = request->resync->rand.data();
            message.auts = request->resync->auts.data();
        }
        if (osmo_gsup_client_enc_send(client_, &message) != 0) {
            request->result.set_exception(
                std::make_exception_ptr(AucUnreachable("GSUP send failed")));
            continue;
        }
        pending_[request->imsi].push_back(std::move(request));
    }
}

int GsupClient::readCallback(osmo_gsup_client* client, msgb* message) {
    static_cast<GsupClient*>(client->data)->received(message);
    return 0;
}

bool GsupClient::upDownCallback(osmo_gsup_client* client, bool up) {
    static_cast<GsupClient*>(client->data)->linkChanged(up);
    return true;
}

void GsupClient::linkChanged(bool up) {
    {
        std::lock_guard lock(mutex_);
        connected_ = up;
    }
    base::log::kNetsim->info("GSUP link to osmo-hlr {}:{} {}", host_, port_, up ? "up" : "down");
    if (up) {
        linkUp_.notify_all();
    } else {
        failAll("the GSUP link to osmo-hlr went down");
    }
}

void GsupClient::failAll(const char* why) {
    for (auto& [imsi, requests] : pending_) {
        for (auto& request : requests) {
            request->result.set_exception(std::make_exception_ptr(AucUnreachable(why)));
        }
    }
    pending_.clear();
}

void GsupClient::received(msgb* message) {
    osmo_gsup_message gsup{};
    // The answer's vectors (keys) are in the message and, decoded, on the stack: both wiped
    // before release, whatever the message turns out to be.
    const base::ScopeExit release([&] {
        base::secureWipe({reinterpret_cast<std::uint8_t*>(&gsup), sizeof gsup});
        base::secureWipe({message->_data, message->data_len});
        msgb_free(message);
    });
    const int rc = osmo_gsup_decode(static_cast<const std::uint8_t*>(msgb_l2(message)),
                                    msgb_l2len(message), &gsup);
    if (rc < 0) {
        base::log::kNetsim->warn("GSUP: undecodable message from osmo-hlr ({})", rc);
        return;
    }
    const bool result = gsup.message_type == OSMO_GSUP_MSGT_SEND_AUTH_INFO_RESULT;
    const bool error = gsup.message_type == OSMO_GSUP_MSGT_SEND_AUTH_INFO_ERROR;
    const auto queue = pending_.find(gsup.imsi);
    if ((!result && !error) || queue == pending_.end() || queue->second.empty()) {
        return;  // nothing we asked for
    }
    std::shared_ptr<Request> request = std::move(queue->second.front());
    queue->second.pop_front();
    if (queue->second.empty()) {
        pending_.erase(queue);
    }
    try {
        if (error) {
            // osmo-hlr 1.5 answers a failed vector generation (an AUTS whose MAC-S is wrong)
            // with "IMSI unknown" too ("slightly inaccurate cause", its log says).
            if (gsup.cause == GMM_CAUSE_IMSI_UNKNOWN && request->resync) {
                throw AucRejected("osmo-hlr refused the resynchronisation (AUTS)");
            }
            if (gsup.cause == GMM_CAUSE_IMSI_UNKNOWN) {
                throw UnknownSubscriber("osmo-hlr does not know the IMSI");
            }
            throw AucRejected("osmo-hlr refused SendAuthInfo, GMM cause " +
                              std::to_string(static_cast<int>(gsup.cause)));
        }
        const osmo_auth_vector* v = nullptr;
        for (std::size_t i = 0; i < gsup.num_auth_vectors; ++i) {
            if ((gsup.auth_vectors[i].auth_types & OSMO_AUTH_TYPE_UMTS) != 0) {
                v = &gsup.auth_vectors[i];
                break;
            }
        }
        if (v == nullptr || v->res_len < 4 || v->res_len > 16) {
            throw UnknownSubscriber("osmo-hlr holds no UMTS (Milenage) keys for the IMSI");
        }
        AuthVector out;
        out.rand = bytes(v->rand, sizeof v->rand);
        out.autn = bytes(v->autn, sizeof v->autn);
        out.xres = base::SecretBuffer::copyOf({v->res, v->res_len});
        out.ck = base::SecretBuffer::copyOf({v->ck, 16});
        out.ik = base::SecretBuffer::copyOf({v->ik, 16});
        request->result.set_value(std::move(out));
    } catch (const AucError&) {
        request->result.set_exception(std::current_exception());
    }
}

}  // namespace netsim
