// m2m:bootstrapParamSet and m2m:connectionParamSet (security-profile.md §6), and the xs:dateTime
// form their lifetimes travel in.
#include "provisioning/param_sets.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "base/bytes.hpp"
#include "base/unix_time.hpp"
#include "provisioning/m2m_xml.hpp"

namespace provisioning {

namespace {

using namespace std::chrono;
namespace mx = m2mxml;

constexpr const char* kBootstrap = "m2m:bootstrapParamSet";
constexpr const char* kConnection = "m2m:connectionParamSet";

bool isDigits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

[[noreturn]] void bad() {
    throw ParamSetError("xs:dateTime: malformed");
}

int number(std::string_view text) {
    int value = 0;
    for (char c : text) {
        value = value * 10 + (c - '0');
    }
    return value;
}

seuicc::NodeId parseNodeId(const std::string& text, std::string_view document) {
    const bool hexOnly = std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
    seuicc::NodeId id{};
    if (!hexOnly || text.size() != 2 * id.size()) {
        mx::fail(document, "securityM2MNodeId must be 16 bytes of hex");
    }
    const base::Bytes bytes = base::fromHex(text);
    std::copy(bytes.begin(), bytes.end(), id.begin());
    return id;
}

system_clock::time_point parseLifetime(const std::string& text, std::string_view document) {
    try {
        return parseDateTime(text);
    } catch (const ParamSetError&) {
        mx::fail(document, "securityLifetime is not an xs:dateTime");
    }
}

}  // namespace

std::string toDateTime(system_clock::time_point at) {
    const auto seconds = floor<std::chrono::seconds>(at);
    const auto day = floor<days>(seconds);
    const year_month_day ymd{day};
    const hh_mm_ss hms{seconds - day};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                  int(hms.minutes().count()), int(hms.seconds().count()));
    return text;
}

// YYYY-MM-DDThh:mm:ss[.fraction](Z|(+|-)hh:mm). A missing zone is refused: a local time of
// unknown offset cannot be turned into an instant. Fractions are dropped (lifetimes are whole
// seconds).
system_clock::time_point parseDateTime(std::string_view text) {
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':') {
        bad();
    }
    const std::string_view y = text.substr(0, 4), mo = text.substr(5, 2), d = text.substr(8, 2),
                           h = text.substr(11, 2), mi = text.substr(14, 2), s = text.substr(17, 2);
    for (std::string_view part : {y, mo, d, h, mi, s}) {
        if (!isDigits(part)) {
            bad();
        }
    }
    std::string_view rest = text.substr(19);
    if (!rest.empty() && rest.front() == '.') {
        std::size_t n = 1;
        while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') {
            ++n;
        }
        if (n == 1) {
            bad();
        }
        rest.remove_prefix(n);
    }
    int offsetMinutes = 0;
    if (rest == "Z") {
        offsetMinutes = 0;
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
               isDigits(rest.substr(1, 2)) && isDigits(rest.substr(4, 2))) {
        const int oh = number(rest.substr(1, 2)), om = number(rest.substr(4, 2));
        if (oh > 14 || om > 59) {
            bad();
        }
        offsetMinutes = (rest[0] == '-' ? -1 : 1) * (oh * 60 + om);
    } else {
        bad();
    }
    const year_month_day ymd{year{number(y)}, month{unsigned(number(mo))},
                             day{unsigned(number(d))}};
    const int hour = number(h), minute = number(mi), second = number(s);
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) {
        bad();
    }
    const sys_seconds at =
        sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second} - minutes{offsetMinutes};
    // Years 0000-9999 are well-formed, but the clock holds only about 1677 to 2262.
    const auto inRange = base::timeFromUnixSeconds(at.time_since_epoch().count());
    if (!inRange) {
        throw ParamSetError(
            "xs:dateTime: outside the range of the clock (1677-09-22 to 2262-04-11)");
    }
    return *inRange;
}

