// m2m:bootstrapParamSet and m2m:connectionParamSet: round trips, and every refusal the device side
// relies on (wrong root or namespace, missing or ill-formed fields, a key in the document).
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "provisioning/param_sets.hpp"

using namespace provisioning;
using namespace std::chrono;

namespace {

/// The ParamSetError message of `parse(xml)`, or "" if it parsed.
template <typename Parse>
std::string refusal(Parse parse, const std::string& xml) {
    try {
        static_cast<void>(parse(xml));
    } catch (const ParamSetError& e) {
        return e.what();
    }
    return {};
}

std::string bootstrapRefusal(const std::string& xml) {
    return refusal([](std::string_view x) { return parseBootstrapParamSet(x); }, xml);
}
std::string connectionRefusal(const std::string& xml) {
    return refusal([](std::string_view x) { return parseConnectionParamSet(x); }, xml);
}

const std::string kNodeHex = "00112233445566778899aabbccddeeff";

std::string bootstrapDoc(const std::string& fields,
                         const std::string& open =
                             "<m2m:bootstrapParamSet "
                             "xmlns:m2m=\"http://uri.etsi.org/m2m\">",
                         const std::string& close = "</m2m:bootstrapParamSet>") {
    return open + fields + close;
}

struct BootstrapFields {
    std::string nodeId = "<m2m:securityM2MNodeId>" + kNodeHex + "</m2m:securityM2MNodeId>";
    std::string index = "<m2m:securityKmrIndex>7</m2m:securityKmrIndex>";
    std::string lifetime = "<m2m:securityLifetime>2026-12-01T18:41:12Z</m2m:securityLifetime>";
    std::string mas = "<m2m:securityMasFqdn>mas.lab.m2m</m2m:securityMasFqdn>";
    std::string scl = "<m2m:sclId>m2m:scl/device-0001</m2m:sclId>";
    std::string list =
        "<m2m:sclIdList><m2m:sclId>https://nscl.lab.m2m:8443/m2m</m2m:sclId></m2m:sclIdList>";
    [[nodiscard]] std::string all() const { return nodeId + index + lifetime + mas + scl + list; }
};

std::string connectionDoc(const std::string& fields) {
    return "<m2m:connectionParamSet xmlns:m2m=\"http://uri.etsi.org/m2m\">" + fields +
           "</m2m:connectionParamSet>";
}

struct ConnectionFields {
    std::string id = "<m2m:securityConnectionId>18446744073709551615</m2m:securityConnectionId>";
    std::string index = "<m2m:securityKmcIndex>4294967295</m2m:securityKmcIndex>";
    std::string lifetime = "<m2m:securityLifetime>2026-01-02T03:04:05Z</m2m:securityLifetime>";
    std::string scl = "<m2m:sclId>m2m:scl/device-0001</m2m:sclId>";
    std::string flags = "<m2m:securitymIdFlags>tls</m2m:securitymIdFlags>";
    [[nodiscard]] std::string all() const { return id + index + lifetime + scl + flags; }
};

BootstrapParamSet sampleBootstrap() {
    BootstrapParamSet p;
    for (std::size_t i = 0; i < p.nodeId.size(); ++i) {
        p.nodeId[i] = static_cast<std::uint8_t>(0xA0 + i);
    }
    p.kmrIndex = 4294967295U;
    p.kmrExpiry = sys_days{2030y / 6 / 15} + 12h + 30min + 1s;
    p.masFqdn = "mas.lab.m2m";
    p.sclId = "m2m:scl/device-0001";
    p.nsclList = {"https://nscl.lab.m2m:8443/m2m", "https://nscl2.lab.m2m/m2m?a=1&b=<2>"};
    return p;
}

}  // namespace

TEST_CASE("xs:dateTime: a well-formed time outside the clock's range is refused",
          "[param_sets][neg]") {
    // Found by fuzzing (param_sets): the clock counts nanoseconds in 64 bits, and converting the
    // seconds of a year from 2263 on, or up to 1677, overflowed (undefined behaviour).
    CHECK(parseDateTime("2262-04-11T23:47:16Z").time_since_epoch() ==
          std::chrono::seconds(9223372036));
    CHECK(parseDateTime("1677-09-21T00:12:44Z").time_since_epoch() ==
          std::chrono::seconds(-9223372036));
    for (const char* outside :
         {"2262-04-11T23:47:17Z", "2263-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
          "2262-04-11T23:47:16-00:01", "1677-09-21T00:12:43Z", "1677-01-01T00:00:00Z",
          "0000-01-01T00:00:00+14:00"}) {
        INFO(outside);
        CHECK_THROWS_AS(parseDateTime(outside), ParamSetError);
    }
    // In a document: the lifetime field is named, as for any malformed one.
    BootstrapFields f;
    f.lifetime = "<m2m:securityLifetime>9999-12-31T23:59:59Z</m2m:securityLifetime>";
    CHECK(bootstrapRefusal(bootstrapDoc(f.all())).find("securityLifetime") != std::string::npos);
}

