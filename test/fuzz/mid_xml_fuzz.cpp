// The mId resources' XML (agent/src/mid_resources.cpp): what the NSCL answers (and what the lab
// network reads from the agent): scl, application, container, contentInstance and the list of
// contentInstances, the integrity challenge and decision, and the NSCL's time. Anything malformed
// must be a ParamSetError; what parses must write back to XML that parses to the same resource.
#include <cstdint>
#include <stdexcept>

#include "agent/mid_resources.hpp"
#include "fuzz_support.hpp"

namespace {

bool same(const agent::ContentInstance& a, const agent::ContentInstance& b) {
    return a.id == b.id && a.contentType == b.contentType && a.content == b.content &&
           a.creationTime == b.creationTime;
}

void require(bool ok, const char* what) {
    if (!ok) {
        throw std::logic_error(what);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    using namespace agent;
    const std::string_view xml = fuzz::text(data, size);
    try {
        const SclRegistration scl = parseSclRegistration(xml);
        const SclRegistration again = parseSclRegistration(toXml(scl));
        require(again.sclId == scl.sclId && again.link == scl.link &&
                    again.expirationTime == scl.expirationTime &&
                    again.integrityValResults.has_value() == scl.integrityValResults.has_value() &&
                    again.integrityDecision == scl.integrityDecision,
                "scl: parse(toXml(r)) differs from r");
        if (scl.integrityValResults) {
            const auto& a = *again.integrityValResults;
            const auto& b = *scl.integrityValResults;
            require(a.ivalResults == b.ivalResults && a.signedIvalResult == b.signedIvalResult &&
                        a.secureTimeStamp == b.secureTimeStamp && a.eat == b.eat,
                    "scl: integrityValResults differ after a round trip");
        }
    } catch (const ParamSetError&) {
    }
    try {
        const IntegrityChallenge c = parseIntegrityChallenge(xml);
        const IntegrityChallenge again = parseIntegrityChallenge(toXml(c));
        require(again.nonce == c.nonce && again.expirationTime == c.expirationTime,
                "integrityChallenge: parse(toXml(r)) differs from r");
    } catch (const ParamSetError&) {
    }
    try {
        const std::string d = parseIntegrityDecision(xml);
        require(parseIntegrityDecision(integrityDecisionXml(d)) == d,
                "integrityDecision: parse(toXml(r)) differs from r");
    } catch (const ParamSetError&) {
    }
    try {
        const TimeResource t = parseTimeResource(xml);
        require(parseTimeResource(toXml(t)).currentTime == t.currentTime,
                "time: parse(toXml(r)) differs from r");
    } catch (const ParamSetError&) {
    }
    try {
        const Application app = parseApplication(xml);
        require(parseApplication(toXml(app)).appId == app.appId,
                "application: parse(toXml(r)) differs from r");
    } catch (const ParamSetError&) {
    }
    try {
        const Container container = parseContainer(xml);
        require(parseContainer(toXml(container)).id == container.id,
                "container: parse(toXml(r)) differs from r");
    } catch (const ParamSetError&) {
    }
    try {
        const ContentInstance instance = parseContentInstance(xml);
        require(same(parseContentInstance(toXml(instance)), instance),
                "contentInstance: parse(toXml(r)) differs from r");
    } catch (const ParamSetError&) {
    }
    try {
        const auto list = parseContentInstances(xml);
        const auto again = parseContentInstances(toXml(list));
        require(again.size() == list.size() &&
                    std::equal(list.begin(), list.end(), again.begin(), same),
                "contentInstances: parse(toXml(r)) differs from r");
    } catch (const ParamSetError&) {
    }
    return 0;
}
