#include "agent/agent.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "agent/backoff.hpp"
#include "agent/card_session.hpp"
#include "agent/gba_connection.hpp"
#include "agent/integrity_validation.hpp"
#include "agent/mid_client.hpp"
#include "agent/outcome.hpp"
#include "agent/secure_time.hpp"
#include "agent/service_connection.hpp"
#include "agent/software_card.hpp"
#include "agent/uplink_queue.hpp"
#include "base/log.hpp"
#include "base/unix_time.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/errors.hpp"
#include "provisioning/gba_bootstrap.hpp"
#include "provisioning/param_sets.hpp"
#include "provisioning/psk_identity.hpp"
#include "provisioning/tls_bootstrap.hpp"
#include "securechannel/tls/psk_https_client.hpp"

namespace agent {

namespace tls = securechannel::tls;
using Steady = std::chrono::steady_clock;

namespace {

tls::ClientOptions clientOptions(const AgentConfig& c) {
    tls::ClientOptions o;
    o.resolve = c.resolve;
    o.connectTimeout = c.connectTimeout;
    o.timeout = c.requestTimeout;
    return o;
}

Agent::Parts complete(Agent::Parts parts, const AgentConfig& config) {
    if (!parts.card && config.cardKind == CardKind::Software) {
        parts.card = std::make_unique<SoftwareCard>(config.keyFile);
    } else if (!parts.card) {
        parts.card = std::make_unique<CardSession>(CardSession::Options{
            config.reader, config.kmsaFile, config.stateDir / "master-sa",
            config.integrity.enabled ? config.integrity.kmsaIvFile : std::filesystem::path{}});
    }
    if (!parts.https) {
        parts.https = std::make_unique<tls::PskHttpsClient>(clientOptions(config));
    }
    if (!parts.ua) {
        tls::ClientOptions ua = clientOptions(config);
        ua.onlyCipherSuite = config.gba.uaCipherSuite;
        parts.ua = std::make_unique<tls::PskHttpsClient>(std::move(ua));
    }
    if (!parts.clock) {
        parts.clock = std::make_unique<SystemClock>();
    }
    return parts;
}

std::unique_ptr<provisioning::GbaClient> makeGba(const AgentConfig& c, tls::HttpsClient& ua) {
    if (!c.usesGba()) {
        return nullptr;
    }
    provisioning::GbaOptions o;
    o.ub.bsfUrl = c.gba.bsfUrl;
    o.ub.impi = c.gba.impi;
    // A B-TID about to lapse is renewed before the Kmc cut to it is due again: otherwise each
    // renewal inside kmc_renew_margin_s of the B-TID's end would give a Kmc as short again.
    o.ub.expiryMargin = std::max(
        c.gba.expiryMargin, std::chrono::duration_cast<std::chrono::seconds>(c.kmcRenewMargin));
    o.ub.tolerateMissingRspauth = c.gba.tolerateMissingRspauth;
    o.ub.caFile = c.gba.caFile;
    o.ub.resolve = c.resolve;
    o.ub.connectTimeout = c.connectTimeout;
    o.ub.timeout = c.requestTimeout;
    o.mncDigits = c.gba.mncDigits;
    o.uaCipherSuite = c.gba.uaCipherSuite;
    o.writeGbaBp = c.gba.writeGbaBp;
    return std::make_unique<provisioning::GbaClient>(std::move(o), ua);
}

bool expired(const std::optional<Clock::time_point>& at, Clock::time_point now,
             Clock::duration margin = {}) {
    return !at || *at - margin <= now;
}

// A permanent failure the agent itself detects (no exception behind it).
Cause permanentCause(CauseKind kind, std::string message) {
    return Cause{kind, "", std::move(message), 0};
}

// One reading: a small JSON document, carried base64 in an m2m:contentInstance.
std::string reading(std::uint64_t seq, Clock::time_point at, Clock::duration uptime) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(uptime).count();
    return "{\"seq\":" + std::to_string(seq) + ",\"time\":\"" + provisioning::toDateTime(at) +
           "\",\"uptime_ms\":" + std::to_string(ms) + "}";
}

// The recovery actions after `lastTold` in `actions` (all of them when it is gone or null).
nlohmann::ordered_json actionsSince(const nlohmann::ordered_json& actions,
                                    const nlohmann::ordered_json& lastTold) {
    auto from = actions.begin();
    for (auto it = actions.begin(); it != actions.end(); ++it) {
        if (*it == lastTold) {
            from = std::next(it);
        }
    }
    return nlohmann::ordered_json(std::vector<nlohmann::ordered_json>(from, actions.end()));
}

// One maintenance record (integrity validation's state after a report, the recovery actions
// new since the last record): a small JSON document in the maintenance container, what a
// partial verdict still lets the node tell its operator.
std::string maintenanceRecord(std::uint64_t seq, const nlohmann::ordered_json& integrity,
                              const nlohmann::ordered_json& actions, Clock::time_point at) {
    nlohmann::ordered_json failed = nlohmann::ordered_json::array();
    nlohmann::ordered_json counter = nullptr;
    if (integrity.contains("last_report")) {
        const auto& r = integrity["last_report"];
        counter = r["counter"];
        for (const auto& o : r["results"]) {
            if (o.value("result", "") != "success") {
                failed.push_back(o["name"]);
            }
        }
    }
    const nlohmann::ordered_json record = {{"seq", seq},
                                           {"time", provisioning::toDateTime(at)},
                                           {"report", counter},
                                           {"verdict", integrity["verdict"]},
                                           {"halted", integrity["halted"]},
                                           {"failed", failed},
                                           {"actions", actions}};
    return record.dump();
}

}  // namespace

