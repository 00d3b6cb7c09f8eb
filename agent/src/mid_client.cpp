#include "agent/mid_client.hpp"

#include <stdexcept>

namespace agent {

namespace tls = securechannel::tls;

namespace {

std::string originOf(const std::string& uri) {
    const auto scheme = uri.find("://");
    if (scheme == std::string::npos) {
        throw std::invalid_argument("NSCL URI without a scheme: " + uri);
    }
    const auto path = uri.find('/', scheme + 3);
    return path == std::string::npos ? uri : uri.substr(0, path);
}

}  // namespace

MidClient::MidClient(tls::HttpsClient& client, std::string nsclUri)
    : client_(&client), nsclUri_(std::move(nsclUri)), origin_(originOf(nsclUri_)) {}

void MidClient::useKey(const tls::PskKey& kmc) {
    if (key_ && (key_->identity != kmc.identity || key_->slot != kmc.slot)) {
        client_->closeConnections();
    }
    key_ = kmc;
}

std::string MidClient::absolute(const std::string& location) const {
    if (location.empty()) {
        throw provisioning::ProtocolMismatch("mId: the NSCL created a resource without Location");
    }
    if (location.find("://") != std::string::npos) {
        return location;
    }
    return provisioning::joinUrl(origin_, location);
}

tls::HttpResponse MidClient::perform(tls::CardKeyOperations& card, const std::string& method,
                                     const std::string& url, std::string body,
                                     std::string contentType) {
    if (!key_) {
        throw std::logic_error("MidClient: no Kmc set (useKey)");
    }
    tls::HttpRequest request;
    request.method = method;
    request.url = url;
    request.body = std::move(body);
    if (!request.body.empty()) {
        request.contentType = std::move(contentType);
    }
    return client_->perform(request, *key_, card);
}

tls::HttpResponse MidClient::send(tls::CardKeyOperations& card, const std::string& method,
                                  const std::string& url, std::string body, std::string_view what) {
    tls::HttpResponse response = perform(card, method, url, std::move(body));
    provisioning::requireSuccess(response, what);
    return response;
}

std::string MidClient::nsclPath(std::string_view relative) const {
    const std::string base = nsclUri_.substr(origin_.size());
    return provisioning::joinUrl(base.empty() ? "/" : base, relative);
}

RelayResponse MidClient::exchange(tls::CardKeyOperations& card, const std::string& method,
                                  const std::string& path, const std::string& contentType,
                                  std::string body) {
    if (!path.starts_with('/') || path.starts_with("//")) {
        throw std::invalid_argument("mId: a relayed path must be absolute on the NSCL: " + path);
    }
    tls::HttpResponse response =
        perform(card, method, origin_ + path, std::move(body),
                contentType.empty() ? std::string("application/xml") : contentType);
    RelayResponse r;
    r.status = response.status;
    r.contentType = std::move(response.contentType);
    r.body = std::move(response.body);
    r.location = std::move(response.location);
    // The NSCL answers absolute paths; a full URL (its own origin, as it names itself) loses
    // the origin, so the gateway can put its own in front.
    if (const auto scheme = r.location.find("://"); scheme != std::string::npos) {
        const auto slash = r.location.find('/', scheme + 3);
        r.location = slash == std::string::npos ? "/" : r.location.substr(slash);
    }
    return r;
}

IntegrityChallenge MidClient::integrityChallenge(tls::CardKeyOperations& card) {
    const auto response =
        send(card, "POST", provisioning::joinUrl(nsclUri_, "/integrity/challenge"), "",
             "mId: integrity challenge");
    return parseIntegrityChallenge(response.body);
}

ReportedRegistration MidClient::reported(const tls::HttpResponse& response,
                                         const std::string& location, std::string_view what) {
    ReportedRegistration r;
    if (response.status == 403) {
        try {
            r.decision = parseIntegrityDecision(response.body);
        } catch (const ParamSetError&) {
            provisioning::requireSuccess(response, what);  // a 403 without a decision: refused
        }
        return r;
    }
    provisioning::requireSuccess(response, what);
    const SclRegistration scl = parseSclRegistration(response.body);
    r.decision = scl.integrityDecision;
    r.registration = Registration{location.empty() ? absolute(response.location) : location, scl};
    return r;
}

ReportedRegistration MidClient::registerSclReporting(tls::CardKeyOperations& card,
                                                     const SclRegistration& scl) {
    const auto response =
        perform(card, "POST", provisioning::joinUrl(nsclUri_, "/scls"), toXml(scl));
    return reported(response, "", "mId: SCL registration");
}

ReportedRegistration MidClient::refreshReporting(tls::CardKeyOperations& card,
                                                 const Registration& current) {
    const auto response = perform(card, "PUT", current.location, toXml(current.scl));
    return reported(response, current.location, "mId: registration refresh");
}

base::Bytes MidClient::fetchObject(tls::CardKeyOperations& card, const std::string& url) {
    // Kmc opens connections to the NSCL only: the object's path is fetched from the mId origin
    // in use (the NSCL may name itself by another port, as the lab's does behind a test port);
    // an order naming another host is not followed.
    std::string target = absolute(url);
    const auto scheme = target.find("://");
    const auto path = target.find('/', scheme + 3);
    const auto hostOf = [](std::string_view origin) {
        const auto start = origin.find("://") + 3;
        const auto end = origin.find_first_of(":/", start);
        return origin.substr(start, end == std::string_view::npos ? end : end - start);
    };
    if (path == std::string::npos ||
        hostOf(std::string_view(target).substr(0, path)) != hostOf(origin_)) {
        throw provisioning::ProtocolMismatch("mId: a remediation object outside the NSCL: " + url);
    }
    target = origin_ + target.substr(path);
    const auto response = send(card, "GET", target, "", "mId: integrity object");
    return base::Bytes(response.body.begin(), response.body.end());
}

Registration MidClient::registerScl(tls::CardKeyOperations& card, const SclRegistration& scl) {
    const auto response = send(card, "POST", provisioning::joinUrl(nsclUri_, "/scls"), toXml(scl),
                               "mId: SCL registration");
    return {absolute(response.location), parseSclRegistration(response.body)};
}

Registration MidClient::refresh(tls::CardKeyOperations& card, const Registration& current) {
    const auto response =
        send(card, "PUT", current.location, toXml(current.scl), "mId: registration refresh");
    return {current.location, parseSclRegistration(response.body)};
}

std::string MidClient::createApplication(tls::CardKeyOperations& card,
                                         const std::string& sclLocation,
                                         const Application& application) {
    const auto response = send(card, "POST", provisioning::joinUrl(sclLocation, "/applications"),
                               toXml(application), "mId: application");
    return absolute(response.location);
}

std::string MidClient::createContainer(tls::CardKeyOperations& card,
                                       const std::string& applicationLocation,
                                       const Container& container) {
    const auto response =
        send(card, "POST", provisioning::joinUrl(applicationLocation, "/containers"),
             toXml(container), "mId: container");
    return absolute(response.location);
}

ContentInstance MidClient::postContentInstance(tls::CardKeyOperations& card,
                                               const std::string& containerLocation,
                                               const ContentInstance& instance) {
    const auto response =
        send(card, "POST", provisioning::joinUrl(containerLocation, "/contentInstances"),
             toXml(instance), "mId: contentInstance");
    return parseContentInstance(response.body);
}

}  // namespace agent
