// The BSF's BootstrappingInfo document (TS 24.109 Annex C): the vector's 200 body, both
// namespace spellings, the elements later schemas add, and the refusals.
#include <string>

#include <catch2/catch.hpp>

#include "provisioning/bootstrapping_info.hpp"
#include "provisioning/param_sets.hpp"
#include "test_support.hpp"

using namespace provisioning::ub;
using sctest::loadSection;

TEST_CASE("BootstrappingInfo: the vector's 200 body and what we write",
          "[ub][bootstrapping-info]") {
    const auto ok = loadSection("gba-digest-and-usim.json", "/ub_digest_aka/ok_200");
    CHECK(ok.at("content_type").get<std::string>() == kBsfContentType);
    const BootstrappingInfo info = parseBootstrappingInfo(ok.at("body").get<std::string>());
    CHECK(info.btid == "I1U8vpY3qJ0hiuZNrke/NQ==@bsf.home1.net");
    CHECK(info.lifetime == provisioning::parseDateTime("2030-01-01T00:00:00Z"));

    const std::string xml = toXml(info);
    CHECK(xml.find("<BootstrappingInfo xmlns=\"uri:3gpp-gba\">") != std::string::npos);
    const BootstrappingInfo back = parseBootstrappingInfo(xml);
    CHECK(back.btid == info.btid);
    CHECK(back.lifetime == info.lifetime);
}

TEST_CASE("BootstrappingInfo: a prefix, an offset and an Extension are fine",
          "[ub][bootstrapping-info]") {
    const BootstrappingInfo info = parseBootstrappingInfo(
        "<g:BootstrappingInfo xmlns:g=\"uri:3gpp-gba\">"
        "<g:btid> abc@bsf </g:btid><g:lifetime>2030-01-01T02:00:00+02:00</g:lifetime>"
        "<g:Extension><g:currenttime>2029-12-31T00:00:00Z</g:currenttime></g:Extension>"
        "<other xmlns=\"urn:x\">ignored</other></g:BootstrappingInfo>");
    CHECK(info.btid == "abc@bsf");
    CHECK(info.lifetime == provisioning::parseDateTime("2030-01-01T00:00:00Z"));
}

TEST_CASE("BootstrappingInfo: malformed documents are refused", "[ub][bootstrapping-info]") {
    const std::string btid = "<btid>a@b</btid>";
    const std::string lifetime = "<lifetime>2030-01-01T00:00:00Z</lifetime>";
    auto doc = [](const std::string& inner, const std::string& ns = "uri:3gpp-gba") {
        return "<BootstrappingInfo xmlns=\"" + ns + "\">" + inner + "</BootstrappingInfo>";
    };
    for (const std::string& bad : {
             std::string(""),
             std::string("<BootstrappingInfo"),
             doc(btid + lifetime, "uri:3gpp-gba-x"),
             std::string("<BootstrappingInfo>") + btid + lifetime + "</BootstrappingInfo>",
             doc(lifetime),
             doc(btid),
             doc(btid + btid + lifetime),
             doc(btid + lifetime + lifetime),
             doc("<btid></btid>" + lifetime),
             doc("<btid>a b</btid>" + lifetime),
             doc("<btid>" + std::string(256, 'a') + "</btid>" + lifetime),
             doc("<btid>a<x/>b</btid>" + lifetime),
             doc(btid + "<lifetime>2030-01-01T00:00:00</lifetime>"),
             doc(btid + "<lifetime>tomorrow</lifetime>"),
             doc(btid + "<lifetime>9999-01-01T00:00:00Z</lifetime>"),
             "<!DOCTYPE x [<!ENTITY e \"a@b\">]>" + doc("<btid>&e;</btid>" + lifetime),
             doc(btid + lifetime) + "<second/>",
             "<Other xmlns=\"uri:3gpp-gba\">" + btid + lifetime + "</Other>",
         }) {
        INFO(bad.substr(0, 120));
        CHECK_THROWS_AS(parseBootstrappingInfo(bad), BootstrappingInfoError);
    }
    CHECK_THROWS_AS(toXml(BootstrappingInfo{"a b", {}}), BootstrappingInfoError);
}