std::string toXml(const BootstrapParamSet& params) {
    pugi::xml_document doc;
    pugi::xml_node root = mx::newRoot(doc, "bootstrapParamSet");
    std::string nodeHex = base::toHex(params.nodeId);
    std::transform(nodeHex.begin(), nodeHex.end(), nodeHex.begin(),
                   [](char c) { return char(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c); });
    mx::addText(root, "securityM2MNodeId", nodeHex);
    mx::addText(root, "securityKmrIndex", std::to_string(params.kmrIndex));
    mx::addText(root, "securityLifetime", toDateTime(params.kmrExpiry));
    mx::addText(root, "securityMasFqdn", params.masFqdn);
    mx::addText(root, "sclId", params.sclId);
    pugi::xml_node list = mx::addElement(root, "sclIdList");
    for (const std::string& nscl : params.nsclList) {
        mx::addText(list, "sclId", nscl);
    }
    return mx::serialise(doc);
}

std::string toXml(const ConnectionParamSet& params) {
    pugi::xml_document doc;
    pugi::xml_node root = mx::newRoot(doc, "connectionParamSet");
    mx::addText(root, "securityConnectionId", std::to_string(params.connectionId));
    mx::addText(root, "securityKmcIndex", std::to_string(params.kmcIndex));
    mx::addText(root, "securityLifetime", toDateTime(params.kmcExpiry));
    mx::addText(root, "sclId", params.sclId);
    mx::addText(root, "securitymIdFlags", params.midFlags);
    return mx::serialise(doc);
}

BootstrapParamSet parseBootstrapParamSet(std::string_view xml) {
    pugi::xml_document doc;
    const pugi::xml_node root = mx::parseRoot(doc, xml, "bootstrapParamSet");
    BootstrapParamSet p;
    p.nodeId = parseNodeId(mx::requiredText(root, "securityM2MNodeId", kBootstrap), kBootstrap);
    p.kmrIndex = mx::parseUnsigned<std::uint32_t>(
        mx::requiredText(root, "securityKmrIndex", kBootstrap), "securityKmrIndex", kBootstrap);
    p.kmrExpiry = parseLifetime(mx::requiredText(root, "securityLifetime", kBootstrap), kBootstrap);
    p.masFqdn = mx::requiredText(root, "securityMasFqdn", kBootstrap);
    p.sclId = mx::requiredText(root, "sclId", kBootstrap);
    const pugi::xml_node list = mx::requiredChild(root, "sclIdList", kBootstrap);
    for (pugi::xml_node n : list.children()) {
        if (n.type() != pugi::node_element) {
            continue;
        }
        if (!mx::isM2mElement(n, "sclId")) {
            mx::fail(kBootstrap, "sclIdList holds something other than sclId");
        }
        std::string nscl = mx::textOf(n, "sclIdList/sclId", kBootstrap);
        if (nscl.empty()) {
            mx::fail(kBootstrap, "sclIdList/sclId is empty");
        }
        p.nsclList.push_back(std::move(nscl));
    }
    if (p.nsclList.empty()) {
        mx::fail(kBootstrap, "sclIdList is empty");
    }
    return p;
}

ConnectionParamSet parseConnectionParamSet(std::string_view xml) {
    pugi::xml_document doc;
    const pugi::xml_node root = mx::parseRoot(doc, xml, "connectionParamSet");
    ConnectionParamSet p;
    p.connectionId = mx::parseUnsigned<std::uint64_t>(
        mx::requiredText(root, "securityConnectionId", kConnection), "securityConnectionId",
        kConnection);
    p.kmcIndex = mx::parseUnsigned<std::uint32_t>(
        mx::requiredText(root, "securityKmcIndex", kConnection), "securityKmcIndex", kConnection);
    p.kmcExpiry =
        parseLifetime(mx::requiredText(root, "securityLifetime", kConnection), kConnection);
    p.sclId = mx::requiredText(root, "sclId", kConnection);
    p.midFlags = mx::requiredText(root, "securitymIdFlags", kConnection);
    return p;
}

}  // namespace provisioning
