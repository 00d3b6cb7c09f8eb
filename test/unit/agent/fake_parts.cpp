#include "fake_parts.hpp"

#include <algorithm>

#include "provisioning/param_sets.hpp"
#include "provisioning/psk_identity.hpp"

namespace agenttest {

namespace tls = securechannel::tls;

Clock::time_point ManualClock::now() {
    const std::lock_guard lock(mutex_);
    return now_;
}

bool ManualClock::sleepUntil(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return interrupted_ || woken_ || !held_ || deadline <= now_; });
    if (!woken_) {
        now_ = std::max(now_, deadline);
    }
    woken_ = false;
    return !interrupted_;
}

void ManualClock::interrupt() {
    {
        const std::lock_guard lock(mutex_);
        interrupted_ = true;
    }
    changed_.notify_all();
}

void ManualClock::wake() {
    {
        const std::lock_guard lock(mutex_);
        woken_ = true;
    }
    changed_.notify_all();
}

void ManualClock::hold(bool held) {
    {
        const std::lock_guard lock(mutex_);
        held_ = held;
    }
    changed_.notify_all();
}

// --- FakeCard ------------------------------------------------------------------------------

class FakeCard::Operations final : public provisioning::CardOperations {
public:
    explicit Operations(FakeCard& card) : card_(card) {}

    base::SecretBuffer computeMasterSecret(seuicc::KeySlot, seuicc::MasterSecretMode,
                                           base::ByteView) override {
        card_.traffic_.apdus += kCommandApdus;
        ++card_.masterSecrets;
        return base::SecretBuffer(48);
    }

    seuicc::KeyCheckValue deriveExportedKey(seuicc::ExportTarget target, base::ByteView,
                                            base::ByteView) override {
        card_.traffic_.apdus += kCommandApdus;
        pending_ = seuicc::KeyCheckValue{static_cast<std::uint8_t>(target),
                                         static_cast<std::uint8_t>(card_.activations), 0x55};
        return *pending_;
    }

    void activateKey(seuicc::ExportTarget target, std::uint32_t index, Clock::time_point expiry,
                     std::optional<std::uint64_t> connectionId) override {
        card_.traffic_.apdus += kCommandApdus;
        if (!pending_) {
            throw seuicc::SedNoPendingKey(0x6985, "ACTIVATE KEY");
        }
        ++card_.activations;
        expiry = std::chrono::floor<std::chrono::seconds>(expiry);
        for (seuicc::SedStatus* s : {&card_.card, &card_.copy_}) {
            if (target == seuicc::ExportTarget::Kmr) {
                s->kmrIndex = index;
                s->kmrExpiry = expiry;
                s->kcv.kmr = pending_;
            } else {
                s->kmcIndex = index;
                s->kmcExpiry = expiry;
                s->connectionId = connectionId;
                s->kcv.kmc = pending_;
            }
        }
        pending_.reset();
    }

    // The fake card has no USIM: GBA fails as on a card without one (the agent's GBA paths are
    // covered by the integration tests against the lab BSF).
    provisioning::AkaAnswer authenticateGbaBootstrap(const provisioning::AkaChallenge&) override {
        card_.traffic_.apdus += 1;
        throw seuicc::UsimNotInstalled(0x6A82, "SELECT USIM");
    }
    std::string readImsi() override {
        card_.traffic_.apdus += 1;
        throw seuicc::UsimNotInstalled(0x6A82, "SELECT USIM");
    }
    seuicc::M2mSedClient::GbaKey setKeyFromGba(seuicc::ExportTarget, base::ByteView,
                                               std::string_view) override {
        card_.traffic_.apdus += kCommandApdus;
        throw seuicc::SedKeyMissing(0x6A88, "SET KEY FROM GBA");
    }
    void writeGbaBootstrap(const seuicc::GbaBootstrapParams&) override {
        card_.traffic_.apdus += 1;
    }

private:
    FakeCard& card_;
    std::optional<seuicc::KeyCheckValue> pending_;
};