struct Agent::Impl {
    Impl(AgentConfig c, Options o, Parts p)
        : config(std::move(c)),
          options(std::move(o)),
          parts(complete(std::move(p), config)),
          card(*parts.card),
          https(*parts.https),
          ua(*parts.ua),
          gba(makeGba(config, ua)),
          integrity(config.integrity.enabled
                        ? std::make_unique<IntegrityValidator>(config.integrity, config.configFile,
                                                               config.stateDir)
                        : nullptr),
          clock(*parts.clock),
          backoff(config.retry, parts.jitter),
          time(clock, config.time),
          uplinkQueue([this] { clock.wake(); }) {}

    AgentConfig config;
    Options options;
    Parts parts;
    CardPort& card;
    tls::HttpsClient& https;
    tls::HttpsClient& ua;
    std::unique_ptr<provisioning::GbaClient> gba;   // when "gba" is configured
    std::unique_ptr<IntegrityValidator> integrity;  // when [integrity] is enabled
    AgentClock& clock;
    Backoff backoff;
    // Lifetimes are judged on secure time; waits run on the local clock (GATEWAY.md §4).
    SecureTime time;
    Clock::time_point nextTimeSync{};  // local clock
    std::unique_ptr<MidClient> mid;
    const Steady::time_point started = Steady::now();
    Clock::time_point startedAt{};  // by the agent's clock: the readings' uptime
    std::string runId;              // startedAt in Unix milliseconds: the readings' ids
    std::atomic<bool> stopping{false};

    mutable std::mutex mutex;  // guards st (status() reads it from other threads)
    AgentStatus st;

    std::optional<Registration> registration;
    Clock::time_point nextReport{};
    std::uint64_t nextSeq = 1;
    // The reading being sent, fixed at its first attempt (content and id) so that every attempt
    // sends the same request.
    std::optional<ContentInstance> pending;
    // Where the data goes (empty: not created yet, or not allowed to be).
    std::string applicationLocation, readingsLocation, maintenanceLocation;
    std::uint64_t nextMaintenanceSeq = 1;
    // The verdict, halt and last action the latest maintenance record told (none yet: null).
    nlohmann::ordered_json maintenanceTold;

    // The gateway's uplink (GATEWAY.md §3): its calls, and the devices every report of this
    // gateway lists in its submods from the first reportDevices() on (agent thread only).
    UplinkQueue uplinkQueue;
    std::atomic<bool> uplinkUsed{false};
    std::optional<base::Bytes> submods;
    struct Uplink;
    std::unique_ptr<Uplink> uplink;

    // --- status ----------------------------------------------------------------------------

    template <typename F>
    void update(F&& change) {
        AgentStatus copy;
        {
            const std::lock_guard lock(mutex);
            change(st);
            const CardPathInfo path = card.info();
            st.cardKind = path.kind;
            st.reader = path.reader;
            st.iccid = path.iccid;
            st.cardTraffic = path.traffic;
            st.secureChannelSetups = path.secureChannelSetups;
            st.masterSa = path.masterSa;
            const NetCounters net = netCounters();
            st.tlsHandshakes = net.handshakes;
            st.httpRequests = net.requests;
            if (gba) {
                const auto b = gba->cached();
                st.gba = GbaStatus{
                    b ? b->btid : "",           b ? std::optional(b->expiry) : std::nullopt,
                    b ? b->impi : "",           gba->ubCounters().runs,
                    gba->ubCounters().requests, gba->btidRefusals()};
            }
            st.uptimeMs =
                std::chrono::duration<double, std::milli>(Steady::now() - started).count();
            if (uplinkUsed) {
                st.relay = uplinkQueue.counters();
            }
            st.time = time.status();
            copy = st;
        }
        if (options.onStatus) {
            options.onStatus(copy);
        }
    }

