// NSCL mId resources under Kmc (security-profile §5.3, §6; paths in agent/mid_resources.hpp):
// the SCL registration and the applications, containers and contentInstances below it. A node
// reaches only its own SCL, and only while the registration lasts. With integrity validation
// (nscl_integrity.hpp) the registration and its refresh carry a report, and the verdict decides
// what else the node reaches.
#include <charconv>
#include <vector>

#include "agent/mid_resources.hpp"
#include "endpoints.hpp"
#include "nscl_gateway.hpp"
#include "nscl_integrity.hpp"
#include "server_names.hpp"

namespace netsim {

namespace {

using httplib::Request;
using httplib::Response;

std::optional<std::int64_t> parseId(const std::string& text) {
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || v <= 0 || text[0] == '0') {
        return std::nullopt;
    }
    return v;
}

void setCreated(Response& response, const std::string& location, std::string body, bool isNew) {
    setXml(response, isNew ? 201 : 200, std::move(body));
    response.set_header("Location", location);
}

agent::SclRegistration sclOf(const Registration& r, const EndpointContext& context) {
    agent::SclRegistration scl;
    scl.sclId = r.sclId;
    scl.link = r.link;
    scl.expirationTime = statedTime(context, r.expires);
    return scl;
}

agent::ContentInstance instanceOf(const StoredInstance& s, const EndpointContext& context) {
    agent::ContentInstance c;
    c.id = s.name.empty() ? std::to_string(s.id) : s.name;
    c.contentType = s.contentType;
    c.content = s.content;
    c.creationTime = statedTime(context, s.created);
    return c;
}

// The appraisal of the report a registration or refresh carries, when the node reports (it has an
// attestation key) or must: nullopt when integrity is not checked for it; 403 (with the signed
// decision on a deny) and no registration when it does not pass.
struct Appraised {
    std::optional<AppraisalResult> result;
    bool refused = false;
};

Appraised appraise(const std::optional<agent::IntegrityValResults>& report, Response& response,
                   const std::string& nodeId, EndpointContext& context) {
    if (!integrityRequired(context, nodeId)) {
        return {};  // a node that neither reports nor must: registers as without integrity
    }
    if (!report) {
        http::setError(response, 403,
                       "integrity report required (POST /m2m/integrity/challenge, then send "
                       "integrityValResults)");
        return {std::nullopt, true};
    }
    try {
        AppraisalResult result = appraiseReport(context, nodeId, *report);
        if (result.verdict == integrity::Verdict::Deny) {
            context.store.endRegistration(nodeId);
            setXml(response, 403, agent::integrityDecisionXml(result.decision));
            return {std::move(result), true};
        }
        return {std::move(result), false};
    } catch (const ReportRefused& e) {
        http::setError(response, e.status(), std::string("integrity report refused: ") + e.what());
        return {std::nullopt, true};
    }
}

void registerScl(const Request& request, Response& response, const std::string& nodeId,
                 EndpointContext& context) {
    const agent::SclRegistration scl = agent::parseSclRegistration(request.body);
    const auto node = context.store.node(nodeId);
    if (!node) {
        return http::setError(response, 403, "sclId is not this node's SCL");
    }
    if (scl.sclId != node->sclId) {
        if (const auto r = registerThroughGateway(response, nodeId, scl, context)) {
            setCreated(response, "/m2m/scls/" + std::to_string(r->id),
                       agent::toXml(sclOf(*r, context)), true);
        }
        return;
    }
    const Appraised appraised = appraise(scl.integrityValResults, response, nodeId, context);
    if (appraised.refused) {
        return;
    }
    const Registration r =
        context.store.registerScl(nodeId, scl.sclId, scl.link, context.lifetimes.registration);
    agent::SclRegistration answer = sclOf(r, context);
    if (appraised.result) {
        answer.integrityDecision = appraised.result->decision;
    }
    setCreated(response, "/m2m/scls/" + std::to_string(r.id), agent::toXml(answer), true);
}

}  // namespace

