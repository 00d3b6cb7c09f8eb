// The gateway's dIa endpoints, device state and relay (agent/GATEWAY.md §1-§3); the appraisal of a
// device's report is in device_appraisal.cpp.
#include "agent/gateway.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>
#include <mutex>

#include "base/log.hpp"
#include "base/statistics.hpp"
#include "base/text.hpp"
#include "device_appraisal.hpp"
#include "integrity/appraisal.hpp"
#include "provisioning/procedure.hpp"
#include "provisioning/psk_identity.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/tls/card_keys.hpp"
#include "securechannel/tls/server/http_rules.hpp"
#include "securechannel/tls/server/psk_server.hpp"

namespace agent {

namespace {

namespace server = securechannel::tls::server;
namespace http = securechannel::tls::server::http;
using Clock = std::chrono::system_clock;
using integrity::Verdict;

constexpr std::size_t kNonceBytes = 32;
constexpr std::chrono::seconds kChallengeLifetime{120};
constexpr std::size_t kWaitSamples = 128;

std::optional<std::uint64_t> parseNumber(const std::string& text) {
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || v == 0 || text[0] == '0') {
        return std::nullopt;
    }
    return v;
}

void setXml(httplib::Response& response, int status, std::string body) {
    response.status = status;
    response.body = std::move(body);
    response.set_header("Content-Type", "application/xml");
}

Verdict verdictOf(const std::string& name) {
    return integrity::verdictFromString(name);
}

struct Device {
    provisioning::DeviceRecord record;
    std::string nodeHex;
    std::optional<integrity::PublicKey> attestationKey;
    // The Kmc this gateway issued last (memory only: a restart makes the device connect again).
    base::SecretBuffer kmc;
    std::uint32_t kmcIndex = 0;
    Clock::time_point kmcExpiry{};
    std::optional<std::uint32_t> lastCounter;
    std::optional<Clock::time_point> lastReportTime;
    std::optional<Verdict> verdict;
    std::vector<std::string> allowed;
    // What the NSCL was last told about this device (the gateway's report's submods).
    std::optional<std::pair<Verdict, std::vector<std::string>>> reported;
    // The registration: the gateway's number, the NSCL's resource, the device's link.
    std::optional<std::uint64_t> number;
    std::string nsclPath;
    std::string link;
    Clock::time_point registrationExpiry{};
    std::uint64_t relayed = 0, bytesUp = 0, bytesDown = 0, refused = 0;
    std::string lastError;
};

struct Challenge {
    std::size_t device;
    Clock::time_point expires;
    bool used = false;
};

}  // namespace

struct Gateway::Impl {
    GatewayConfig config;
    integrity::PrivateKey policyKey;
    GatewayUplink& uplink;
    SecureClock now;
    std::chrono::seconds timeTolerance;

    mutable std::mutex mutex;  // everything below
    std::vector<Device> devices;
    std::map<std::string, std::size_t> byNode;  // hex -> index
    std::map<base::Bytes, Challenge> challenges;
    std::uint32_t nextKmcIndex = 1;
    std::uint64_t nextConnectionId = 1;
    std::uint64_t nextNumber = 1;
    std::size_t relayQueue = 0;
    std::deque<double> waits;
    // One registration or refresh at a time: the gateway's report to the NSCL lists every device's
    // verdict, so two of them must not overtake each other.
    std::mutex registrationMutex;

    std::unique_ptr<server::PskServer> connectionServer;
    std::unique_ptr<server::PskServer> midServer;

    Impl(GatewayConfig c, std::vector<provisioning::DeviceRecord> records,
         integrity::PrivateKey key, GatewayUplink& u, SecureClock clock,
         std::chrono::seconds tolerance)
        : config(std::move(c)),
          policyKey(std::move(key)),
          uplink(u),
          now(std::move(clock)),
          timeTolerance(tolerance) {
        for (provisioning::DeviceRecord& r : records) {
            Device d;
            d.nodeHex = base::toLowerHex(r.nodeId);
            if (r.ivAttestationPublicKey) {
                d.attestationKey = integrity::PublicKey::fromPem(*r.ivAttestationPublicKey);
            }
            d.record = std::move(r);
            byNode[d.nodeHex] = devices.size();
            devices.push_back(std::move(d));
        }
    }

    std::optional<std::size_t> deviceOf(const std::string& nodeHex) const {
        const auto it = byNode.find(nodeHex);
        return it == byNode.end() ? std::nullopt : std::optional(it->second);
    }

