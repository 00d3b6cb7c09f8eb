// mId resources (m2m:scl, application, container, contentInstance, contentInstances): round trips
// and the refusals, the same strictness as the parameter sets.
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "agent/mid_resources.hpp"

using namespace agent;
using namespace std::chrono;
using base::Bytes;

namespace {

const std::string kNs = "xmlns:m2m=\"http://uri.etsi.org/m2m\"";

template <typename Parse>
std::string refusal(Parse parse, const std::string& xml) {
    try {
        static_cast<void>(parse(xml));
    } catch (const ParamSetError& e) {
        return e.what();
    }
    return {};
}

ContentInstance sampleInstance() {
    ContentInstance c;
    c.id = "ci-17";
    c.contentType = "application/json";
    c.content = std::string("{\"t\":21.5,\"raw\":\"\0\x01\xff<&>\"}", 26);
    c.creationTime = sys_days{2026y / 3 / 4} + 5h + 6min + 7s;
    return c;
}

std::string instanceDoc(const std::string& attributes, const std::string& fields) {
    return "<m2m:contentInstance " + kNs + attributes + ">" + fields + "</m2m:contentInstance>";
}

}  // namespace

TEST_CASE("m2m:scl round trip, with and without the NSCL's fields", "[mid_resources]") {
    SclRegistration request;
    request.sclId = "m2m:scl/device-0001";
    request.link = "coap://device-0001.lab.m2m/m2m";
    const std::string requestXml = toXml(request);
    CHECK(requestXml.find("expirationTime") == std::string::npos);
    CHECK(requestXml.find("integrityValResults") == std::string::npos);
    const SclRegistration r = parseSclRegistration(requestXml);
    CHECK(r.sclId == request.sclId);
    CHECK(r.link == request.link);
    CHECK(r.expirationTime == system_clock::time_point{});
    CHECK_FALSE(r.integrityValResults.has_value());

    SclRegistration answer = request;
    answer.expirationTime = sys_days{2026y / 1 / 1} + 1h;
    answer.integrityValResults =
        IntegrityValResults{5, 42, sys_days{2026y / 1 / 1} + 2h, "0oRDoQEmoQRI-_8"};
    answer.integrityDecision = "0oRDoQEm";
    const SclRegistration a = parseSclRegistration(toXml(answer));
    CHECK(a.expirationTime == answer.expirationTime);
    REQUIRE(a.integrityValResults.has_value());
    CHECK(a.integrityValResults->ivalResults == 5);
    CHECK(a.integrityValResults->signedIvalResult == 42);
    CHECK(a.integrityValResults->secureTimeStamp == answer.integrityValResults->secureTimeStamp);
    CHECK(a.integrityValResults->eat == "0oRDoQEmoQRI-_8");
    CHECK(a.integrityDecision == "0oRDoQEm");

    // secureTimeStamp only when the report has a trusted time.
    answer.integrityValResults->secureTimeStamp.reset();
    const std::string noTime = toXml(answer);
    CHECK(noTime.find("secureTimeStamp") == std::string::npos);
    CHECK_FALSE(parseSclRegistration(noTime).integrityValResults->secureTimeStamp.has_value());
}

TEST_CASE("m2m:integrityChallenge and m2m:integrityDecision", "[mid_resources]") {
    IntegrityChallenge challenge{Bytes(32, 0xA5), sys_days{2026y / 12 / 7} + 15h};
    const IntegrityChallenge c = parseIntegrityChallenge(toXml(challenge));
    CHECK(c.nonce == challenge.nonce);
    CHECK(c.expirationTime == challenge.expirationTime);
    auto parseChallenge = [](std::string_view x) { return parseIntegrityChallenge(x); };
    auto challengeDoc = [&](const std::string& nonce) {
        return "<m2m:integrityChallenge " + kNs + "><m2m:nonce>" + nonce +
               "</m2m:nonce><m2m:expirationTime>2026-12-07T15:00:00Z</m2m:expirationTime>"
               "</m2m:integrityChallenge>";
    };
    CHECK(refusal(parseChallenge, challengeDoc("AAAAAAAAAAA=")).empty());  // 8 bytes
    CHECK_THAT(refusal(parseChallenge, challengeDoc("AAAAAAAAAA==")), Catch::Contains("nonce"));
    CHECK_THAT(refusal(parseChallenge, challengeDoc("not base64!")), Catch::Contains("nonce"));

    CHECK(parseIntegrityDecision(integrityDecisionXml("0oRDoQEm-_")) == "0oRDoQEm-_");
    auto parseDecision = [](std::string_view x) { return parseIntegrityDecision(x); };
    CHECK_THAT(refusal(parseDecision,
                       "<m2m:integrityDecision " + kNs + ">0oRD+/==</m2m:integrityDecision>"),
               Catch::Contains("base64url"));
    CHECK_THAT(
        refusal(parseDecision, "<m2m:integrityDecision " + kNs + "></m2m:integrityDecision>"),
        Catch::Contains("base64url"));
}