void routeMid(const Request& request, Response& response, const PskConnection& connection,
              EndpointContext& context) {
    const std::vector<std::string> s = http::pathSegments(request.path);
    const std::string& nodeId = connection.owner();
    if (s.size() == 2 && s[0] == "m2m" && s[1] == "time") {
        // Secure time (agent/GATEWAY.md §4): any node with a valid Kmc, i.e. this session.
        return request.method == "GET"
                   ? setXml(response, 200,
                            agent::toXml(agent::TimeResource{statedTime(context, nowSeconds())}))
                   : http::setNotAllowed(response, "GET");
    }
    if (s.size() >= 2 && s[0] == "m2m" && s[1] == "integrity") {
        return routeIntegrity(request, response, nodeId, context, s);
    }
    if (s.size() < 2 || s[0] != "m2m" || s[1] != "scls") {
        return http::setError(response, 404, "no such resource");
    }
    try {
        if (s.size() == 2) {
            return request.method == "POST" ? registerScl(request, response, nodeId, context)
                                            : http::setNotAllowed(response, "POST");
        }
        const auto sclNumber = parseId(s[2]);
        const auto registration = sclNumber ? context.store.registration(*sclNumber) : std::nullopt;
        if (!registration) {
            return http::setError(response, 404, "no such SCL");
        }
        // A device behind a gateway (nscl_gateway.hpp) is reached through that gateway only, as
        // far as the gateway's last report lets it; a node reaches its own SCL.
        const bool behindGateway = !registration->via.empty();
        if (!behindGateway && registration->nodeId != nodeId) {
            return http::setError(response, 403, "not this node's SCL");
        }
        if (behindGateway && registration->via != nodeId) {
            return http::setError(response, 403,
                                  "not this node's SCL: a device's, reached through its gateway");
        }
        if (registration->expires <= nowSeconds()) {
            return http::setError(response, 403, "registration expired: register again");
        }
        const auto refusal = behindGateway ? deviceRefusal(context, *registration, s)
                                           : integrityRefusal(context, nodeId, s);
        if (refusal) {
            return http::setError(response, 403, *refusal);
        }
        const std::string sclPath = "/m2m/scls/" + s[2];
        if (s.size() == 3) {
            if (request.method == "GET") {
                return setXml(response, 200, agent::toXml(sclOf(*registration, context)));
            }
            if (request.method != "PUT") {
                return http::setNotAllowed(response, "GET, PUT");
            }
            std::string link;
            std::optional<agent::IntegrityValResults> report;
            if (!request.body.empty()) {
                agent::SclRegistration scl = agent::parseSclRegistration(request.body);
                if (scl.sclId != registration->sclId) {
                    return http::setError(response, 403, "sclId is not this node's SCL");
                }
                link = scl.link;
                report = std::move(scl.integrityValResults);
            }
            if (behindGateway) {
                // The gateway's report vouches for the device: nothing to appraise here.
                if (report) {
                    return http::setError(response, 400, kDeviceSendsNoReport);
                }
                const Registration r = context.store.refreshScl(registration->id, link,
                                                                context.lifetimes.registration);
                return setXml(response, 200, agent::toXml(sclOf(r, context)));
            }
            const Appraised appraised = appraise(report, response, nodeId, context);
            if (appraised.refused) {
                return;
            }
            const Registration r =
                context.store.refreshScl(registration->id, link, context.lifetimes.registration);
            agent::SclRegistration answer = sclOf(r, context);
            if (appraised.result) {
                answer.integrityDecision = appraised.result->decision;
            }
            return setXml(response, 200, agent::toXml(answer));
        }
        if (s[3] != "applications") {
            return http::setError(response, 404, "no such resource");
        }
        if (s.size() == 4) {
            if (request.method != "POST") {
                return http::setNotAllowed(response, "POST");
            }
            const agent::Application app = agent::parseApplication(request.body);
            const auto [id, isNew] = context.store.createApplication(registration->id, app.appId);
            static_cast<void>(id);
            return setCreated(response, sclPath + "/applications/" + app.appId, agent::toXml(app),
                              isNew);
        }
        const auto application = context.store.application(registration->id, s[4]);
        if (!application) {
            return http::setError(response, 404, "no such application");
        }
        const std::string appPath = sclPath + "/applications/" + s[4];
        if (s.size() == 5) {
            return request.method == "GET"
                       ? setXml(response, 200, agent::toXml(agent::Application{s[4]}))
                       : http::setNotAllowed(response, "GET");
        }
        if (s[5] != "containers") {
            return http::setError(response, 404, "no such resource");
        }
        if (s.size() == 6) {
            if (request.method != "POST") {
                return http::setNotAllowed(response, "POST");
            }
            const agent::Container c = agent::parseContainer(request.body);
            const auto [id, isNew] = context.store.createContainer(*application, c.id);
            static_cast<void>(id);
            return setCreated(response, appPath + "/containers/" + c.id, agent::toXml(c), isNew);
        }
        const auto container = context.store.container(*application, s[6]);
        if (!container) {
            return http::setError(response, 404, "no such container");
        }
        const std::string containerPath = appPath + "/containers/" + s[6];
        if (s.size() == 7) {
            return request.method == "GET"
                       ? setXml(response, 200, agent::toXml(agent::Container{s[6]}))
                       : http::setNotAllowed(response, "GET");
        }
        if (s[7] != "contentInstances" || s.size() != 8) {
            return http::setError(response, 404, "no such resource");
        }
        if (request.method == "GET") {
            std::vector<agent::ContentInstance> list;
            for (const StoredInstance& i : context.store.instances(*container)) {
                list.push_back(instanceOf(i, context));
            }
            return setXml(response, 200, agent::toXml(list));
        }
        if (request.method != "POST") {
            return http::setNotAllowed(response, "GET, POST");
        }
        const agent::ContentInstance posted = agent::parseContentInstance(request.body);
        // An id the issuer proposed names the instance: the same request sent again (its
        // answer lost, or re-sent by the client's HTTP stack on a new connection) is refused
        // as a conflict instead of being stored twice.
        const auto stored =
            context.store.addInstance(*container, posted.id, posted.contentType, posted.content);
        if (!stored) {
            return http::setError(response, 409, "contentInstance " + posted.id + " exists");
        }
        const agent::ContentInstance created = instanceOf(*stored, context);
        return setCreated(response, containerPath + "/contentInstances/" + created.id,
                          agent::toXml(created), true);
    } catch (const agent::ParamSetError& e) {
        return http::setError(response, 400, e.what());
    }
}

}  // namespace netsim