    // The device an identity names, when `kmc` is its current key (mId) or `kmr` (connection).
    std::optional<server::PskKey> lookup(const std::string& identity, bool mid) {
        const auto parsed = provisioning::parsePskIdentity(identity);
        if (!parsed || !parsed->index) {
            return std::nullopt;
        }
        const std::lock_guard lock(mutex);
        const auto i = deviceOf(base::toLowerHex(parsed->nodeId));
        if (!i) {
            return std::nullopt;
        }
        const Device& d = devices[*i];
        if (mid) {
            if (d.kmc.empty() || d.kmcIndex != *parsed->index || d.kmcExpiry <= now()) {
                return std::nullopt;
            }
            return server::PskKey{d.nodeHex, base::SecretBuffer::copyOf(d.kmc.view())};
        }
        if (d.record.kmrIndex != *parsed->index || d.record.kmrExpiry <= now()) {
            return std::nullopt;
        }
        return server::PskKey{d.nodeHex, base::SecretBuffer::copyOf(d.record.kmr.view())};
    }

    std::unique_ptr<server::PskServer> listen(std::uint16_t port, bool mid) {
        server::PskServerConfig c;
        c.host = config.listen;
        c.port = port;
        c.lookup = [this, mid](const std::string& identity, std::uint16_t) {
            return lookup(identity, mid);
        };
        c.handler = [this, mid](const httplib::Request& request, httplib::Response& response,
                                server::PskConnection& connection) {
            try {
                if (mid) {
                    serveMid(request, response, connection);
                } else {
                    serveConnection(request, response, connection);
                }
            } catch (const std::exception& e) {
                base::log::kAgent->error("gateway: {} {}: {}", request.method,
                                         base::printable(request.path), e.what());
                http::setError(response, 500, "internal error");
            }
        };
        const char* name = mid ? "dIa mId" : "dIa connection";
        c.events.handshakeFailed = [name](const server::PskConnection& connection,
                                          const std::string& reason) {
            base::log::kAgent->info(
                "gateway {}: handshake failed, identity {}: {}", name,
                connection.identity().empty() ? "-" : base::printable(connection.identity()),
                reason);
        };
        c.events.answering = [name](const httplib::Request& request,
                                    const httplib::Response& response,
                                    const server::PskConnection& connection) {
            base::log::kAgent->info(
                "gateway {} {} {} {} device={}{}", name, base::printable(request.method),
                base::printable(request.path), response.status, connection.owner(),
                connection.note().empty() ? "" : " (" + connection.note() + ")");
        };
        return std::make_unique<server::PskServer>(std::move(c));
    }

    // POST /m2m/connection (security profile §5.1): the device's new Kmc is this session's
    // exporter, on both sides.
    void serveConnection(const httplib::Request& request, httplib::Response& response,
                         server::PskConnection& connection) {
        if (request.path != "/m2m/connection") {
            return http::setError(response, 404, "no such resource");
        }
        if (request.method != "POST") {
            return http::setNotAllowed(response, "POST");
        }
        base::SecretBuffer kmc = connection.exportKey(securechannel::tls::kConnectionExporterLabel);
        provisioning::ConnectionParamSet params;
        {
            const std::lock_guard lock(mutex);
            const auto i = deviceOf(connection.owner());
            if (!i) {
                return http::setError(response, 403, "unknown device");
            }
            Device& d = devices[*i];
            d.kmc = std::move(kmc);
            d.kmcIndex = nextKmcIndex++;
            d.kmcExpiry = now() + config.deviceKmcLifetime;
            params.connectionId = nextConnectionId++;
            params.kmcIndex = d.kmcIndex;
            params.kmcExpiry = std::chrono::time_point_cast<std::chrono::seconds>(d.kmcExpiry);
            params.sclId = d.record.sclId;
            params.midFlags = "tls";
        }
        setXml(response, 200, provisioning::toXml(params));
    }