TEST_CASE("xs:dateTime: UTC form, offsets, fractions, refusals", "[param_sets]") {
    const auto t = sys_days{2026y / 12 / 1} + 18h + 41min + 12s;
    CHECK(toDateTime(t) == "2026-12-01T18:41:12Z");
    CHECK(toDateTime(t + 999ms) == "2026-12-01T18:41:12Z");
    CHECK(parseDateTime("2026-12-01T18:41:12Z") == t);
    CHECK(parseDateTime("2026-12-01T18:41:12.250Z") == t);
    CHECK(parseDateTime("2026-12-01T20:41:12+02:00") == t);
    CHECK(parseDateTime("2026-12-01T17:11:12-01:30") == t);
    CHECK(parseDateTime("2024-02-29T00:00:00Z") == sys_days{2024y / 2 / 29});
    CHECK(toDateTime(sys_days{1970y / 1 / 1}) == "1970-01-01T00:00:00Z");
    for (const char* bad :
         {"", "2026-12-01", "2026-12-01T18:41:12", "2026-12-01 18:41:12Z", "2026-13-01T00:00:00Z",
          "2025-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T18:60:00Z",
          "2026-12-01T18:41:60Z", "2026-12-01T18:41:12.Z", "2026-12-01T18:41:12+2:00",
          "2026-12-01T18:41:12+15:00", "2026-12-01T18:41:12ZZ", "20a6-12-01T18:41:12Z",
          "2026-12-01T18:41:12z", "+2026-12-01T18:41:12Z"}) {
        INFO(bad);
        CHECK_THROWS_AS(parseDateTime(bad), ParamSetError);
    }
}

TEST_CASE("bootstrapParamSet round trip, escaping and a long NSCL list", "[param_sets]") {
    BootstrapParamSet p = sampleBootstrap();
    const std::string xml = toXml(p);
    CHECK(xml.find("xmlns:m2m=\"http://uri.etsi.org/m2m\"") != std::string::npos);
    CHECK(xml.find("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf") != std::string::npos);  // lowercase
    CHECK(xml.find("securityM2MKey") == std::string::npos);
    const BootstrapParamSet q = parseBootstrapParamSet(xml);
    CHECK(q.nodeId == p.nodeId);
    CHECK(q.kmrIndex == p.kmrIndex);
    CHECK(q.kmrExpiry == p.kmrExpiry);
    CHECK(q.masFqdn == p.masFqdn);
    CHECK(q.sclId == p.sclId);
    CHECK(q.nsclList == p.nsclList);

    p.nsclList.assign(50, "https://nscl.example/m2m");
    CHECK(parseBootstrapParamSet(toXml(p)).nsclList.size() == 50);
}

TEST_CASE("bootstrapParamSet: any prefix or the default namespace, white space, unknown elements",
          "[param_sets]") {
    const std::string doc =
        "<?xml version=\"1.0\"?>\n<b:bootstrapParamSet xmlns:b=\"http://uri.etsi.org/m2m\">\n"
        "  <b:securityM2MNodeId> " +
        kNodeHex +
        " </b:securityM2MNodeId>\n"
        "  <b:securityKmrIndex>\n 7 \n</b:securityKmrIndex>\n"
        "  <b:securityLifetime>2026-12-01T18:41:12Z</b:securityLifetime>\n"
        "  <b:securityMasFqdn>mas.lab.m2m</b:securityMasFqdn>\n"
        "  <!-- a comment --><b:futureField>x</b:futureField>\n"
        "  <b:sclId>m2m:scl/device-0001</b:sclId>\n"
        "  <b:sclIdList><b:sclId>https://a/m2m</b:sclId><b:sclId>https://b/m2m</b:sclId>"
        "</b:sclIdList>\n</b:bootstrapParamSet>\n";
    const BootstrapParamSet p = parseBootstrapParamSet(doc);
    CHECK(p.kmrIndex == 7);
    CHECK(p.nsclList == std::vector<std::string>{"https://a/m2m", "https://b/m2m"});

    const std::string defaultNs = "<bootstrapParamSet xmlns=\"http://uri.etsi.org/m2m\">" + [] {
        std::string all = BootstrapFields{}.all();
        std::string out;
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (all.compare(i, 4, "m2m:") == 0 && i > 0 &&
                (all[i - 1] == '<' || all[i - 1] == '/')) {
                i += 3;
                continue;
            }
            out += all[i];
        }
        return out;
    }() + "</bootstrapParamSet>";
    CHECK(parseBootstrapParamSet(defaultNs).sclId == "m2m:scl/device-0001");
}

