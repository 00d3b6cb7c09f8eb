#include "provisioning/bootstrapping_info.hpp"

#include <algorithm>

#include "provisioning/m2m_xml.hpp"
#include "provisioning/param_sets.hpp"

namespace provisioning::ub {

namespace {

namespace mx = provisioning::m2mxml;
constexpr std::string_view kDocument = "BootstrappingInfo";

void checkBtid(std::string_view btid) {
    const bool ok =
        !btid.empty() && btid.size() <= kMaxBtidLength &&
        std::all_of(btid.begin(), btid.end(), [](char c) { return c > 0x20 && c < 0x7F; });
    if (!ok) {
        throw BootstrappingInfoError("BootstrappingInfo: btid is not 1-" +
                                     std::to_string(kMaxBtidLength) +
                                     " printable characters without spaces");
    }
}

}  // namespace

BootstrappingInfo parseBootstrappingInfo(std::string_view xml) {
    try {
        pugi::xml_document doc;
        const pugi::xml_node root = mx::parseRoot(doc, xml, kDocument, kGbaNamespace);
        BootstrappingInfo info;
        info.btid = mx::requiredText(root, "btid", kDocument, kGbaNamespace);
        checkBtid(info.btid);
        const std::string lifetime = mx::requiredText(root, "lifetime", kDocument, kGbaNamespace);
        try {
            info.lifetime = parseDateTime(lifetime);
        } catch (const ParamSetError&) {
            throw BootstrappingInfoError("BootstrappingInfo: lifetime is not an xs:dateTime");
        }
        return info;
    } catch (const ParamSetError& e) {
        throw BootstrappingInfoError(e.what());
    }
}

std::string toXml(const BootstrappingInfo& info) {
    checkBtid(info.btid);
    pugi::xml_document doc;
    pugi::xml_node root = mx::newRoot(doc, kDocument, kGbaNamespace);
    root.append_child("btid").text().set(info.btid.c_str());
    root.append_child("lifetime").text().set(toDateTime(info.lifetime).c_str());
    return mx::serialise(doc);
}

}  // namespace provisioning::ub