    void serveMid(const httplib::Request& request, httplib::Response& response,
                  server::PskConnection& connection) {
        // A kept-alive connection under a Kmc since replaced or expired: end it, as a new one
        // would be refused in its handshake.
        if (!lookup(connection.identity(), true)) {
            connection.setNote("key no longer valid: closed");
            connection.closeUnanswered();
            return;
        }
        const std::size_t device = [&] {
            const std::lock_guard lock(mutex);
            return *deviceOf(connection.owner());
        }();
        const std::vector<std::string> s = http::pathSegments(request.path);
        if (s.size() == 2 && s[0] == "m2m" && s[1] == "time") {
            // The gateway's secure time for its devices (GATEWAY.md §4): what it learnt from the
            // NSCL, over the device's own TLS-PSK link.
            return request.method == "GET" ? setXml(response, 200, toXml(TimeResource{now()}))
                                           : http::setNotAllowed(response, "GET");
        }
        if (s.size() == 3 && s[0] == "m2m" && s[1] == "integrity" && s[2] == "challenge") {
            return request.method == "POST" ? issueChallenge(response, device)
                                            : http::setNotAllowed(response, "POST");
        }
        if (s.size() < 2 || s[0] != "m2m" || s[1] != "scls") {
            return http::setError(response, 404, "no such resource");
        }
        if (s.size() == 2) {
            return request.method == "POST" ? registration(request, response, device, {})
                                            : http::setNotAllowed(response, "POST");
        }
        const auto number = parseNumber(s[2]);
        if (const auto refusal = registrationRefusal(device, number)) {
            return http::setError(response, refusal->first, refusal->second);
        }
        if (s.size() == 3) {
            if (request.method == "PUT") {
                return registration(request, response, device, number);
            }
            if (request.method == "GET") {
                return answerScl(response, device, 200, {});
            }
            return http::setNotAllowed(response, "GET, PUT");
        }
        relay(request, response, device, *number, s);
    }

    void issueChallenge(httplib::Response& response, std::size_t device) {
        IntegrityChallenge challenge;
        challenge.nonce.resize(kNonceBytes);
        if (RAND_bytes(challenge.nonce.data(), static_cast<int>(kNonceBytes)) != 1) {
            throw std::runtime_error("no random bytes for a nonce");
        }
        const Clock::time_point t = now();
        challenge.expirationTime =
            std::chrono::time_point_cast<std::chrono::seconds>(t + kChallengeLifetime);
        {
            const std::lock_guard lock(mutex);
            std::erase_if(challenges, [&](const auto& c) { return c.second.expires < t; });
            challenges[challenge.nonce] = {device, challenge.expirationTime};
        }
        setXml(response, 201, toXml(challenge));
    }

    // Why a request for registration `number` is refused (status, reason), nullopt if it is the
    // device's own and alive.
    std::optional<std::pair<int, std::string>> registrationRefusal(
        std::size_t device, std::optional<std::uint64_t> number) {
        const std::lock_guard lock(mutex);
        if (!number) {
            return std::pair(404, "no such SCL");
        }
        const auto owner = std::find_if(devices.begin(), devices.end(),
                                        [&](const Device& d) { return d.number == number; });
        if (owner == devices.end()) {
            return std::pair(404, "no such SCL");
        }
        if (static_cast<std::size_t>(owner - devices.begin()) != device) {
            return std::pair(403, "not this device's SCL");
        }
        if (owner->registrationExpiry <= now()) {
            return std::pair(403, "registration expired: register again");
        }
        return std::nullopt;
    }

    void answerScl(httplib::Response& response, std::size_t device, int status,
                   std::optional<std::string> decision) {
        SclRegistration scl;
        std::uint64_t number = 0;
        {
            const std::lock_guard lock(mutex);
            const Device& d = devices[device];
            scl.sclId = d.record.sclId;
            scl.link = d.link;
            scl.expirationTime =
                std::chrono::time_point_cast<std::chrono::seconds>(d.registrationExpiry);
            number = *d.number;
        }
        scl.integrityDecision = std::move(decision);
        setXml(response, status, toXml(scl));
        response.set_header("Location", "/m2m/scls/" + std::to_string(number));
    }

    std::vector<DeviceVerdict> submods() const {
        std::vector<DeviceVerdict> out;
        for (const Device& d : devices) {
            if (!d.reported && (!d.verdict || *d.verdict == Verdict::Deny)) {
                continue;  // never reported and not admitted: the NSCL needs not know it
            }
            DeviceVerdict v;
            v.nodeIdHex = d.nodeHex;
            v.ueid = integrity::ueidOf(d.record.nodeId);
            if (d.attestationKey && d.lastCounter) {
                v.counter = *d.lastCounter;
            }
            v.verdict = std::string(integrity::toString(d.verdict.value_or(Verdict::Deny)));
            if (d.verdict == Verdict::Partial) {
                v.allowed = d.allowed;
            }
            v.attested = d.attestationKey.has_value();
            out.push_back(std::move(v));
        }
        return out;
    }