TEST_CASE("m2m:time", "[mid_resources]") {
    const TimeResource time{sys_days{2026y / 12 / 7} + 15h + 4min + 5s};
    const std::string xml = toXml(time);
    CHECK_THAT(xml, Catch::Contains("<m2m:currentTime>2026-12-07T15:04:05Z</m2m:currentTime>"));
    CHECK(parseTimeResource(xml).currentTime == time.currentTime);
    auto parse = [](std::string_view x) { return parseTimeResource(x); };
    CHECK_THAT(refusal(parse, "<m2m:time " + kNs + "/>"), Catch::Contains("currentTime"));
    CHECK_THAT(refusal(parse, "<m2m:time " + kNs +
                                  "><m2m:currentTime>yesterday</m2m:currentTime></m2m:time>"),
               Catch::Contains("xs:dateTime"));
    CHECK_FALSE(refusal(parse, "<m2m:clock " + kNs +
                                   "><m2m:currentTime>2026-12-07T15:04:05Z</m2m:currentTime>"
                                   "</m2m:clock>")
                    .empty());
}

TEST_CASE("m2m:scl refusals", "[mid_resources]") {
    auto parse = [](std::string_view x) { return parseSclRegistration(x); };
    const std::string ok = "<m2m:sclId>s</m2m:sclId><m2m:link>l</m2m:link>";
    auto doc = [&](const std::string& fields) {
        return "<m2m:scl " + kNs + ">" + fields + "</m2m:scl>";
    };
    CHECK(refusal(parse, doc(ok)).empty());
    CHECK_THAT(refusal(parse, doc("<m2m:link>l</m2m:link>")), Catch::Contains("sclId"));
    CHECK_THAT(refusal(parse, doc("<m2m:sclId>s</m2m:sclId>")), Catch::Contains("link"));
    CHECK_THAT(refusal(parse, doc(ok + "<m2m:expirationTime>soon</m2m:expirationTime>")),
               Catch::Contains("expirationTime"));
    CHECK_THAT(refusal(parse, doc(ok + "<m2m:integrityValResults><m2m:ivalResults>12"
                                       "</m2m:ivalResults></m2m:integrityValResults>")),
               Catch::Contains("signedIvalResult"));
    CHECK_THAT(refusal(parse, doc(ok + "<m2m:integrityValResults><m2m:ivalResults>XY"
                                       "</m2m:ivalResults><m2m:signedIvalResult>00"
                                       "</m2m:signedIvalResult><m2m:secureTimeStamp>"
                                       "2026-01-01T00:00:00Z</m2m:secureTimeStamp>"
                                       "</m2m:integrityValResults>")),
               Catch::Contains("ivalResults"));
    const std::string ival =
        "<m2m:integrityValResults><m2m:ivalResults>1</m2m:ivalResults>"
        "<m2m:signedIvalResult>7</m2m:signedIvalResult>";
    CHECK(refusal(parse, doc(ok + ival + "<m2m:eat>0oRD</m2m:eat></m2m:integrityValResults>"))
              .empty());
    CHECK_THAT(refusal(parse, doc(ok + ival + "</m2m:integrityValResults>")),
               Catch::Contains("missing eat"));
    CHECK_THAT(
        refusal(parse, doc(ok + ival + "<m2m:eat>0oRD==</m2m:eat></m2m:integrityValResults>")),
        Catch::Contains("eat is not base64url"));
    CHECK_THAT(refusal(parse, doc(ok + "<m2m:integrityValResults><m2m:ivalResults>-1"
                                       "</m2m:ivalResults></m2m:integrityValResults>")),
               Catch::Contains("ivalResults"));
    CHECK_THAT(refusal(parse, doc(ok + "<m2m:integrityValResults><m2m:ivalResults>"
                                       "9223372036854775808</m2m:ivalResults>"
                                       "</m2m:integrityValResults>")),
               Catch::Contains("ivalResults out of range"));
    CHECK_THAT(refusal(parse, doc(ok + "<m2m:securityM2MKey>00</m2m:securityM2MKey>")),
               Catch::Contains("securityM2MKey"));
    CHECK_THAT(refusal(parse, "<m2m:application " + kNs + " m2m:appId=\"a\"/>"),
               Catch::Contains("root"));
    CHECK_THAT(refusal(parse, "<m2m:scl xmlns:m2m=\"urn:x\">" + ok + "</m2m:scl>"),
               Catch::Contains("namespace"));
    CHECK_THAT(refusal(parse, doc(ok).substr(0, 40)), Catch::Contains("malformed"));
    CHECK_THAT(refusal(parse, doc(ok + std::string(65 * 1024, ' '))),
               Catch::Contains("larger than"));
}

