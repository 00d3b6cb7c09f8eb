#include "agent/agent.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>

#include "agent/backoff.hpp"
#include "agent/card_session.hpp"
#include "agent/mid_client.hpp"
#include "agent/service_connection.hpp"
#include "base/log.hpp"
#include "provisioning/psk_identity.hpp"
#include "provisioning/tls_bootstrap.hpp"
#include "securechannel/ts102484/errors.hpp"

namespace agent {

namespace tls = securechannel::tls;
using Clock = std::chrono::system_clock;

namespace {

// A failure no retry can mend: the agent goes to `failed` and says why.
class PermanentFailure : public securechannel::Error {
public:
    using securechannel::Error::Error;
};

// The type name a person can search for ("PskRejected"), without the namespace.
std::string typeName(const std::exception& e) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> demangled(
        abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status), std::free);
    const std::string name = status == 0 ? demangled.get() : typeid(e).name();
    const auto colon = name.rfind("::");
    return colon == std::string::npos ? name : name.substr(colon + 2);
}

struct Recovery {
    bool permanent = false;
    AgentState retry = AgentState::Starting;
};

// What to do after `failed` threw the exception being handled.
Recovery classifyCurrentException(AgentState failed) {
    try {
        throw;
    } catch (const tls::PskRejected&) {
        switch (failed) {
            case AgentState::Bootstrapping:
                return {true, failed};  // the MSBF refused Kbs
            case AgentState::Connecting:
                return {false, AgentState::Bootstrapping};  // Kmr refused
            case AgentState::Registering:
            case AgentState::Registered:
                return {false, AgentState::Connecting};  // Kmc refused
            default:
                return {false, failed};
        }
    } catch (const provisioning::RequestRefused& e) {
        if (e.status() == 403 && failed == AgentState::Registered) {
            return {false, AgentState::Registering};  // the registration lapsed at the NSCL
        }
        if (e.status() == 403 || e.status() == 408 || e.status() == 429) {
            return {false, failed};
        }
        return {true, failed};
    } catch (const PermanentFailure&) {
        return {true, failed};
    } catch (const securechannel::KeyFileError&) {
        return {true, failed};
    } catch (const securechannel::AuthenticationFailed&) {
        return {true, failed};  // Kmsa differs from the card's: re-provisioning, not retrying
    } catch (const seuicc::SedNotInstalled&) {
        return {true, failed};
    } catch (const seuicc::SedNotPersonalised&) {
        return {true, failed};
    } catch (const std::exception&) {
        return {false, failed};
    }
}

bool expired(const std::optional<Clock::time_point>& at, Clock::duration margin = {}) {
    return !at || *at - margin <= Clock::now();
}

std::string reading(std::uint64_t seq, double uptimeMs) {
    return "{\"seq\":" + std::to_string(seq) + ",\"time\":\"" +
           provisioning::toDateTime(Clock::now()) +
           "\",\"uptime_ms\":" + std::to_string(static_cast<long long>(uptimeMs)) + "}";
}

}  // namespace

struct Agent::Impl {
    Impl(AgentConfig c, Options o)
        : config(std::move(c)),
          options(std::move(o)),
          card(CardSession::Options{config.reader, config.kmsaFile}),
          client(clientOptions(config)),
          backoff(config.retry) {}

    static tls::ClientOptions clientOptions(const AgentConfig& c) {
        tls::ClientOptions o;
        o.resolve = c.resolve;
        o.connectTimeout = c.connectTimeout;
        o.timeout = c.requestTimeout;
        return o;
    }

    AgentConfig config;
    Options options;
    CardSession card;
    tls::PskHttpsClient client;
    std::unique_ptr<MidClient> mid;
    Backoff backoff;
    const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

    mutable std::mutex mutex;  // guards st and stopping
    std::condition_variable wake;
    bool stopping = false;
    AgentStatus st;

    std::optional<Registration> registration;
    Clock::time_point nextReport{};
    std::uint64_t nextSeq = 1;

    bool stopRequested() const {
        std::lock_guard lock(mutex);
        return stopping;
    }

    // Sleeps until `deadline` or stop(); false if stopped.
    bool sleepUntil(Clock::time_point deadline) {
        std::unique_lock lock(mutex);
        return !wake.wait_until(lock, deadline, [this] { return stopping; });
    }