    void uplinkFailed(httplib::Response& response, std::size_t device, int status,
                      const std::string& reason) {
        {
            const std::lock_guard lock(mutex);
            devices[device].lastError = reason;
        }
        http::setError(response, status, reason);
    }

    // POST /m2m/scls (`number` empty) or PUT /m2m/scls/{number}: appraisal, verdict, the
    // gateway's report when the verdict changed, the registration at the NSCL, the answer.
    void registration(const httplib::Request& request, httplib::Response& response,
                      std::size_t device, std::optional<std::uint64_t> number) {
        const std::lock_guard serial(registrationMutex);
        SclRegistration scl;
        try {
            scl = parseSclRegistration(request.body);
        } catch (const ParamSetError& e) {
            return http::setError(response, 400, std::string("malformed m2m:scl: ") + e.what());
        }
        DeviceView view;
        {
            const std::lock_guard lock(mutex);
            const Device& d = devices[device];
            if (scl.sclId != d.record.sclId) {
                return http::setError(response, 403, "sclId is not this device's SCL");
            }
            view = {d.nodeHex, d.record.nodeId, d.attestationKey, d.lastCounter};
        }
        AppraisalPolicy policy{config.onFail, config.allowed, config.unattested,
                               config.deviceRegistrationLifetime, timeTolerance};
        DeviceAppraisal appraisal;
        try {
            appraisal = appraiseDevice(
                view, scl.integrityValResults, policy, policyKey, now(),
                [this, device](const base::Bytes& nonce) { return takeNonce(device, nonce); });
        } catch (const DeviceReportRefused& e) {
            const std::lock_guard lock(mutex);
            devices[device].lastError = e.what();
            return http::setError(response, e.status(),
                                  std::string("integrity report refused: ") + e.what());
        }
        std::optional<std::vector<DeviceVerdict>> report;
        {
            const std::lock_guard lock(mutex);
            Device& d = devices[device];
            d.verdict = appraisal.verdict;
            d.allowed = appraisal.allowed;
            if (appraisal.counter) {
                d.lastCounter = appraisal.counter;
                d.lastReportTime = now();
            }
            d.link = scl.link;
            const std::pair current(appraisal.verdict, appraisal.allowed);
            if (d.reported != current && (d.reported || appraisal.verdict != Verdict::Deny)) {
                report = submods();
            }
            base::log::kAgent->info("gateway: device {} appraised {}{}", d.nodeHex,
                                    integrity::toString(appraisal.verdict),
                                    appraisal.counter
                                        ? ", report " + std::to_string(*appraisal.counter)
                                        : std::string(", unattested"));
        }
        if (report) {
            try {
                uplink.reportDevices(*report, config.relayTimeout);
                const std::lock_guard lock(mutex);
                for (const DeviceVerdict& v : *report) {
                    Device& d = devices[*deviceOf(v.nodeIdHex)];
                    d.reported = std::pair(verdictOf(v.verdict), v.allowed);
                }
            } catch (const UplinkUnavailable& e) {
                if (appraisal.verdict != Verdict::Deny) {
                    return uplinkFailed(response, device, e.timedOut() ? 504 : 502,
                                        std::string("gateway report to the NSCL: ") + e.what());
                }
                const std::lock_guard lock(mutex);
                devices[device].lastError = e.what();
            }
        }
        if (appraisal.verdict == Verdict::Deny) {
            {
                // The NSCL ends a registration its gateway's report denies: a later passing
                // report registers the device there again.
                const std::lock_guard lock(mutex);
                devices[device].nsclPath.clear();
            }
            if (appraisal.decision) {
                return setXml(response, 403, integrityDecisionXml(*appraisal.decision));
            }
            return http::setError(response, 403, "unattested device: the gateway's policy is deny");
        }
        std::string nsclPath;
        {
            const std::lock_guard lock(mutex);
            nsclPath = devices[device].nsclPath;
        }
        if (!nsclPath.empty()) {
            // The NSCL's registration of the device lives as long as the gateway keeps it: each
            // refresh of the device refreshes it there (a PUT without a body, GATEWAY.md §3); one
            // the NSCL has ended meanwhile (it lapsed, a report dropped the device) is made anew.
            try {
                const RelayResponse refreshed =
                    uplink.relay({"PUT", nsclPath, "", ""}, config.relayTimeout);
                if (refreshed.status < 200 || refreshed.status > 299) {
                    base::log::kAgent->info(
                        "gateway: device {}: its NSCL registration is gone ({}), registering again",
                        devices[device].nodeHex, refreshed.status);
                    nsclPath.clear();
                }
            } catch (const UplinkUnavailable& e) {
                return uplinkFailed(response, device, e.timedOut() ? 504 : 502,
                                    std::string("device refresh at the NSCL: ") + e.what());
            }
        }
        if (nsclPath.empty()) {
            SclRegistration upstream;
            upstream.sclId = scl.sclId;
            upstream.link = scl.link;
            try {
                nsclPath = uplink.registerDevice(upstream, config.relayTimeout);
            } catch (const UplinkUnavailable& e) {
                return uplinkFailed(response, device, e.timedOut() ? 504 : 502,
                                    std::string("device registration at the NSCL: ") + e.what());
            } catch (const provisioning::RequestRefused& e) {
                return uplinkFailed(
                    response, device, 502,
                    std::string("the NSCL refused the device's registration: ") + e.what());
            }
        }
        {
            const std::lock_guard lock(mutex);
            Device& d = devices[device];
            d.nsclPath = nsclPath;
            if (!d.number) {
                d.number = nextNumber++;
            }
            d.registrationExpiry = now() + config.deviceRegistrationLifetime;
            d.lastError.clear();
        }
        answerScl(response, device, number ? 200 : 201, appraisal.decision);
    }