FakeCard::FakeCard() {
    card.lifecycle = seuicc::SedLifecycle::Locked;
    card.nodeId = seuicc::NodeId{0x8F, 0x43, 0xEC, 0x68, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    card.kmrIndex = 7;
    card.kmrExpiry =
        std::chrono::floor<std::chrono::seconds>(Clock::now() + std::chrono::hours(24 * 365));
    card.kcv.kmr = seuicc::KeyCheckValue{0x11, 0x22, 0x33};
    card.kcv.kbs = seuicc::KeyCheckValue{0x44, 0x55, 0x66};
    card.kcv.kmsa = seuicc::KeyCheckValue{0x77, 0x88, 0x99};
    card.sclId = "m2m:scl/device-1";
    card.nsclList = {"https://nscl.test:3/m2m"};
    card.masFqdn = "mas.test";
}

void FakeCard::failIfAsked() {
    if (!failures.empty()) {
        const std::exception_ptr error = failures.front();
        failures.pop_front();
        open_ = false;  // as CardSession: a failure drops the path
        channel_ = false;
        std::rethrow_exception(error);
    }
}

const seuicc::SedStatus& FakeCard::open() {
    failIfAsked();
    if (!open_) {
        traffic_.apdus += kOpenApdus;
        ++getDataReads;
        copy_ = card;
        open_ = true;
        closed = false;
    }
    return copy_;
}

void FakeCard::run(const std::function<void(provisioning::CardOperations&)>& procedure) {
    open();
    if (!channel_) {
        traffic_.apdus += kChannelApdus;
        ++channelSetups;
        channel_ = true;
    }
    Operations operations(*this);
    procedure(operations);
}

void FakeCard::runWithIvSed(
    const std::function<void(provisioning::CardOperations&, agent::IvSedPort&)>& procedure) {
    if (!ivSed) {
        throw std::logic_error("this card path has no IV-SED");
    }
    run([&](provisioning::CardOperations& ops) { procedure(ops, *ivSed); });
}

agent::CardPathInfo FakeCard::info() const {
    return {"Fake reader", "8988211000000000018", traffic_,
            static_cast<std::uint64_t>(channelSetups), channelSetups > 0 ? "new" : ""};
}

void FakeCard::close() noexcept {
    open_ = false;
    channel_ = false;
    closed = true;
}

// --- FakeNetwork ---------------------------------------------------------------------------

FakeNetwork::FakeNetwork(agent::AgentClock& clock, seuicc::NodeId node, std::string sclId)
    : clock_(clock), node_(node), sclId_(std::move(sclId)) {}

void FakeNetwork::failNext(Endpoint endpoint, std::exception_ptr error, int times) {
    for (int i = 0; i < times; ++i) {
        faults[endpoint].push_back({error, 0, {}});
    }
}

void FakeNetwork::answerNext(Endpoint endpoint, long status, std::string body, int times) {
    for (int i = 0; i < times; ++i) {
        faults[endpoint].push_back({nullptr, status, body});
    }
}

namespace {

std::string pathOf(const std::string& url) {
    const auto scheme = url.find("://");
    const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    return slash == std::string::npos ? "/" : url.substr(slash);
}

tls::HttpResponse xml(long status, std::string body, std::string location = {}) {
    tls::HttpResponse r;
    r.status = status;
    r.contentType = "application/xml";
    r.body = std::move(body);
    r.location = std::move(location);
    return r;
}

}  // namespace

FakeNetwork::Endpoint FakeNetwork::endpointOf(const std::string& url) const {
    const std::string path = pathOf(url);
    if (path.starts_with("/m2m/bootstrap")) {
        return Endpoint::Msbf;
    }
    if (path.starts_with("/m2m/connection")) {
        return Endpoint::Connection;
    }
    return Endpoint::Mid;
}

bool FakeNetwork::accepts(Endpoint endpoint, const std::string& identity) const {
    switch (endpoint) {
        case Endpoint::Msbf:
            return kbsKnown && identity == provisioning::kbsIdentity(node_);
        case Endpoint::Connection:
            return kmrIndex && identity == provisioning::kmrIdentity(node_, *kmrIndex);
        case Endpoint::Mid:
            return kmcIndex && identity == provisioning::kmcIdentity(node_, *kmcIndex) &&
                   kmcExpiry > clock_.now();
    }
    return false;
}

tls::HttpResponse FakeNetwork::perform(const tls::HttpRequest& request, const tls::PskKey& key,
                                       tls::CardKeyOperations& card, tls::Export exportTo) {
    if (beforeRequest) {
        beforeRequest(request);
    }
    const Endpoint endpoint = endpointOf(request.url);
    ++counters_.requests;
    std::optional<Fault> fault;
    if (auto& queue = faults[endpoint]; !queue.empty()) {
        fault = queue.front();
        queue.pop_front();
    }
    if (fault && fault->error) {
        connected_.reset();
        std::rethrow_exception(fault->error);
    }
    if (!accepts(endpoint, key.identity)) {
        connected_.reset();
        throw tls::PskRejected("the server refused PSK identity " + key.identity);
    }
    tls::HttpResponse response;
    if (exportTo != tls::Export::None || connected_ != key.identity) {
        // A full handshake: the card computes the master secret (and the exporter).
        ++counters_.handshakes;
        const base::Bytes seed(32);
        card.computeMasterSecret(key.slot, seuicc::MasterSecretMode::Extended, seed);
        if (exportTo != tls::Export::None) {
            response.tls.exportKcv = card.deriveExportedKey(exportTo == tls::Export::Bootstrap
                                                                ? seuicc::ExportTarget::Kmr
                                                                : seuicc::ExportTarget::Kmc,
                                                            seed, seed);
        }
        response.tls.newHandshake = true;
    }
    connected_ = key.identity;
    tls::HttpResponse answered =
        fault ? xml(fault->status, fault->body) : answer(endpoint, request);
    answered.tls = response.tls;
    log.push_back(request.method + " " + pathOf(request.url) + " " +
                  std::to_string(answered.status));
    if (auto& lost = answersLost[endpoint]; lost > 0) {
        --lost;
        connected_.reset();
        throw tls::TransferFailed("connection reset by peer (the answer was lost)");
    }
    return answered;
}

tls::HttpResponse FakeNetwork::answer(Endpoint endpoint, const tls::HttpRequest& request) {
    const Clock::time_point now = clock_.now();
    switch (endpoint) {
        case Endpoint::Msbf: {
            provisioning::BootstrapParamSet p;
            p.nodeId = node_;
            p.kmrIndex = kmrIndex.value_or(0) + 1;
            p.kmrExpiry = now + kmrLifetime;
            p.masFqdn = "mas.test";
            p.sclId = sclId_;
            p.nsclList = {"https://nscl.test:3/m2m"};
            kmrIndex = p.kmrIndex;
            return xml(200, provisioning::toXml(p));
        }
        case Endpoint::Connection: {
            provisioning::ConnectionParamSet p;
            p.connectionId = 1000 + kmcIndex.value_or(0);
            p.kmcIndex = kmcIndex.value_or(0) + 1;
            p.kmcExpiry = now + kmcLifetime;
            p.sclId = sclId_;
            p.midFlags = "tls";
            kmcIndex = p.kmcIndex;
            kmcExpiry = p.kmcExpiry;
            return xml(200, provisioning::toXml(p));
        }
        case Endpoint::Mid:
            return mid(request, pathOf(request.url));
    }
    return xml(500, "");
}

tls::HttpResponse FakeNetwork::mid(const tls::HttpRequest& request, const std::string& path) {
    const Clock::time_point now = clock_.now();
    const bool registered = registrationExpires && *registrationExpires > now;
    const std::string scl = "/m2m/scls/1";
    if (policy && request.method == "POST" && path == "/m2m/integrity/challenge") {
        nonce_ = base::Bytes(32, static_cast<std::uint8_t>(reports.size() + 1));
        return xml(201,
                   agent::toXml(agent::IntegrityChallenge{nonce_, now + std::chrono::minutes(2)}));
    }
    if (request.method == "POST" && path == "/m2m/scls") {
        registrationExpires = now + registrationLifetime;
        agent::SclRegistration r = agent::parseSclRegistration(request.body);
        r.expirationTime = *registrationExpires;
        decide(r);
        return xml(201, agent::toXml(r), scl);
    }
    if (!registered) {
        return xml(403, "");
    }
    if (request.method == "PUT" && path == scl) {
        registrationExpires = now + registrationLifetime;
        agent::SclRegistration r = agent::parseSclRegistration(request.body);
        r.expirationTime = *registrationExpires;
        decide(r);
        return xml(200, agent::toXml(r));
    }
    if (request.method == "POST" && path.ends_with("/applications")) {
        return xml(201, "", path + "/" + agent::parseApplication(request.body).appId);
    }
    if (request.method == "POST" && path.ends_with("/containers")) {
        return xml(201, "", path + "/" + agent::parseContainer(request.body).id);
    }
    if (request.method == "POST" && path.ends_with("/contentInstances")) {
        agent::ContentInstance instance = agent::parseContentInstance(request.body);
        // The issuer's id names it, as at the lab network: the same id again is a conflict.
        if (!instance.id.empty() &&
            std::any_of(stored.begin(), stored.end(),
                        [&](const agent::ContentInstance& i) { return i.id == instance.id; })) {
            return xml(409, "");
        }
        if (instance.id.empty()) {
            instance.id = "ci" + std::to_string(stored.size() + 1);
        }
        instance.creationTime = now;
        stored.push_back(instance);
        return xml(201, agent::toXml(instance), path + "/" + instance.id);
    }
    return xml(404, "");
}

void FakeNetwork::decide(agent::SclRegistration& scl) {
    if (!scl.integrityValResults) {
        return;
    }
    if (!policy) {
        throw std::logic_error("FakeNetwork: a report, but no policy key to decide with");
    }
    const integrity::Report report =
        integrity::Report::decode(integrity::fromBase64Url(scl.integrityValResults->eat));
    integrity::DecisionClaims d;
    d.node = report.claims.ueid;
    d.nonce = report.claims.nonce;
    d.counter = report.claims.counter;
    d.verdict = integrity::Verdict::Full;
    const auto now = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
    d.iat = now;
    d.exp = now + 300;
    scl.integrityDecision = integrity::toBase64Url(
        integrity::CoseSign1::sign(*policy, d.encode(), policy->publicKey().keyId()).encode());
    scl.integrityValResults.reset();
    reports.push_back(report);
}

}  // namespace agenttest