    template <typename F>
    void update(F&& change) {
        AgentStatus copy;
        {
            std::lock_guard lock(mutex);
            change(st);
            st.cardTraffic = card.counters();
            st.secureChannelSetups = card.secureChannelSetups();
            st.tlsHandshakes = client.counters().handshakes;
            st.httpRequests = client.counters().requests;
            st.uptimeMs = std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - started)
                              .count();
            copy = st;
        }
        if (options.onStatus) {
            options.onStatus(copy);
        }
    }

    void enter(AgentState state) {
        update([&](AgentStatus& s) {
            if (s.state != state) {
                s.since = Clock::now();
                base::log::kAgent->info("state: {}", toString(state));
            }
            s.state = state;
            if (state != AgentState::Backoff) {
                s.retrying.reset();
                s.nextAttempt.reset();
            }
        });
        notifySystemd("STATUS=" + std::string(toString(state)));
    }

    // Runs `body` as procedure `name`, recording its wall time, card traffic and TLS/HTTP counts.
    template <typename F>
    void measure(const std::string& name, F&& body) {
        const auto cardBefore = card.counters();
        const auto clientBefore = client.counters();
        const auto t0 = std::chrono::steady_clock::now();
        try {
            body();
        } catch (...) {
            update([&](AgentStatus& s) { ++s.procedures[name].failures; });
            throw;
        }
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        const auto cardAfter = card.counters();
        const auto clientAfter = client.counters();
        update([&](AgentStatus& s) {
            auto& p = s.procedures[name];
            ++p.runs;
            p.lastMs = ms;
            p.totalMs += ms;
            p.lastCard = securechannel::ts102484::trafficBetween(cardBefore, cardAfter);
            p.lastHandshakes = clientAfter.handshakes - clientBefore.handshakes;
            p.lastRequests = clientAfter.requests - clientBefore.requests;
        });
    }

    seuicc::SedStatus refreshCard() {
        seuicc::SedStatus s = card.status();
        update([&](AgentStatus& a) {
            a.reader = card.readerName();
            a.iccid = card.iccid();
            a.card = s;
            if (s.nodeId) {
                if (s.kcv.kbs) {
                    a.kbsIdentity = provisioning::kbsIdentity(*s.nodeId);
                }
                if (s.kmrIndex) {
                    a.kmrIdentity = provisioning::kmrIdentity(*s.nodeId, *s.kmrIndex);
                }
                if (s.kmcIndex) {
                    a.kmcIdentity = provisioning::kmcIdentity(*s.nodeId, *s.kmcIndex);
                }
            }
        });
        return s;
    }

    AgentState start() {
        const seuicc::SedStatus s = refreshCard();
        if (s.lifecycle == seuicc::SedLifecycle::Installed || !s.nodeId || !s.sclId) {
            throw PermanentFailure("the M2M-SED is not personalised (run m2m provision)");
        }
        // Sets up the secure channel now: a wrong Kmsa shows at once, not mid-procedure.
        card.run([](provisioning::SedAccess&) {});
        std::string midUrl = config.midUrl;
        if (midUrl.empty()) {
            if (s.nsclList.empty()) {
                throw PermanentFailure("no mId URL: the card has no NSCL and network.mid is unset");
            }
            midUrl = s.nsclList.front();
        }
        mid = std::make_unique<MidClient>(client, midUrl);
        update([&](AgentStatus& a) { a.midUrl = midUrl; });
        notifySystemd("READY=1");
        return expired(s.kmrExpiry) || !s.kcv.kmr ? AgentState::Bootstrapping
                                                  : AgentState::Connecting;
    }

    AgentState bootstrap() {
        const seuicc::SedStatus s = refreshCard();
        if (!s.kcv.kbs) {
            throw PermanentFailure(
                "Kmr is missing, expired or refused and the card holds no bootstrap key (Kbs)");
        }
        measure("bootstrap", [&] {
            card.run([&](provisioning::SedAccess& a) {
                provisioning::runTlsBootstrap(client, a, config.msbfUrl, *s.nodeId);
            });
        });
        refreshCard();
        update([](AgentStatus& a) { ++a.bootstraps; });
        return AgentState::Connecting;
    }

    AgentState connect() {
        const seuicc::SedStatus s = refreshCard();
        if (expired(s.kmrExpiry) || !s.kmrIndex) {
            return AgentState::Bootstrapping;
        }
        measure("connection", [&] {
            card.run([&](provisioning::SedAccess& a) {
                runServiceConnection(client, a, config.connectionUrl, *s.nodeId, *s.kmrIndex,
                                     *s.sclId);
            });
        });
        const seuicc::SedStatus after = refreshCard();
        mid->useKey(
            {provisioning::kmcIdentity(*after.nodeId, *after.kmcIndex), seuicc::KeySlot::Kmc});
        update([](AgentStatus& a) { ++a.connections; });
        return registration && !expired(registration->scl.expirationTime) ? AgentState::Registered
                                                                          : AgentState::Registering;
    }

    AgentState registerScl() {
        const std::string sclId = *refreshCard().sclId;
        std::string container;
        measure("registration", [&] {
            card.run([&](provisioning::SedAccess& a) {
                tls::SedKeyOperations keys(a.transaction, a.sed, a.tunnel);
                SclRegistration request;
                request.sclId = sclId;
                request.link = sclId;
                registration = mid->registerScl(keys, request);
                const std::string app =
                    mid->createApplication(keys, registration->location, {config.applicationId});
                container = mid->createContainer(keys, app, {config.containerId});
            });
        });
        noteRegistration();
        update([&](AgentStatus& a) {
            a.containerLocation = container;
            ++a.registrations;
        });
        nextReport = Clock::now();
        return AgentState::Registered;
    }

    void noteRegistration() {
        const auto now = Clock::now();
        const auto expires = registration->scl.expirationTime;
        const auto refreshAt = now + (expires > now ? (expires - now) / 2 : Clock::duration{});
        update([&](AgentStatus& a) {
            a.registrationLocation = registration->location;
            a.registrationExpires = expires;
            a.registrationRefreshAt = refreshAt;
        });
    }

    AgentState serve() {
        AgentStatus now;
        {
            std::lock_guard lock(mutex);
            now = st;
        }
        const auto kmcDue = now.card && now.card->kmcExpiry
                                ? *now.card->kmcExpiry - config.kmcRenewMargin
                                : Clock::now();
        const auto refreshDue = now.registrationRefreshAt.value_or(Clock::now());
        const auto deadline = std::min({kmcDue, refreshDue, nextReport});
        if (!sleepUntil(deadline)) {
            return AgentState::Registered;
        }
        if (Clock::now() >= kmcDue) {
            base::log::kAgent->info("Kmc expires at {}: service connection again",
                                    provisioning::toDateTime(kmcDue + config.kmcRenewMargin));
            return AgentState::Connecting;
        }
        if (expired(registration->scl.expirationTime)) {
            return AgentState::Registering;
        }
        if (Clock::now() >= refreshDue) {
            measure("registration_refresh", [&] {
                card.run([&](provisioning::SedAccess& a) {
                    tls::SedKeyOperations keys(a.transaction, a.sed, a.tunnel);
                    registration = mid->refresh(keys, *registration);
                });
            });
            noteRegistration();
            update([](AgentStatus& a) { ++a.refreshes; });
        }
        if (Clock::now() >= nextReport) {
            report(now.containerLocation);
        }
        return AgentState::Registered;
    }

    // One reading as a contentInstance; the sequence number advances only once it is stored,
    // so a failed post is sent again, not lost.
    void report(const std::string& container) {
        ContentInstance instance;
        instance.contentType = "application/json";
        instance.content = reading(nextSeq, st.uptimeMs);
        ContentInstance stored;
        measure("content_instance", [&] {
            card.run([&](provisioning::SedAccess& a) {
                tls::SedKeyOperations keys(a.transaction, a.sed, a.tunnel);
                stored = mid->postContentInstance(keys, container, instance);
            });
        });
        ++nextSeq;
        nextReport = Clock::now() + config.reportInterval;
        std::uint64_t count = 0;
        update([&](AgentStatus& a) {
            count = ++a.contentInstances;
            a.lastContentInstance = stored.id;
        });
        if (options.stopAfterInstances != 0 && count >= options.stopAfterInstances) {
            base::log::kAgent->info("{} contentInstances stored: stopping as asked", count);
            std::lock_guard lock(mutex);
            stopping = true;
        }
    }

    AgentState step(AgentState state) {
        switch (state) {
            case AgentState::Starting:
                return start();
            case AgentState::Bootstrapping:
                return bootstrap();
            case AgentState::Connecting:
                return connect();
            case AgentState::Registering:
                return registerScl();
            case AgentState::Registered:
                return serve();
            default:
                return AgentState::Starting;
        }
    }

    AgentState run() {
        AgentState next = AgentState::Starting;
        while (!stopRequested()) {
            enter(next);
            try {
                next = step(next);
                backoff.reset();
                update([](AgentStatus& a) { a.attempt = 0; });
                continue;
            } catch (const std::exception& e) {
                const Recovery recovery = classifyCurrentException(next);
                base::log::kAgent->warn("{} failed: {} ({})", toString(next), e.what(),
                                        typeName(e));
                update([&](AgentStatus& a) {
                    a.lastError = e.what();
                    a.lastErrorType = typeName(e);
                });
                if (recovery.permanent || backoff.exhausted()) {
                    return fail();
                }
                const auto delay = backoff.next();
                const auto at = Clock::now() + delay;
                enter(AgentState::Backoff);
                update([&](AgentStatus& a) {
                    a.retrying = recovery.retry;
                    a.attempt = backoff.attempts();
                    a.nextAttempt = at;
                });
                base::log::kAgent->info("retrying {} in {} ms (attempt {})",
                                        toString(recovery.retry), delay.count(),
                                        backoff.attempts());
                if (!sleepUntil(at)) {
                    break;
                }
                next = recovery.retry;
            }
        }
        card.close();
        enter(AgentState::Stopped);
        return AgentState::Stopped;
    }

    AgentState fail() {
        enter(AgentState::Failed);
        notifySystemd("STATUS=failed: " + st.lastError);
        if (!options.exitOnFailure) {
            std::unique_lock lock(mutex);
            wake.wait(lock, [this] { return stopping; });
        }
        card.close();
        return AgentState::Failed;
    }
};

Agent::Agent(AgentConfig config, Options options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(options))) {}

Agent::~Agent() = default;

AgentState Agent::run() {
    return impl_->run();
}

void Agent::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->wake.notify_all();
}

AgentStatus Agent::status() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->st;
}

}  // namespace agent