    // The nonce's challenge, taken (one use): DeviceReportRefused unless issued to `device`,
    // unused and unexpired.
    void takeNonce(std::size_t device, const base::Bytes& nonce) {
        const std::lock_guard lock(mutex);
        const auto it = challenges.find(nonce);
        if (it == challenges.end()) {
            throw DeviceReportRefused(403, "unknown nonce (POST /m2m/integrity/challenge first)");
        }
        if (it->second.device != device) {
            throw DeviceReportRefused(403, "nonce was issued to another device");
        }
        if (it->second.used) {
            throw DeviceReportRefused(403, "nonce already used (replayed report)");
        }
        if (it->second.expires < now()) {
            throw DeviceReportRefused(403, "nonce expired");
        }
        it->second.used = true;
    }

    // Why the device's verdict refuses a request below its SCL; nullopt when it may pass.
    std::optional<std::string> verdictRefusal(const Device& d, const std::vector<std::string>& s) {
        if (!d.verdict || *d.verdict == Verdict::Deny) {
            return std::string("integrity verdict deny: register again with a passing report");
        }
        if (*d.verdict == Verdict::Full) {
            return std::nullopt;
        }
        std::string relative;
        for (std::size_t i = 3; i < s.size(); ++i) {
            relative += (i == 3 ? "" : "/") + s[i];
        }
        for (const std::string& allowed : d.allowed) {
            if (relative == allowed || relative.starts_with(allowed + "/")) {
                return std::nullopt;
            }
        }
        std::string list;
        for (const std::string& a : d.allowed) {
            list += (list.empty() ? "" : ", ") + a;
        }
        return "integrity verdict partial: only " + (list.empty() ? "none" : list) + " allowed";
    }

    void relay(const httplib::Request& request, httplib::Response& response, std::size_t device,
               std::uint64_t number, const std::vector<std::string>& s) {
        RelayRequest out;
        {
            const std::lock_guard lock(mutex);
            Device& d = devices[device];
            if (const auto refusal = verdictRefusal(d, s)) {
                ++d.refused;
                return http::setError(response, 403, *refusal);
            }
            if (d.nsclPath.empty()) {
                return http::setError(response, 403, "not registered at the NSCL: register again");
            }
            out.nsclPath = d.nsclPath + request.path.substr(("/m2m/scls/" + s[2]).size());
            ++relayQueue;
        }
        out.method = request.method;
        out.contentType = request.get_header_value("Content-Type");
        out.body = request.body;
        const auto started = std::chrono::steady_clock::now();
        std::optional<RelayResponse> answer;
        std::string failure;
        int failureStatus = 502;
        try {
            answer = uplink.relay(out, config.relayTimeout);
        } catch (const UplinkUnavailable& e) {
            failure = e.what();
            failureStatus = e.timedOut() ? 504 : 502;
        }
        const double waited =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
        std::string nsclPath;
        {
            const std::lock_guard lock(mutex);
            --relayQueue;
            waits.push_back(waited);
            if (waits.size() > kWaitSamples) {
                waits.pop_front();
            }
            Device& d = devices[device];
            nsclPath = d.nsclPath;
            if (answer) {
                ++d.relayed;
                d.bytesUp += out.body.size();
                d.bytesDown += answer->body.size();
            } else {
                d.lastError = failure;
            }
        }
        if (!answer) {
            return http::setError(response, failureStatus, "relay to the NSCL: " + failure);
        }
        response.status = static_cast<int>(answer->status);
        response.body = std::move(answer->body);
        if (!answer->contentType.empty()) {
            response.set_header("Content-Type", answer->contentType);
        }
        // The NSCL's resource below the device's registration, onto the gateway's numbering.
        const std::string& location = answer->location;
        if (!location.empty() && (location == nsclPath || location.starts_with(nsclPath + "/"))) {
            response.set_header("Location", "/m2m/scls/" + std::to_string(number) +
                                                location.substr(nsclPath.size()));
        }
    }