    void enter(AgentState state) {
        if (state == AgentState::Registered && !stopping) {
            uplinkQueue.open();
        } else {
            uplinkQueue.close("the gateway is not registered with the NSCL (it is " +
                              std::string(toString(state)) + ")");
        }
        update([&](AgentStatus& s) {
            if (s.state != state) {
                s.since = clock.now();
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

    // The card's public data and the PSK identities it implies, into the status.
    void noteCard() {
        const seuicc::SedStatus& c = card.status();
        update([&](AgentStatus& a) {
            a.card = c;
            if (c.nodeId) {
                a.kbsIdentity = c.kcv.kbs ? provisioning::kbsIdentity(*c.nodeId) : "";
                a.kmrIdentity = c.kmrIndex ? provisioning::kmrIdentity(*c.nodeId, *c.kmrIndex) : "";
                a.kmcIdentity = c.kmcIndex ? provisioning::kmcIdentity(*c.nodeId, *c.kmcIndex) : "";
            }
        });
    }

    // TLS handshakes and HTTP requests of every client: the card-keyed one, Ua, Ub.
    struct NetCounters {
        std::uint64_t handshakes = 0;
        std::uint64_t requests = 0;
    };
    NetCounters netCounters() const {
        NetCounters n{https.counters().handshakes + ua.counters().handshakes,
                      https.counters().requests + ua.counters().requests};
        if (gba) {
            n.requests += gba->ubCounters().requests;
        }
        return n;
    }

    // Runs `body` as procedure `name`: its wall time, card traffic (every APDU, the ones that
    // reopen a lost card path and those of a failed run included) and TLS/HTTP counts go into
    // the status.
    template <typename F>
    void measure(const std::string& name, F&& body) {
        const seuicc::ApduCounters cardBefore = card.info().traffic;
        const NetCounters httpsBefore = netCounters();
        const auto t0 = Steady::now();
        const auto cardSince = [&] {
            const seuicc::ApduCounters after = card.info().traffic;
            return seuicc::ApduCounters{after.apdus - cardBefore.apdus,
                                        after.bytesSent - cardBefore.bytesSent,
                                        after.bytesReceived - cardBefore.bytesReceived};
        };
        try {
            body();
        } catch (...) {
            const seuicc::ApduCounters spent = cardSince();
            update([&](AgentStatus& s) {
                ProcedureStats& p = s.procedures[name];
                ++p.failures;
                p.totalCard += spent;
            });
            throw;
        }
        const double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
        const seuicc::ApduCounters spent = cardSince();
        const NetCounters httpsAfter = netCounters();
        update([&](AgentStatus& s) {
            ProcedureStats& p = s.procedures[name];
            ++p.runs;
            p.lastMs = ms;
            p.totalMs += ms;
            p.lastCard = spent;
            p.totalCard += spent;
            p.lastHandshakes = httpsAfter.handshakes - httpsBefore.handshakes;
            p.lastRequests = httpsAfter.requests - httpsBefore.requests;
        });
    }

    // --- the steps -------------------------------------------------------------------------

    Outcome start() {
        measure("start", [&] {
            card.open();
            if (personalised()) {
                // The secure channel now: a wrong Kmsa shows at once, not mid-procedure.
                card.run([](provisioning::CardOperations&) {});
            }
        });
        noteCard();
        if (!personalised()) {
            return Outcome::fail(permanentCause(
                CauseKind::NotPersonalised, "the M2M-SED is not personalised (run m2m provision)"));
        }
        const seuicc::SedStatus& s = card.status();
        std::string midUrl = config.midUrl;
        if (midUrl.empty()) {
            if (s.nsclList.empty()) {
                return Outcome::fail(
                    permanentCause(CauseKind::Configuration,
                                   "no mId URL: the card has no NSCL and network.mid is unset"));
            }
            midUrl = s.nsclList.front();
        }
        mid = std::make_unique<MidClient>(https, midUrl);
        update([&](AgentStatus& a) { a.midUrl = midUrl; });
        time.checkChrony();  // before Kmr's lifetime is judged
        notifySystemd("READY=1");
        // The GBA-based connection needs no Kmr.
        const bool connectable =
            kmrUsable() || config.connectionOrder.front() == ConnectionMethod::Gba;
        return Outcome::next(connectable ? AgentState::Connecting : AgentState::Bootstrapping);
    }

    bool personalised() const {
        const seuicc::SedStatus& s = card.status();
        return s.lifecycle != seuicc::SedLifecycle::Installed && s.nodeId && s.sclId;
    }

    bool kmrUsable() const {
        const seuicc::SedStatus& s = card.status();
        return s.kcv.kmr && s.kmrIndex && !expired(s.kmrExpiry, time.now());
    }

    // `order` without the methods `usable` rules out (nothing to run them with).
    template <typename Method, typename Usable>
    static std::vector<Method> usableMethods(const std::vector<Method>& order, Usable&& usable) {
        std::vector<Method> methods;
        std::copy_if(order.begin(), order.end(), std::back_inserter(methods), usable);
        return methods;
    }

    // Runs the first of `methods` that succeeds: a failure for which tryNextMethod() holds, of
    // a method that is not the last, is logged and the next one runs at once (no backoff); any
    // other failure is the step's, for decide().
    template <typename Method, typename Run>
    void firstThatWorks(std::string_view what, const std::vector<Method>& methods, Run&& run) {
        for (std::size_t i = 0; i < methods.size(); ++i) {
            try {
                run(methods[i]);
                return;
            } catch (const std::exception&) {
                const Cause cause = causeOf(std::current_exception());
                if (i + 1 == methods.size() || !tryNextMethod(cause)) {
                    throw;
                }
                base::log::kAgent->warn("{} {} failed: {} (type {}, cause {}): trying {}",
                                        toString(methods[i]), what, cause.message, cause.type,
                                        toString(cause.kind), toString(methods[i + 1]));
                update([](AgentStatus& a) { ++a.fallbacks; });
            }
        }
    }

    // Runs `body` as the measured procedure `name` inside one card transaction.
    void cardProcedure(const std::string& name,
                       const std::function<void(provisioning::CardOperations&)>& body) {
        measure(name, [&] { card.run(body); });
    }

    Outcome bootstrap() {
        const seuicc::SedStatus s = card.status();
        const std::vector<BootstrapMethod> methods = usableMethods(
            config.bootstrapOrder,
            [&](BootstrapMethod m) { return m != BootstrapMethod::Tls || s.kcv.kbs; });
        if (methods.empty()) {
            return Outcome::fail(permanentCause(
                CauseKind::NoBootstrapKey,
                config.bootstrapOrder.empty()
                    ? "Kmr is missing, expired or refused and agent.bootstrap is \"none\""
                    : "Kmr is missing, expired or refused and the card holds no bootstrap key "
                      "(Kbs)"));
        }
        firstThatWorks("bootstrap", methods, [&](BootstrapMethod method) {
            if (method == BootstrapMethod::Tls) {
                cardProcedure("bootstrap", [&](provisioning::CardOperations& ops) {
                    provisioning::runTlsBootstrap(https, ops, config.msbfUrl, *s.nodeId);
                });
            } else {
                cardProcedure("bootstrap_gba", [&](provisioning::CardOperations& ops) {
                    provisioning::runGbaBootstrap(*gba, ops, config.msbfUrl, config.gba.msbfFqdn,
                                                  *s.nodeId);
                });
            }
            update([&](AgentStatus& a) { a.bootstrapMethod = std::string(toString(method)); });
        });
        noteCard();
        update([](AgentStatus& a) { ++a.bootstraps; });
        return Outcome::next(AgentState::Connecting);
    }

    Outcome connect() {
        const seuicc::SedStatus s = card.status();
        const std::vector<ConnectionMethod> methods = usableMethods(
            config.connectionOrder,
            [&](ConnectionMethod m) { return m != ConnectionMethod::Tls || kmrUsable(); });
        if (methods.empty()) {
            return Outcome::next(AgentState::Bootstrapping);
        }
        firstThatWorks("connection", methods, [&](ConnectionMethod method) {
            if (method == ConnectionMethod::Tls) {
                cardProcedure("connection", [&](provisioning::CardOperations& ops) {
                    runServiceConnection(https, ops, config.connectionUrl, *s.nodeId, *s.kmrIndex,
                                         *s.sclId, time.secureNow());
                });
            } else {
                cardProcedure("connection_gba", [&](provisioning::CardOperations& ops) {
                    runGbaServiceConnection(*gba, ops, config.connectionUrl, config.gba.nsclFqdn,
                                            *s.sclId, time.secureNow());
                });
            }
            update([&](AgentStatus& a) { a.connectionMethod = std::string(toString(method)); });
        });
        noteCard();
        const seuicc::SedStatus& now = card.status();
        mid->useKey({provisioning::kmcIdentity(*now.nodeId, *now.kmcIndex), seuicc::KeySlot::Kmc});
        update([](AgentStatus& a) { ++a.connections; });
        // The Kmc's lifetime arrived unjudged if there was no secure time yet: the next mId
        // exchange asks for the time first (the registration's, or serve()'s).
        nextTimeSync = clock.now();
        time.checkChrony();
        const bool stillRegistered =
            registration && !expired(registration->scl.expirationTime, time.now());
        return Outcome::next(stillRegistered ? AgentState::Registered : AgentState::Registering);
    }

    Outcome registerScl() {
        const std::string sclId = *card.status().sclId;
        applicationLocation.clear();
        readingsLocation.clear();
        maintenanceLocation.clear();
        if (integrity) {
            measure("registration", [&] {
                card.runWithIvSed([&](provisioning::CardOperations& ops, IvSedPort& iv) {
                    askTimeIfDue(ops);
                    SclRegistration request;
                    request.sclId = sclId;
                    request.link = sclId;
                    request.integrityValResults =
                        integrity->report(ops, iv, *mid, submods, time.secureNow());
                    const auto sent = clock.now();
                    const ReportedRegistration answer = mid->registerSclReporting(ops, request);
                    const auto applied = applyDecision(answer.decision, ops, iv, sent);
                    if (!answer.registration) {
                        throw provisioning::RequestRefused(
                            403, "mId: SCL registration refused (integrity verdict deny)");
                    }
                    registration = answer.registration;
                    if (applied.reportAgain) {
                        refreshWithReport(ops, iv);
                    }
                    ensureDataPath(ops);
                    tellMaintenance(ops);
                });
            });
        } else {
            cardProcedure("registration", [&](provisioning::CardOperations& ops) {
                SclRegistration request;
                request.sclId = sclId;
                request.link = sclId;
                registration = mid->registerScl(ops, request);
                // After the registration, which is the step's first mId request: a refusal of
                // it (a 404 the NSCL gives) is the registration's, not taken for an NSCL without
                // a time resource. With integrity the time comes first, for the report's iat.
                askTimeIfDue(ops);
                ensureDataPath(ops);
            });
        }
        noteRegistration();
        noteDataPath();
        update([&](AgentStatus& a) { ++a.registrations; });
        nextReport = clock.now();
        return Outcome::next(AgentState::Registered);
    }

    // The application and its containers (the readings; with integrity, the maintenance
    // records), each created when missing and when mId data may go where it is created: no halt,
    // and under partial only inside the decision's allowed paths (the NSCL checks the path
    // posted to, so creating needs the collection itself allowed). What exists stays in use.
    void ensureDataPath(provisioning::CardOperations& ops) {
        const bool missing = readingsLocation.empty() || (integrity && maintenanceLocation.empty());
        if (!missing) {
            return;
        }
        if (applicationLocation.empty()) {
            if (!dataAllowed(joinLocation(registration->location, "applications"))) {
                base::log::kAgent->info("integrity: no application created (not allowed now)");
                return;
            }
            applicationLocation =
                mid->createApplication(ops, registration->location, {config.applicationId});
        }
        if (!dataAllowed(joinLocation(applicationLocation, "containers"))) {
            base::log::kAgent->info("integrity: no container created (not allowed now)");
            return;
        }
        if (readingsLocation.empty()) {
            readingsLocation = mid->createContainer(ops, applicationLocation, {config.containerId});
        }
        if (integrity && maintenanceLocation.empty()) {
            maintenanceLocation = mid->createContainer(ops, applicationLocation,
                                                       {config.integrity.maintenanceContainerId});
        }
    }

    void noteDataPath() {
        update([&](AgentStatus& a) {
            a.containerLocation = readingsLocation;
            a.maintenanceLocation = maintenanceLocation;
        });
    }

    // After each report: a maintenance record under partial, and whenever the verdict, the
    // halt or the actions changed since the last one (so under full a steady node sends none:
    // mId traffic stays low). Never under halt (no mId data at all); the first record after it
    // tells the halt and its lifting. A record refused or lost is not sent again: the next
    // report's record supersedes it.
    void tellMaintenance(provisioning::CardOperations& ops) {
        const nlohmann::ordered_json state = integrity->statusJson();
        const auto& actions = state["actions"];
        const nlohmann::ordered_json told = {
            state["verdict"], state["halted"],
            actions.empty() ? nlohmann::ordered_json(nullptr) : actions.back()};
        const bool partial = integrity->verdict() == integrity::Verdict::Partial;
        if ((!partial && told == maintenanceTold) || maintenanceLocation.empty() ||
            !dataAllowed(joinLocation(maintenanceLocation, "contentInstances"))) {
            return;
        }
        // Every record its own id, so a post sent twice by the HTTP stack is stored once.
        const std::uint64_t seq = nextMaintenanceSeq++;
        ContentInstance record;
        record.id = "m" + runId + "-" + std::to_string(seq);
        record.contentType = "application/json";
        const nlohmann::ordered_json lastTold =
            maintenanceTold.is_null() ? maintenanceTold : maintenanceTold[2];
        record.content = maintenanceRecord(seq, state, actionsSince(actions, lastTold), time.now());
        postOnce(ops, maintenanceLocation, record);
        maintenanceTold = told;
        update([](AgentStatus& a) { ++a.maintenanceRecords; });
    }

    // Posts `instance`; a 409 (its id is stored already: an earlier answer was lost) counts as
    // stored.
    ContentInstance postOnce(provisioning::CardOperations& ops, const std::string& container,
                             const ContentInstance& instance) {
        try {
            return mid->postContentInstance(ops, container, instance);
        } catch (const provisioning::RequestRefused& e) {
            if (e.status() != 409) {
                throw;
            }
            base::log::kAgent->info(
                "contentInstance {} was stored before: its answer had been lost", instance.id);
            return instance;
        }
    }

    static std::string joinLocation(const std::string& base, const std::string& relative) {
        return provisioning::joinUrl(base, "/" + relative);
    }

    // Whether mId data may go to `url` now (security profile §7.3.3/§7.3.4).
    bool dataAllowed(const std::string& url) const {
        if (!integrity) {
            return true;
        }
        if (integrity->halted()) {
            return false;
        }
        const auto verdict = integrity->verdict();
        if (!verdict || *verdict == integrity::Verdict::Full) {
            return true;
        }
        if (*verdict == integrity::Verdict::Deny || !registration) {
            return false;
        }
        const std::string& scl = registration->location;
        if (url.rfind(scl + "/", 0) != 0) {
            return false;
        }
        const std::string relative = url.substr(scl.size() + 1);
        return std::any_of(integrity->allowed().begin(), integrity->allowed().end(),
                           [&](const std::string& allowed) {
                               std::string a = allowed;
                               while (!a.empty() && a.front() == '/') {
                                   a.erase(a.begin());
                               }
                               return relative == a || relative.rfind(a + "/", 0) == 0;
                           });
    }

    // The decision to the report sent at local `sent`; once the card verified it, its iat is a
    // sample of secure time.
    IntegrityValidator::Applied applyDecision(const std::optional<std::string>& decision,
                                              provisioning::CardOperations& ops, IvSedPort& iv,
                                              Clock::time_point sent) {
        const auto received = clock.now();
        try {
            const auto applied = integrity->apply(decision, ops, iv, *mid, time.secureNow());
            const auto iat = base::timeFromUnixSeconds(
                static_cast<std::int64_t>(std::min<std::uint64_t>(applied.iat, INT64_MAX)));
            if (applied.iat != 0 && iat) {
                time.sample(*iat, sent, received, "decision iat");
            }
            noteIntegrity();
            return applied;
        } catch (...) {
            noteIntegrity();
            throw;
        }
    }

    void noteIntegrity() {
        const nlohmann::ordered_json j = integrity->statusJson();
        update([&](AgentStatus& a) { a.integrity = j; });
    }

    // A refresh carrying a fresh report; once more at most when its recovery asks for it (a
    // rollback restored an object, a remediation was installed).
    void refreshWithReport(provisioning::CardOperations& ops, IvSedPort& iv) {
        for (int round = 0; round < 2; ++round) {
            Registration current = *registration;
            current.scl.integrityDecision.reset();
            current.scl.integrityValResults =
                integrity->report(ops, iv, *mid, submods, time.secureNow());
            const auto sent = clock.now();
            const ReportedRegistration answer = mid->refreshReporting(ops, current);
            const auto applied = applyDecision(answer.decision, ops, iv, sent);
            if (!answer.registration) {
                throw provisioning::RequestRefused(
                    403, "mId: registration refresh refused (integrity verdict deny)");
            }
            registration = answer.registration;
            if (!applied.reportAgain) {
                return;
            }
        }
    }

    void noteRegistration() {
        const auto now = time.now();
        const auto expires = registration->scl.expirationTime;
        const auto refreshAt = now + (expires > now ? (expires - now) / 2 : Clock::duration{});
        update([&](AgentStatus& a) {
            a.registrationLocation = registration->location;
            a.registrationExpires = expires;
            a.registrationRefreshAt = refreshAt;
        });
    }

    // Under the gateway's own halt ("no mId traffic until remediated", security profile §7.3
    // item 4) its devices' requests do not leave it either; a report of its own
    // (reportDevices) is what can lift the halt.
    void refuseWhenHalted() const {
        if (integrity && integrity->halted()) {
            throw UplinkUnavailable("the gateway's integrity validation halted mId data", false);
        }
    }

    // The registration refreshed now (with integrity: carrying a fresh report).
    void refreshRegistration() {
        if (integrity) {
            measure("registration_refresh", [&] {
                card.runWithIvSed([&](provisioning::CardOperations& ops, IvSedPort& iv) {
                    refreshWithReport(ops, iv);
                    ensureDataPath(ops);
                    tellMaintenance(ops);
                });
            });
            noteDataPath();
        } else {
            cardProcedure("registration_refresh", [&](provisioning::CardOperations& ops) {
                registration = mid->refresh(ops, *registration);
            });
        }
        noteRegistration();
        update([](AgentStatus& a) { ++a.refreshes; });
    }

    // A sample of secure time (GATEWAY.md §4): chronyd, or GET {nscl}/time over mId. After each
    // service connection and every [time] resync_s. A failure is logged, never the step's: the
    // agent goes on with what it knows.
    void syncTime() {
        time.checkChrony();
        if (!time.wantsNetworkSample() || !mid) {
            nextTimeSync = clock.now() + config.time.resync;
            return;
        }
        try {
            cardProcedure("time_sync",
                          [&](provisioning::CardOperations& ops) { askTimeIfDue(ops); });
        } catch (const std::exception& e) {
            nextTimeSync = clock.now() + config.time.resync;
            base::log::kAgent->warn("time: GET {}/time failed: {}", mid->nsclUri(), e.what());
        }
        update([](AgentStatus&) {});
    }

    // GET {nscl}/time when a sample is due, on the card transaction of the procedure it opens
    // (after a service connection: the registration's, so that a failure of the mId link is
    // that step's, typed as any other). An NSCL without the resource (404, 405, 501) is not an
    // error: the agent goes on with what it knows.
    void askTimeIfDue(provisioning::CardOperations& ops) {
        if (clock.now() < nextTimeSync || !time.wantsNetworkSample()) {
            return;
        }
        try {
            const auto sent = clock.now();
            const TimeResource answer = mid->time(ops);
            time.sample(answer.currentTime, sent, clock.now(), "mId time");
        } catch (const provisioning::RequestRefused& e) {
            if (e.status() != 404 && e.status() != 405) {
                throw;
            }
            base::log::kAgent->warn("time: the NSCL has no time resource ({}): not synchronised",
                                    e.status());
        } catch (const provisioning::ServerError& e) {
            if (e.status() != 501) {
                throw;
            }
            base::log::kAgent->warn("time: the NSCL has no time resource (501): not synchronised");
        }
        nextTimeSync = clock.now() + config.time.resync;
    }

    Outcome serve() {
        // The gateway's calls queued meanwhile, before the agent's own next request; one that
        // fails is decided on as a failure of the agent's own (decide()).
        uplinkQueue.runPending();
        const seuicc::SedStatus& s = card.status();
        // Secure deadlines, waited for on the local clock.
        const auto kmcDue = s.kmcExpiry ? *s.kmcExpiry - config.kmcRenewMargin : time.now();
        Clock::time_point refreshDue;
        {
            const std::lock_guard lock(mutex);
            refreshDue = st.registrationRefreshAt.value_or(time.now());
        }
        if (!clock.sleepUntil(std::min(
                {time.toLocal(kmcDue), time.toLocal(refreshDue), nextReport, nextTimeSync}))) {
            return Outcome::next(AgentState::Registered);  // stopping
        }
        if (clock.now() >= nextTimeSync) {
            syncTime();
        }
        const auto now = time.now();
        if (now >= kmcDue) {
            base::log::kAgent->info("Kmc expires at {}: service connection again",
                                    provisioning::toDateTime(*s.kmcExpiry));
            return Outcome::next(AgentState::Connecting);
        }
        if (expired(registration->scl.expirationTime, now)) {
            return Outcome::next(AgentState::Registering);
        }
        if (now >= refreshDue) {
            refreshRegistration();
        }
        if (clock.now() >= nextReport) {
            if (!readingsLocation.empty() &&
                dataAllowed(joinLocation(readingsLocation, "contentInstances"))) {
                report();
            } else {
                // Integrity validation holds mId data back (halt, partial, no container yet).
                nextReport = clock.now() + config.reportInterval;
                update([](AgentStatus& a) { ++a.readingsWithheld; });
            }
        }
        return Outcome::next(AgentState::Registered);
    }

    // One reading as a contentInstance; the sequence number advances only once it is stored,
    // so a failed post is sent again, not lost. Each reading carries an id of its own (this run's
    // start and its sequence number): the NSCL answers 409 to the same id sent again, so a post
    // that was stored although its answer was lost (a reset, a timeout), or that libcurl sent a
    // second time on a new connection, is stored once, not twice.
    void report() {
        if (!pending) {
            pending.emplace();
            pending->id = "r" + runId + "-" + std::to_string(nextSeq);
            pending->contentType = "application/json";
            pending->content = reading(nextSeq, time.now(), clock.now() - startedAt);
        }
        ContentInstance stored;
        cardProcedure("content_instance", [&](provisioning::CardOperations& ops) {
            stored = postOnce(ops, readingsLocation, *pending);
        });
        pending.reset();
        ++nextSeq;
        nextReport = clock.now() + config.reportInterval;
        std::uint64_t count = 0;
        update([&](AgentStatus& a) {
            count = ++a.contentInstances;
            a.lastContentInstance = stored.id;
        });
        if (options.stopAfterInstances != 0 && count >= options.stopAfterInstances) {
            base::log::kAgent->info("{} contentInstances stored: stopping as asked", count);
            stopping = true;
        }
    }

    // One step of `state`; a failure becomes the outcome decide() gives it.
    Outcome step(AgentState state) {
        try {
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
                    return Outcome::next(AgentState::Starting);
            }
        } catch (const std::exception&) {
            return decide(state, causeOf(std::current_exception()));
        }
    }

    // --- applying outcomes -----------------------------------------------------------------

    void noteFailure(AgentState state, const Cause& cause) {
        // The type and the cause in a fixed form at the end: the fault matrix reads them back.
        base::log::kAgent->warn("{} failed: {} (type {}, cause {})", toString(state), cause.message,
                                cause.type.empty() ? "-" : cause.type, toString(cause.kind));
        update([&](AgentStatus& a) { a.lastError = ErrorRecord{cause, state, clock.now(), {}}; });
    }

    void noteProgress() {
        backoff.reset();
        update([&](AgentStatus& a) {
            a.attempt = 0;
            if (a.lastError && !a.lastError->recoveredAt) {
                a.lastError->recoveredAt = clock.now();
            }
        });
    }

    AgentState run() {
        startedAt = clock.now();
        runId = std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(startedAt.time_since_epoch())
                .count());
        AgentState state = AgentState::Starting;
        while (!stopping) {
            enter(state);
            const Outcome outcome = step(state);
            switch (outcome.kind) {
                case Outcome::Kind::Next:
                    noteProgress();
                    state = outcome.state;
                    continue;
                case Outcome::Kind::Fail:
                    noteFailure(state, outcome.cause);
                    return fail();
                case Outcome::Kind::Retry:
                    noteFailure(state, outcome.cause);
                    if (backoff.exhausted()) {
                        return fail();
                    }
                    if (!waitToRetry(outcome.state)) {
                        break;
                    }
                    state = outcome.state;
                    continue;
            }
            break;
        }
        card.close();
        enter(AgentState::Stopped);
        return AgentState::Stopped;
    }

    // Backs off before retrying `next`; false if stopped meanwhile.
    bool waitToRetry(AgentState next) {
        const auto delay = backoff.next();
        const auto at = clock.now() + delay;
        enter(AgentState::Backoff);
        update([&](AgentStatus& a) {
            a.retrying = next;
            a.attempt = backoff.attempts();
            a.nextAttempt = at;
        });
        base::log::kAgent->info("retrying {} in {} ms (attempt {})", toString(next), delay.count(),
                                backoff.attempts());
        // The whole delay, even if the wait is woken (a wake-up meant for the uplink).
        while (clock.now() < at) {
            if (!clock.sleepUntil(at)) {
                return false;
            }
        }
        return true;
    }

    AgentState fail() {
        enter(AgentState::Failed);
        std::string message;
        {
            const std::lock_guard lock(mutex);
            message = st.lastError ? st.lastError->cause.message : "";
        }
        notifySystemd("STATUS=failed: " + message);
        while (!options.exitOnFailure && !stopping &&
               clock.sleepUntil(clock.now() + std::chrono::hours(1))) {
        }
        card.close();
        return AgentState::Failed;
    }
};

// The gateway's uplink: each call a task on the agent's thread (UplinkQueue), using the agent's
// mId client and card-held Kmc exactly as the agent's own requests do.
struct Agent::Impl::Uplink final : GatewayUplink {
    explicit Uplink(Impl& owner) : impl(owner) {}
    Impl& impl;

    RelayResponse relay(const RelayRequest& request, std::chrono::milliseconds timeout) override {
        auto answer = std::make_shared<RelayResponse>();
        impl.uplinkQueue.call(
            [this, answer, request] {
                impl.refuseWhenHalted();
                impl.cardProcedure("relay", [&](provisioning::CardOperations& ops) {
                    *answer = impl.mid->exchange(ops, request.method, request.nsclPath,
                                                 request.contentType, request.body);
                });
            },
            timeout);
        return *answer;
    }

    void reportDevices(const std::vector<DeviceVerdict>& devices,
                       std::chrono::milliseconds timeout) override {
        if (!impl.integrity) {
            throw UplinkUnavailable("the gateway has no integrity validation", false);
        }
        std::optional<base::Bytes> encoded = encodeSubmods(devices);
        impl.uplinkQueue.call(
            [this, encoded = std::move(encoded)] {
                // Kept for every later report too: a report without a device ends its
                // registration at the NSCL (GATEWAY.md §3).
                impl.submods = encoded;
                impl.refreshRegistration();
            },
            timeout);
    }

    std::string registerDevice(const SclRegistration& scl,
                               std::chrono::milliseconds timeout) override {
        auto answer = std::make_shared<RelayResponse>();
        impl.uplinkQueue.call(
            [this, answer, body = toXml(scl)] {
                impl.refuseWhenHalted();
                impl.cardProcedure("relay", [&](provisioning::CardOperations& ops) {
                    *answer = impl.mid->exchange(ops, "POST", impl.mid->nsclPath("/scls"),
                                                 "application/xml", body);
                });
            },
            timeout);
        if (answer->status >= 200 && answer->status < 300 && !answer->location.empty()) {
            return answer->location;
        }
        if (answer->status >= 400 && answer->status < 500) {
            throw provisioning::RequestRefused(
                answer->status,
                "mId: the NSCL refused the device's SCL (" + scl.sclId + ") registration");
        }
        throw UplinkUnavailable("the NSCL answered " + std::to_string(answer->status) +
                                    " to the device's SCL registration" +
                                    (answer->location.empty() ? " (no Location)" : ""),
                                false);
    }

    // The devices as the `submods` of the gateway's reports (GATEWAY.md §3); none: claim 266
    // absent. A list the NSCL would refuse (more than 8 devices, a partial verdict without
    // paths...) is refused here, so the card never signs it.
    static std::optional<base::Bytes> encodeSubmods(const std::vector<DeviceVerdict>& devices) {
        if (devices.empty()) {
            return std::nullopt;
        }
        std::vector<integrity::Submodule> submods;
        submods.reserve(devices.size());
        try {
            for (const DeviceVerdict& d : devices) {
                submods.push_back({d.nodeIdHex, d.ueid, d.counter,
                                   integrity::verdictFromString(d.verdict), d.allowed, d.attested});
            }
            return integrity::encodeSubmods(submods);
        } catch (const integrity::Error& e) {
            throw UplinkUnavailable(
                std::string("the gateway's report cannot carry its devices: ") + e.what(), false);
        }
    }
};

Agent::Agent(AgentConfig config, Options options, Parts parts)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(options), std::move(parts))) {}

Agent::~Agent() = default;

AgentState Agent::run() {
    return impl_->run();
}

void Agent::stop() {
    impl_->stopping = true;
    impl_->uplinkQueue.close("the agent is stopping");
    impl_->clock.interrupt();
}

AgentStatus Agent::status() const {
    AgentStatus s;
    {
        const std::lock_guard lock(impl_->mutex);
        s = impl_->st;
    }
    if (impl_->uplinkUsed) {
        s.relay = impl_->uplinkQueue.counters();  // the queue as it is now
    }
    return s;
}

GatewayUplink& Agent::uplink() {
    const std::lock_guard lock(impl_->mutex);
    if (!impl_->uplink) {
        impl_->uplink = std::make_unique<Impl::Uplink>(*impl_);
        impl_->uplinkUsed = true;
    }
    return *impl_->uplink;
}

Clock::time_point Agent::secureNow() const {
    return impl_->time.now();
}

}  // namespace agent
