// XML of the mId resources (security-profile.md §6). Element and attribute names follow the ETSI
// M2M XSDs (ids as m2m: attributes, content base64 in m2m:content); which of their many optional
// fields appear is this project's profile: the ones the agent and the lab network use.
#include "agent/mid_resources.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "base/base64.hpp"
#include "provisioning/m2m_xml.hpp"

namespace agent {

namespace {

namespace mx = provisioning::m2mxml;

constexpr const char* kScl = "m2m:scl";
constexpr const char* kApplication = "m2m:application";
constexpr const char* kContainer = "m2m:container";
constexpr const char* kInstance = "m2m:contentInstance";
constexpr const char* kInstances = "m2m:contentInstances";
constexpr const char* kChallenge = "m2m:integrityChallenge";
constexpr const char* kDecision = "m2m:integrityDecision";
constexpr const char* kTime = "m2m:time";

constexpr std::size_t kMaxIdLength = 64;

// Ids become path segments of resource URIs, so only characters that need no escaping there.
void checkId(const std::string& id, std::string_view field, std::string_view document) {
    const bool ok = !id.empty() && id.size() <= kMaxIdLength &&
                    std::all_of(id.begin(), id.end(),
                                [](char c) {
                                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                           (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                                           c == '.';
                                }) &&
                    id != "." && id != "..";
    if (!ok) {
        mx::fail(document, std::string(field) + " must be 1-64 of [A-Za-z0-9._-]");
    }
}

std::string requiredId(pugi::xml_node element, std::string_view field, std::string_view document) {
    const auto id = mx::optionalAttribute(element, field, document);
    if (!id) {
        mx::fail(document, "missing " + std::string(field));
    }
    checkId(*id, field, document);
    return *id;
}

// A non-negative xs:long (the integrity fields are a bitmap and a counter).
std::uint64_t xsLong(const std::string& text, std::string_view field) {
    const auto value = mx::parseUnsigned<std::uint64_t>(text, field, kScl);
    if (value > static_cast<std::uint64_t>(INT64_MAX)) {
        mx::fail(kScl, std::string(field) + " out of range");
    }
    return value;
}

// base64url without padding (RFC 4648 §5): the signed CBOR travels in it untouched.
void checkBase64Url(const std::string& text, std::string_view field, std::string_view document) {
    const bool ok =
        !text.empty() && text.size() % 4 != 1 && std::all_of(text.begin(), text.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_';
        });
    if (!ok) {
        mx::fail(document, std::string(field) + " is not base64url without padding");
    }
}

std::chrono::system_clock::time_point dateTime(const std::string& text, std::string_view field,
                                               std::string_view document) {
    try {
        return provisioning::parseDateTime(text);
    } catch (const ParamSetError&) {
        mx::fail(document, std::string(field) + " is not an xs:dateTime");
    }
}

// Canonical base64 only (base/base64.hpp): one text per content, so a stored instance and the
// document it came from agree byte for byte.
std::string base64Decode(std::string_view text, std::string_view document) {
    const std::optional<base::Bytes> bytes = base::base64Decode(text);
    if (!bytes) {
        mx::fail(document, "content is not base64");
    }
    return {bytes->begin(), bytes->end()};
}

void writeInstance(pugi::xml_node element, const ContentInstance& instance) {
    if (!instance.id.empty()) {
        element.append_attribute("m2m:id") = instance.id.c_str();
    }
    if (instance.creationTime != std::chrono::system_clock::time_point{}) {
        mx::addText(element, "creationTime", provisioning::toDateTime(instance.creationTime));
    }
    pugi::xml_node types = mx::addElement(element, "contentTypes");
    mx::addText(types, "contentType", instance.contentType);
    mx::addText(element, "contentSize", std::to_string(instance.content.size()));
    mx::addText(element, "content", base::base64Encode(base::asBytes(instance.content)));
}

ContentInstance readInstance(pugi::xml_node element, std::string_view document) {
    ContentInstance instance;
    if (auto id = mx::optionalAttribute(element, "id", document)) {
        checkId(*id, "id", document);
        instance.id = std::move(*id);
    }
    if (auto created = mx::optionalText(element, "creationTime", document)) {
        instance.creationTime = dateTime(*created, "creationTime", document);
    }
    const pugi::xml_node types = mx::requiredChild(element, "contentTypes", document);
    instance.contentType = mx::requiredText(types, "contentType", document);
    const pugi::xml_node content = mx::requiredChild(element, "content", document);
    instance.content = base64Decode(mx::textOf(content, "content", document), document);
    if (auto size = mx::optionalText(element, "contentSize", document)) {
        if (mx::parseUnsigned<std::uint64_t>(*size, "contentSize", document) !=
            instance.content.size()) {
            mx::fail(document, "contentSize does not match content");
        }
    }
    return instance;
}

}  // namespace

std::string toXml(const SclRegistration& scl) {
    pugi::xml_document doc;
    pugi::xml_node root = mx::newRoot(doc, "scl");
    mx::addText(root, "sclId", scl.sclId);
    mx::addText(root, "link", scl.link);
    if (scl.expirationTime != std::chrono::system_clock::time_point{}) {
        mx::addText(root, "expirationTime", provisioning::toDateTime(scl.expirationTime));
    }
    if (const auto& ival = scl.integrityValResults) {
        pugi::xml_node element = mx::addElement(root, "integrityValResults");
        mx::addText(element, "ivalResults", std::to_string(ival->ivalResults));
        mx::addText(element, "signedIvalResult", std::to_string(ival->signedIvalResult));
        if (ival->secureTimeStamp) {
            mx::addText(element, "secureTimeStamp",
                        provisioning::toDateTime(*ival->secureTimeStamp));
        }
        mx::addText(element, "eat", ival->eat);
    }
    if (scl.integrityDecision) {
        mx::addText(root, "integrityDecision", *scl.integrityDecision);
    }
    return mx::serialise(doc);
}

std::string toXml(const Application& application) {
    pugi::xml_document doc;
    pugi::xml_node root = mx::newRoot(doc, "application");
    root.append_attribute("m2m:appId") = application.appId.c_str();
    return mx::serialise(doc);
}

std::string toXml(const Container& container) {
    pugi::xml_document doc;
    pugi::xml_node root = mx::newRoot(doc, "container");
    root.append_attribute("m2m:id") = container.id.c_str();
    return mx::serialise(doc);
}

std::string toXml(const ContentInstance& instance) {
    pugi::xml_document doc;
    writeInstance(mx::newRoot(doc, "contentInstance"), instance);
    return mx::serialise(doc);
}

std::string toXml(const std::vector<ContentInstance>& instances) {
    pugi::xml_document doc;
    pugi::xml_node collection =
        mx::addElement(mx::newRoot(doc, "contentInstances"), "contentInstanceCollection");
    for (const ContentInstance& instance : instances) {
        writeInstance(mx::addElement(collection, "contentInstance"), instance);
    }
    return mx::serialise(doc);
}

SclRegistration parseSclRegistration(std::string_view xml) {
    pugi::xml_document doc;
    const pugi::xml_node root = mx::parseRoot(doc, xml, "scl");
    SclRegistration scl;
    scl.sclId = mx::requiredText(root, "sclId", kScl);
    scl.link = mx::requiredText(root, "link", kScl);
    if (auto expiry = mx::optionalText(root, "expirationTime", kScl)) {
        scl.expirationTime = dateTime(*expiry, "expirationTime", kScl);
    }
    if (const pugi::xml_node ival = mx::optionalChild(root, "integrityValResults", kScl)) {
        IntegrityValResults r;
        r.ivalResults = xsLong(mx::requiredText(ival, "ivalResults", kScl), "ivalResults");
        r.signedIvalResult =
            xsLong(mx::requiredText(ival, "signedIvalResult", kScl), "signedIvalResult");
        if (auto stamp = mx::optionalText(ival, "secureTimeStamp", kScl)) {
            r.secureTimeStamp = dateTime(*stamp, "secureTimeStamp", kScl);
        }
        r.eat = mx::requiredText(ival, "eat", kScl);
        checkBase64Url(r.eat, "eat", kScl);
        scl.integrityValResults = std::move(r);
    }
    if (auto decision = mx::optionalText(root, "integrityDecision", kScl)) {
        checkBase64Url(*decision, "integrityDecision", kScl);
        scl.integrityDecision = std::move(*decision);
    }
    return scl;
}

Application parseApplication(std::string_view xml) {
    pugi::xml_document doc;
    const pugi::xml_node root = mx::parseRoot(doc, xml, "application");
    return Application{requiredId(root, "appId", kApplication)};
}

Container parseContainer(std::string_view xml) {
    pugi::xml_document doc;
    const pugi::xml_node root = mx::parseRoot(doc, xml, "container");
    return Container{requiredId(root, "id", kContainer)};
}

ContentInstance parseContentInstance(std::string_view xml) {
    pugi::xml_document doc;
    return readInstance(mx::parseRoot(doc, xml, "contentInstance"), kInstance);
}

std::vector<ContentInstance> parseContentInstances(std::string_view xml) {
    pugi::xml_document doc;
    const pugi::xml_node root = mx::parseRoot(doc, xml, "contentInstances");
    const pugi::xml_node collection =
        mx::requiredChild(root, "contentInstanceCollection", kInstances);
    std::vector<ContentInstance> instances;
    for (pugi::xml_node n : collection.children()) {
        if (n.type() != pugi::node_element) {
            continue;
        }
        if (!mx::isM2mElement(n, "contentInstance")) {
            mx::fail(kInstances, "contentInstanceCollection holds something else");
        }
        instances.push_back(readInstance(n, kInstances));
    }
    return instances;
}

std::string toXml(const TimeResource& time) {
    pugi::xml_document doc;
    mx::addText(mx::newRoot(doc, "time"), "currentTime",
                provisioning::toDateTime(time.currentTime));
    return mx::serialise(doc);
}

TimeResource parseTimeResource(std::string_view xml) {
    pugi::xml_document doc;
    const pugi::xml_node root = mx::parseRoot(doc, xml, "time");
    return TimeResource{
        dateTime(mx::requiredText(root, "currentTime", kTime), "currentTime", kTime)};
}

std::string toXml(const IntegrityChallenge& challenge) {
    pugi::xml_document doc;
    pugi::xml_node root = mx::newRoot(doc, "integrityChallenge");
    mx::addText(root, "nonce", base::base64Encode(challenge.nonce));
    mx::addText(root, "expirationTime", provisioning::toDateTime(challenge.expirationTime));
    return mx::serialise(doc);
}

IntegrityChallenge parseIntegrityChallenge(std::string_view xml) {
    pugi::xml_document doc;
    const pugi::xml_node root = mx::parseRoot(doc, xml, "integrityChallenge");
    IntegrityChallenge challenge;
    std::optional<base::Bytes> nonce =
        base::base64Decode(mx::requiredText(root, "nonce", kChallenge));
    if (!nonce || nonce->size() < 8 || nonce->size() > 64) {
        mx::fail(kChallenge, "nonce is not base64 of 8 to 64 bytes");
    }
    challenge.nonce = std::move(*nonce);
    challenge.expirationTime = dateTime(mx::requiredText(root, "expirationTime", kChallenge),
                                        "expirationTime", kChallenge);
    return challenge;
}

std::string integrityDecisionXml(const std::string& base64url) {
    pugi::xml_document doc;
    mx::newRoot(doc, "integrityDecision").text().set(base64url.c_str());
    return mx::serialise(doc);
}

std::string parseIntegrityDecision(std::string_view xml) {
    pugi::xml_document doc;
    const pugi::xml_node root = mx::parseRoot(doc, xml, "integrityDecision");
    std::string text = mx::textOf(root, "integrityDecision", kDecision);
    checkBase64Url(text, "integrityDecision", kDecision);
    return text;
}

}  // namespace agent