    GatewayStatus status() const {
        GatewayStatus s;
        s.connectionPort = connectionServer ? connectionServer->port() : 0;
        s.midPort = midServer ? midServer->port() : 0;
        const std::lock_guard lock(mutex);
        const Clock::time_point t = now();
        for (const Device& d : devices) {
            GatewayDeviceStatus x;
            x.nodeId = d.nodeHex;
            x.sclId = d.record.sclId;
            x.software = d.record.software;
            x.attested = d.attestationKey.has_value();
            x.verdict = d.verdict ? std::string(integrity::toString(*d.verdict)) : "";
            x.allowed = d.verdict == Verdict::Partial ? d.allowed : std::vector<std::string>{};
            x.lastReportCounter = d.lastCounter;
            x.lastReportTime = d.lastReportTime;
            x.registered = !d.nsclPath.empty() && d.registrationExpiry > t &&
                           d.verdict.value_or(Verdict::Deny) != Verdict::Deny;
            x.relayedRequests = d.relayed;
            x.bytesUp = d.bytesUp;
            x.bytesDown = d.bytesDown;
            x.refused = d.refused;
            x.lastError = d.lastError;
            if (!d.kmc.empty()) {
                x.kmcKcv = base::toHex(securechannel::keyCheckValue(d.kmc.view()));
            }
            s.devices.push_back(std::move(x));
        }
        s.relay.queueLength = relayQueue;
        const std::vector<double> samples(waits.begin(), waits.end());
        s.relay.medianWaitMs = base::percentile(samples, 0.5);
        s.relay.p90WaitMs = base::percentile(samples, 0.9);
        return s;
    }
};

Gateway::Gateway(GatewayConfig config, std::vector<provisioning::DeviceRecord> devices,
                 integrity::PrivateKey policyKey, GatewayUplink& uplink, SecureClock now,
                 std::chrono::seconds timeTolerance)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(devices), std::move(policyKey),
                                   uplink, std::move(now), timeTolerance)) {}

std::unique_ptr<Gateway> Gateway::load(const GatewayConfig& config, GatewayUplink& uplink,
                                       SecureClock now, std::chrono::seconds timeTolerance) {
    return std::make_unique<Gateway>(config, provisioning::readDeviceRecords(config.devicesFile),
                                     integrity::PrivateKey::fromPemFile(config.policyKeyFile),
                                     uplink, std::move(now), timeTolerance);
}

Gateway::~Gateway() {
    stop();
}

void Gateway::start() {
    impl_->connectionServer = impl_->listen(impl_->config.connectionPort, false);
    impl_->midServer = impl_->listen(impl_->config.midPort, true);
    base::log::kAgent->info("gateway: dIa connection on {}:{}, dIa mId on {}:{}, {} device(s)",
                            impl_->config.listen, impl_->connectionServer->port(),
                            impl_->config.listen, impl_->midServer->port(), impl_->devices.size());
}

void Gateway::stop() {
    if (impl_->midServer) {
        impl_->midServer->stop();
    }
    if (impl_->connectionServer) {
        impl_->connectionServer->stop();
    }
}

std::uint16_t Gateway::connectionPort() const {
    return impl_->connectionServer ? impl_->connectionServer->port() : 0;
}

std::uint16_t Gateway::midPort() const {
    return impl_->midServer ? impl_->midServer->port() : 0;
}

GatewayStatus Gateway::status() const {
    return impl_->status();
}

}  // namespace agent