TEST_CASE("bootstrapParamSet refusals name the field and never quote the document",
          "[param_sets]") {
    const BootstrapFields f;
    CHECK(bootstrapRefusal(bootstrapDoc(f.all())).empty());

    struct Case {
        const char* name;
        std::string xml;
        const char* says;
    };
    BootstrapFields noNode = f, noIndex = f, noLifetime = f, noMas = f, noScl = f, noList = f;
    noNode.nodeId.clear();
    noIndex.index.clear();
    noLifetime.lifetime.clear();
    noMas.mas.clear();
    noScl.scl.clear();
    noList.list.clear();
    auto with = [&](std::string BootstrapFields::*field, std::string value) {
        BootstrapFields g = f;
        g.*field = std::move(value);
        return bootstrapDoc(g.all());
    };
    const std::vector<Case> cases = {
        {"missing node id", bootstrapDoc(noNode.all()), "securityM2MNodeId"},
        {"missing index", bootstrapDoc(noIndex.all()), "securityKmrIndex"},
        {"missing lifetime", bootstrapDoc(noLifetime.all()), "securityLifetime"},
        {"missing MAS", bootstrapDoc(noMas.all()), "securityMasFqdn"},
        {"missing sclId", bootstrapDoc(noScl.all()), "sclId"},
        {"missing list", bootstrapDoc(noList.all()), "sclIdList"},
        {"empty list", with(&BootstrapFields::list, "<m2m:sclIdList/>"), "sclIdList"},
        {"empty list entry",
         with(&BootstrapFields::list, "<m2m:sclIdList><m2m:sclId/></m2m:sclIdList>"), "sclIdList"},
        {"foreign list entry",
         with(&BootstrapFields::list, "<m2m:sclIdList><m2m:uri>x</m2m:uri></m2m:sclIdList>"),
         "sclIdList"},
        {"node id short",
         with(&BootstrapFields::nodeId,
              "<m2m:securityM2MNodeId>00112233445566778899aabbccddee</m2m:securityM2MNodeId>"),
         "securityM2MNodeId"},
        {"node id long",
         with(&BootstrapFields::nodeId,
              "<m2m:securityM2MNodeId>" + kNodeHex + "00</m2m:securityM2MNodeId>"),
         "securityM2MNodeId"},
        {"node id not hex",
         with(&BootstrapFields::nodeId,
              "<m2m:securityM2MNodeId>zz112233445566778899aabbccddeeff</m2m:securityM2MNodeId>"),
         "securityM2MNodeId"},
        {"node id with colons",
         with(&BootstrapFields::nodeId,
              "<m2m:securityM2MNodeId>00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"
              "</m2m:securityM2MNodeId>"),
         "securityM2MNodeId"},
        {"index not numeric",
         with(&BootstrapFields::index, "<m2m:securityKmrIndex>seven</m2m:securityKmrIndex>"),
         "securityKmrIndex"},
        {"index negative",
         with(&BootstrapFields::index, "<m2m:securityKmrIndex>-1</m2m:securityKmrIndex>"),
         "securityKmrIndex"},
        {"index plus sign",
         with(&BootstrapFields::index, "<m2m:securityKmrIndex>+1</m2m:securityKmrIndex>"),
         "securityKmrIndex"},
        {"index fraction",
         with(&BootstrapFields::index, "<m2m:securityKmrIndex>1.5</m2m:securityKmrIndex>"),
         "securityKmrIndex"},
        {"index out of range",
         with(&BootstrapFields::index, "<m2m:securityKmrIndex>4294967296</m2m:securityKmrIndex>"),
         "securityKmrIndex"},
        {"index empty", with(&BootstrapFields::index, "<m2m:securityKmrIndex/>"),
         "securityKmrIndex"},
        {"index twice", bootstrapDoc(f.all() + "<m2m:securityKmrIndex>8</m2m:securityKmrIndex>"),
         "securityKmrIndex"},
        {"index with child element",
         with(&BootstrapFields::index,
              "<m2m:securityKmrIndex><m2m:x>1</m2m:x></m2m:securityKmrIndex>"),
         "securityKmrIndex"},
        {"lifetime not a dateTime",
         with(&BootstrapFields::lifetime, "<m2m:securityLifetime>tomorrow</m2m:securityLifetime>"),
         "securityLifetime"},
        {"lifetime without zone",
         with(&BootstrapFields::lifetime,
              "<m2m:securityLifetime>2026-12-01T18:41:12</m2m:securityLifetime>"),
         "securityLifetime"},
        {"field in another namespace",
         with(&BootstrapFields::index,
              "<x:securityKmrIndex xmlns:x=\"urn:other\">7</x:securityKmrIndex>"),
         "securityKmrIndex"},
        {"key present", bootstrapDoc(f.all() + "<m2m:securityM2MKey>00112233</m2m:securityM2MKey>"),
         "securityM2MKey"},
        {"key present, other namespace, nested",
         bootstrapDoc(f.all() + "<m2m:ext><k:securityM2MKey xmlns:k=\"urn:k\">00</k:securityM2MKey>"
                                "</m2m:ext>"),
         "securityM2MKey"},
        {"wrong root",
         bootstrapDoc(f.all(), "<m2m:connectionParamSet xmlns:m2m=\"http://uri.etsi.org/m2m\">",
                      "</m2m:connectionParamSet>"),
         "root"},
        {"wrong namespace",
         bootstrapDoc(f.all(), "<m2m:bootstrapParamSet xmlns:m2m=\"http://uri.etsi.org/m2m/\">"),
         "namespace"},
        {"no namespace", bootstrapDoc(f.all(), "<m2m:bootstrapParamSet>"), "namespace"},
        {"unprefixed without default namespace",
         "<bootstrapParamSet>" + f.all() + "</bootstrapParamSet>", "namespace"},
        {"empty document", "", "no root element"},
        {"not XML", "{\"nodeId\": 1}", "malformed"},
        {"unclosed",
         bootstrapDoc(f.all(), "<m2m:bootstrapParamSet xmlns:m2m=\"http://uri.etsi.org/m2m\">", ""),
         "malformed"},
        {"mismatched tag", bootstrapDoc(f.all() + "<m2m:a></m2m:b>"), "malformed"},
        {"unterminated comment", bootstrapDoc(f.all() + "<!-- x"), "malformed"},
        {"two roots", bootstrapDoc(f.all()) + "<m2m:bootstrapParamSet/>", "root"},
        {"text after the root", bootstrapDoc(f.all()) + "trailing", "malformed"},
        {"doctype", "<!DOCTYPE m2m:bootstrapParamSet [<!ENTITY x \"y\">]>" + bootstrapDoc(f.all()),
         "DOCTYPE"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const std::string message = bootstrapRefusal(c.xml);
        CHECK_THAT(message, Catch::Contains(c.says));
        CHECK_THAT(message, Catch::StartsWith("m2m:bootstrapParamSet: "));
        CHECK_THAT(message, !Catch::Contains("mas.lab.m2m") && !Catch::Contains(kNodeHex) &&
                                !Catch::Contains("00112233</"));
    }
}

TEST_CASE("bootstrapParamSet: every truncation of a valid document is refused", "[param_sets]") {
    const std::string xml = toXml(sampleBootstrap());
    for (std::size_t n = 0; n < xml.size(); ++n) {
        // Only trailing white space may be cut without changing the document.
        if (xml.find_first_not_of(" \t\r\n", n) == std::string::npos) {
            break;
        }
        INFO("truncated to " << n << " of " << xml.size());
        CHECK_THROWS_AS(parseBootstrapParamSet(std::string_view(xml).substr(0, n)), ParamSetError);
    }
}

TEST_CASE("parameter sets larger than 64 KiB are refused before parsing", "[param_sets]") {
    BootstrapParamSet p = sampleBootstrap();
    p.nsclList.assign(2000, "https://nscl.lab.m2m:8443/m2m/a-rather-long-path");
    const std::string big = toXml(p);
    REQUIRE(big.size() > 64 * 1024);
    CHECK_THAT(bootstrapRefusal(big), Catch::Contains("larger than 65536"));
    const std::string bigConnection =
        connectionDoc(ConnectionFields{}.all() + std::string(70 * 1024, ' '));
    CHECK_THAT(connectionRefusal(bigConnection), Catch::Contains("larger than 65536"));
    // Exactly at the limit still parses.
    std::string atLimit = connectionDoc(ConnectionFields{}.all());
    atLimit += std::string(64 * 1024 - atLimit.size(), '\n');
    CHECK(connectionRefusal(atLimit).empty());
}

TEST_CASE("connectionParamSet round trip and extremes", "[param_sets]") {
    ConnectionParamSet p;
    p.connectionId = 18446744073709551615ULL;
    p.kmcIndex = 0;
    p.kmcExpiry = sys_days{2026y / 1 / 2} + 3h + 4min + 5s;
    p.sclId = "m2m:scl/device-0001";
    p.midFlags = "tls";
    const ConnectionParamSet q = parseConnectionParamSet(toXml(p));
    CHECK(q.connectionId == p.connectionId);
    CHECK(q.kmcIndex == 0);
    CHECK(q.kmcExpiry == p.kmcExpiry);
    CHECK(q.sclId == p.sclId);
    CHECK(q.midFlags == "tls");
    const ConnectionParamSet r = parseConnectionParamSet(connectionDoc(ConnectionFields{}.all()));
    CHECK(r.kmcIndex == 4294967295U);
    CHECK(r.connectionId == 18446744073709551615ULL);
}

TEST_CASE("connectionParamSet refusals", "[param_sets]") {
    const ConnectionFields f;
    auto without = [&](std::string ConnectionFields::*field) {
        ConnectionFields g = f;
        (g.*field).clear();
        return connectionDoc(g.all());
    };
    auto with = [&](std::string ConnectionFields::*field, std::string value) {
        ConnectionFields g = f;
        g.*field = std::move(value);
        return connectionDoc(g.all());
    };
    struct Case {
        const char* name;
        std::string xml;
        const char* says;
    };
    const std::vector<Case> cases = {
        {"missing connection id", without(&ConnectionFields::id), "securityConnectionId"},
        {"missing index", without(&ConnectionFields::index), "securityKmcIndex"},
        {"missing lifetime", without(&ConnectionFields::lifetime), "securityLifetime"},
        {"missing sclId", without(&ConnectionFields::scl), "sclId"},
        {"missing flags", without(&ConnectionFields::flags), "securitymIdFlags"},
        {"connection id out of range",
         with(&ConnectionFields::id,
              "<m2m:securityConnectionId>18446744073709551616</m2m:securityConnectionId>"),
         "securityConnectionId"},
        {"connection id hex",
         with(&ConnectionFields::id, "<m2m:securityConnectionId>0x10</m2m:securityConnectionId>"),
         "securityConnectionId"},
        {"index out of range",
         with(&ConnectionFields::index, "<m2m:securityKmcIndex>99999999999</m2m:securityKmcIndex>"),
         "securityKmcIndex"},
        {"index not numeric",
         with(&ConnectionFields::index, "<m2m:securityKmcIndex>1e3</m2m:securityKmcIndex>"),
         "securityKmcIndex"},
        {"bad lifetime",
         with(&ConnectionFields::lifetime,
              "<m2m:securityLifetime>2026-02-30T00:00:00Z</m2m:securityLifetime>"),
         "securityLifetime"},
        {"key present", connectionDoc(f.all() + "<m2m:securityM2MKey>aa</m2m:securityM2MKey>"),
         "securityM2MKey"},
        {"wrong root",
         "<m2m:bootstrapParamSet xmlns:m2m=\"http://uri.etsi.org/m2m\">" + f.all() +
             "</m2m:bootstrapParamSet>",
         "root"},
        {"wrong namespace",
         "<m2m:connectionParamSet xmlns:m2m=\"urn:x\">" + f.all() + "</m2m:connectionParamSet>",
         "namespace"},
        {"malformed", connectionDoc(f.all()).substr(0, 60), "malformed"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const std::string message = connectionRefusal(c.xml);
        CHECK_THAT(message, Catch::Contains(c.says));
        CHECK_THAT(message, Catch::StartsWith("m2m:connectionParamSet: "));
    }
    const std::string xml = connectionDoc(f.all());
    for (std::size_t n = 0; n + 1 < xml.size(); ++n) {
        INFO("truncated to " << n);
        CHECK_THROWS_AS(parseConnectionParamSet(std::string_view(xml).substr(0, n)), ParamSetError);
    }
}
