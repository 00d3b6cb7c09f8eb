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

tls::HttpResponse MidClient::send(tls::CardKeyOperations& card, const std::string& method,
                                  const std::string& url, std::string body, std::string_view what) {
    if (!key_) {
        throw std::logic_error("MidClient: no Kmc set (useKey)");
    }
    tls::HttpRequest request;
    request.method = method;
    request.url = url;
    request.body = std::move(body);
    request.contentType = "application/xml";
    tls::HttpResponse response = client_->perform(request, *key_, card);
    provisioning::requireSuccess(response, what);
    return response;
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