TEST_CASE("m2m:application and m2m:container: ids as m2m: attributes, path-safe",
          "[mid_resources]") {
    CHECK(parseApplication(toXml(Application{"thermo-1"})).appId == "thermo-1");
    CHECK(parseContainer(toXml(Container{"readings_2026.v1"})).id == "readings_2026.v1");
    CHECK(parseApplication("<a:application xmlns:a=\"http://uri.etsi.org/m2m\" a:appId=\"x\"/>")
              .appId == "x");

    auto app = [](std::string_view x) { return parseApplication(x); };
    auto container = [](std::string_view x) { return parseContainer(x); };
    CHECK_THAT(refusal(app, "<m2m:application " + kNs + "/>"), Catch::Contains("appId"));
    CHECK_THAT(refusal(app, "<m2m:application " + kNs + " appId=\"x\"/>"),
               Catch::Contains("appId"));  // unqualified attribute is not m2m:appId
    for (const char* bad : {"", "a/b", "..", ".", "a b", "a%2f", "ü",
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
        INFO(bad);
        CHECK_THAT(refusal(app, "<m2m:application " + kNs + " m2m:appId=\"" + bad + "\"/>"),
                   Catch::Contains("appId"));
        CHECK_THAT(refusal(container, "<m2m:container " + kNs + " m2m:id=\"" + bad + "\"/>"),
                   Catch::Contains("m2m:container: id"));
    }
    CHECK_THAT(refusal(container, "<m2m:container " + kNs + "/>"), Catch::Contains("id"));
    CHECK_THAT(refusal(container, "<m2m:application " + kNs + " m2m:appId=\"x\"/>"),
               Catch::Contains("root"));
    CHECK_THAT(refusal(container, "<m2m:container " + kNs + " m2m:id=\"x\">"),
               Catch::Contains("malformed"));
}

TEST_CASE("m2m:contentInstance round trip: binary content, base64 on the wire", "[mid_resources]") {
    const ContentInstance c = sampleInstance();
    const std::string xml = toXml(c);
    CHECK(xml.find("<m2m:content>") != std::string::npos);
    CHECK(xml.find("21.5") == std::string::npos);  // carried base64, not as text
    const ContentInstance d = parseContentInstance(xml);
    CHECK(d.id == c.id);
    CHECK(d.contentType == c.contentType);
    CHECK(d.content == c.content);
    CHECK(d.creationTime == c.creationTime);

    // Request form: no id, no creation time; every length modulo 3 of the content.
    for (std::string content : {"", "a", "ab", "abc", "abcd"}) {
        ContentInstance request;
        request.contentType = "text/plain";
        request.content = content;
        const std::string requestXml = toXml(request);
        CHECK(requestXml.find("m2m:id") == std::string::npos);
        CHECK(requestXml.find("creationTime") == std::string::npos);
        const ContentInstance e = parseContentInstance(requestXml);
        CHECK(e.content == content);
        CHECK(e.id.empty());
    }
    const std::string known =
        instanceDoc("",
                    "<m2m:contentTypes><m2m:contentType>text/plain</m2m:contentType>"
                    "</m2m:contentTypes><m2m:content>Zm9vYmFy</m2m:content>");
    CHECK(parseContentInstance(known).content == "foobar");
}

TEST_CASE("m2m:contentInstance refusals: base64, size, missing fields", "[mid_resources]") {
    auto parse = [](std::string_view x) { return parseContentInstance(x); };
    const std::string types =
        "<m2m:contentTypes><m2m:contentType>text/plain</m2m:contentType></m2m:contentTypes>";
    auto withContent = [&](const std::string& b64) {
        return instanceDoc("", types + "<m2m:content>" + b64 + "</m2m:content>");
    };
    CHECK(refusal(parse, withContent("Zm9vYg==")).empty());
    for (const char* bad : {"Zm9vYg=", "Zm9vYg", "Zm9v!mFy", "Zm=vYmFy", "Zm9vYh==", "Zm9vYmE=Zm9v",
                            "Zm9v\nYmFy", "===="}) {
        INFO(bad);
        CHECK_THAT(refusal(parse, withContent(bad)), Catch::Contains("content is not base64"));
    }
    CHECK_THAT(refusal(parse, instanceDoc("", types)), Catch::Contains("missing content"));
    CHECK_THAT(refusal(parse, instanceDoc("", "<m2m:content>Zm9v</m2m:content>")),
               Catch::Contains("contentTypes"));
    CHECK_THAT(refusal(parse, instanceDoc("", types + "<m2m:contentSize>4</m2m:contentSize>"
                                                      "<m2m:content>Zm9v</m2m:content>")),
               Catch::Contains("contentSize"));
    CHECK_THAT(
        refusal(parse, instanceDoc(" m2m:id=\"../x\"", types + "<m2m:content>Zm9v</m2m:content>")),
        Catch::Contains("id"));
    CHECK_THAT(refusal(parse, instanceDoc("", types + "<m2m:creationTime>x</m2m:creationTime>"
                                                      "<m2m:content>Zm9v</m2m:content>")),
               Catch::Contains("creationTime"));
    CHECK_THAT(refusal(parse, instanceDoc("", types + "<m2m:content>Zm9v</m2m:content>"
                                                      "<m2m:content>Zm9v</m2m:content>")),
               Catch::Contains("twice"));
    const std::string xml = toXml(sampleInstance());
    for (std::size_t n = 0; n + 1 < xml.size(); ++n) {
        INFO("truncated to " << n);
        CHECK_THROWS_AS(parseContentInstance(std::string_view(xml).substr(0, n)), ParamSetError);
    }
}

TEST_CASE("m2m:contentInstances list round trip and refusals", "[mid_resources]") {
    std::vector<ContentInstance> list;
    CHECK(parseContentInstances(toXml(list)).empty());
    for (int i = 0; i < 5; ++i) {
        ContentInstance c = sampleInstance();
        c.id = "ci-" + std::to_string(i);
        c.content += std::to_string(i);
        list.push_back(c);
    }
    const std::vector<ContentInstance> back = parseContentInstances(toXml(list));
    REQUIRE(back.size() == list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
        CHECK(back[i].id == list[i].id);
        CHECK(back[i].content == list[i].content);
        CHECK(back[i].creationTime == list[i].creationTime);
    }
    auto parse = [](std::string_view x) { return parseContentInstances(x); };
    CHECK_THAT(refusal(parse, "<m2m:contentInstances " + kNs + "/>"),
               Catch::Contains("contentInstanceCollection"));
    CHECK_THAT(refusal(parse, "<m2m:contentInstances " + kNs +
                                  "><m2m:contentInstanceCollection><m2m:container m2m:id=\"x\"/>"
                                  "</m2m:contentInstanceCollection></m2m:contentInstances>"),
               Catch::Contains("contentInstanceCollection"));
    CHECK_THAT(refusal(parse, toXml(sampleInstance())), Catch::Contains("root"));
    std::vector<ContentInstance> many(400, sampleInstance());
    for (auto& c : many) {
        c.content.assign(200, 'x');
    }
    CHECK_THAT(refusal(parse, toXml(many)), Catch::Contains("larger than"));
}
