// The Ub client against a real HTTP server on loopback (cpp-httplib) playing a scripted BSF, with
// a software USIM (Milenage, SQN_MS freshness) behind AkaCard. The BSF side checks every
// response with the same digest_aka functions the lab network's BSF uses, so a client that
// hashed RES as text, cut it at a zero byte or got the AUTS request wrong would not get through.
#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include <catch2/catch.hpp>

#include "log_capture.hpp"
#include "provisioning/bootstrapping_info.hpp"
#include "provisioning/procedure.hpp"
#include "provisioning/ub_client.hpp"
#include "scripted_bsf.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/gba_kdf.hpp"
#include "securechannel/milenage.hpp"
#include "securechannel/tls/https_client.hpp"

using namespace provisioning;
using base::Bytes;
using base::ByteView;
namespace mil = securechannel::milenage;
namespace gba = securechannel::gba;
using std::chrono::system_clock;

using namespace ubtest;

TEST_CASE("Ub: bootstrap against a scripted BSF", "[ub][ub-client]") {
    ScriptedBsf bsf(kK, kOpc, 1000);
    MilenageCard card(kK, kOpc, 500);
    LogCapture logs("provisioning=debug");
    UbClient client(optionsFor(bsf), card);
    const Bootstrap& b = client.bootstrap();
    CHECK(b.btid == bsf.btid());
    CHECK(b.btid == gba::makeBtid(b.rand, kBsfName));
    CHECK(b.impi == kImpi);
    CHECK(b.expiry == std::chrono::floor<std::chrono::seconds>(bsf.lifetime));
    CHECK(client.counters().requests == 2);
    CHECK(client.counters().resyncs == 0);

    const auto seen = bsf.seen();
    REQUIRE(seen.size() == 2);
    // TS 24.109 A.3: the first request names the IMPI with an empty nonce and response.
    const ub::Credentials first = ub::parseAuthorization(seen[0].authorization);
    CHECK(first.username == kImpi);
    CHECK(first.realm == "127.0.0.1");
    CHECK(first.uri == "/bsf");
    CHECK(first.nonce.empty());
    CHECK(first.response.empty());
    const ub::Credentials second = ub::parseAuthorization(seen[1].authorization);
    CHECK(second.qop == ub::Qop::Auth);
    CHECK(second.nc == "00000001");
    CHECK(second.cnonce.size() == 32);
    CHECK(second.opaque == "opaque-1");
    CHECK(second.realm == kBsfName);
    CHECK(seen[1].responseOk);
    for (const auto& s : seen) {
        CHECK(s.userAgent.find("3gpp-gba") != std::string::npos);
    }
    // RES never reaches a log line.
    CHECK(logs.text().find("bootstrapped") != std::string::npos);
    CHECK(logs.text().find(base::toLowerHex(card.lastRes.view())) == std::string::npos);
    CHECK(logs.text().find(base::toHex(card.lastRes.view())) == std::string::npos);

    // A second client's cnonce is fresh.
    MilenageCard card2(kK, kOpc, 500);
    UbClient other(optionsFor(bsf), card2);
    other.bootstrap();
    CHECK(ub::parseAuthorization(bsf.seen()[3].authorization).cnonce != second.cnonce);
}

TEST_CASE("Ub: a RES with a zero byte is sent whole", "[ub][ub-client]") {
    // Look for a RAND whose RES (under these keys) has a 0x00 byte: about 3 % of them do.
    const mil::Keys keys = keysOf(kK, kOpc);
    Bytes rand;
    for (int i = 0; i < 5000 && rand.empty(); ++i) {
        const Bytes candidate = securechannel::randomBytes(16);
        const mil::Output out = mil::compute(keys, candidate, sqnBytes(1), Bytes{0x80, 0x00});
        if (std::find(out.res.view().begin(), out.res.view().end(), 0x00) != out.res.view().end()) {
            rand = candidate;
        }
    }
    REQUIRE_FALSE(rand.empty());

    ScriptedBsf bsf(kK, kOpc, 1000);
    bsf.nextRand = [rand] { return rand; };
    MilenageCard card(kK, kOpc, 500);
    UbClient client(optionsFor(bsf), card);
    const Bootstrap& b = client.bootstrap();
    CHECK(b.rand == rand);
    REQUIRE(card.lastRes.size() == 8);
    CHECK(std::find(card.lastRes.view().begin(), card.lastRes.view().end(), 0x00) !=
          card.lastRes.view().end());
    CHECK(bsf.seen().back().responseOk);
}

TEST_CASE("Ub: qop=auth-int when the BSF offers only that", "[ub][ub-client]") {
    ScriptedBsf bsf(kK, kOpc, 1000);
    bsf.qops = {ub::Qop::AuthInt};
    MilenageCard card(kK, kOpc, 500);
    UbClient client(optionsFor(bsf), card);
    client.bootstrap();
    CHECK(ub::parseAuthorization(bsf.seen()[1].authorization).qop == ub::Qop::AuthInt);
    CHECK(bsf.seen()[1].responseOk);
}

TEST_CASE("Ub: one synchronisation failure is resolved with AUTS", "[ub][ub-client]") {
    ScriptedBsf bsf(kK, kOpc, 100);
    MilenageCard card(kK, kOpc, 5000);  // the card is ahead of the AuC
    UbClient client(optionsFor(bsf), card);
    const Bootstrap& b = client.bootstrap();
    CHECK(b.btid == bsf.btid());
    CHECK(client.counters().requests == 3);
    CHECK(client.counters().resyncs == 1);
    const auto seen = bsf.seen();
    REQUIRE(seen.size() == 3);
    const ub::Credentials resync = ub::parseAuthorization(seen[1].authorization);
    REQUIRE(resync.auts);
    CHECK(resync.auts->size() == 14);
    CHECK(seen[1].responseOk);  // the empty password
    CHECK(seen[2].responseOk);
    CHECK_FALSE(ub::parseAuthorization(seen[2].authorization).auts);
}

TEST_CASE("Ub: a second synchronisation failure is an error", "[ub][ub-client]") {
    ScriptedBsf bsf(kK, kOpc, 100);
    MilenageCard card(kK, kOpc, 5000);
    card.alwaysOutOfSync = true;
    UbClient client(optionsFor(bsf), card);
    CHECK_THROWS_AS(client.bootstrap(), ub::ResynchronisationFailed);
    CHECK(bsf.seen().size() == 2);  // the first request and the one AUTS
    CHECK_FALSE(client.cached());
}

TEST_CASE("Ub: a MAC failure ends the run without a response", "[ub][ub-client]") {
    ScriptedBsf bsf(kK, kOpc, 1000);
    Bytes otherK = kK;
    otherK[0] ^= 0x01;
    MilenageCard card(otherK, kOpc, 0);
    UbClient client(optionsFor(bsf), card);
    CHECK_THROWS_AS(client.bootstrap(), ub::NetworkAuthenticationFailed);
    CHECK(card.calls == 1);
    CHECK(bsf.seen().size() == 1);  // nothing after the challenge
}

TEST_CASE("Ub: the BSF must prove itself with rspauth", "[ub][ub-client]") {
    ScriptedBsf bsf(kK, kOpc, 1000);
    MilenageCard card(kK, kOpc, 0);
    SECTION("wrong") {
        bsf.rspauth = Rspauth::Wrong;
        UbClient client(optionsFor(bsf), card);
        CHECK_THROWS_AS(client.bootstrap(), ub::BsfAuthenticationFailed);
        CHECK_FALSE(client.cached());
    }
    SECTION("missing") {
        bsf.rspauth = Rspauth::Missing;
        UbClient client(optionsFor(bsf), card);
        CHECK_THROWS_AS(client.bootstrap(), ub::BsfAuthenticationFailed);
    }
    SECTION("missing, tolerated by configuration") {
        bsf.rspauth = Rspauth::Missing;
        UbClientOptions o = optionsFor(bsf);
        o.tolerateMissingRspauth = true;
        UbClient client(o, card);
        const std::string btid = client.bootstrap().btid;
        CHECK(btid == bsf.btid());
    }
    SECTION("wrong, even when a missing one is tolerated") {
        bsf.rspauth = Rspauth::Wrong;
        UbClientOptions o = optionsFor(bsf);
        o.tolerateMissingRspauth = true;
        UbClient client(o, card);
        CHECK_THROWS_AS(client.bootstrap(), ub::BsfAuthenticationFailed);
    }
}

TEST_CASE("Ub: malformed challenges are refused before the card is asked", "[ub][ub-client]") {
    const std::vector<std::pair<const char*, std::function<void(httplib::Response&)>>> cases{
        {"no WWW-Authenticate", [](httplib::Response&) {}},
        {"Basic only",
         [](httplib::Response& r) { r.set_header("WWW-Authenticate", "Basic realm=\"x\""); }},
        {"algorithm MD5",
         [](httplib::Response& r) {
             r.set_header(
                 "WWW-Authenticate",
                 "Digest realm=\"r\", nonce=\"I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=\", "
                 "qop=\"auth\", algorithm=MD5");
         }},
        {"realm twice",
         [](httplib::Response& r) {
             r.set_header("WWW-Authenticate",
                          "Digest realm=\"r\", realm=\"s\", nonce=\"I1U8vpY3qJ0hiuZNrke/"
                          "NVXzKLQ1d7m5Sp/6w1Tfr7M=\", qop=\"auth\", algorithm=AKAv1-MD5");
         }},
        {"short nonce",
         [](httplib::Response& r) {
             r.set_header("WWW-Authenticate",
                          "Digest realm=\"r\", nonce=\"I1U8vpY3\", qop=\"auth\", "
                          "algorithm=AKAv1-MD5");
         }},
        {"no qop",
         [](httplib::Response& r) {
             r.set_header("WWW-Authenticate",
                          "Digest realm=\"r\", nonce=\"I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/"
                          "6w1Tfr7M=\", algorithm=AKAv1-MD5");
         }},
        {"two Digest challenges",
         [](httplib::Response& r) {
             const std::string c =
                 "Digest realm=\"r\", nonce=\"I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=\", "
                 "qop=\"auth\", algorithm=AKAv1-MD5";
             r.headers.emplace("WWW-Authenticate", c);
             r.headers.emplace("WWW-Authenticate", c);
         }},
        {"unterminated quote",
         [](httplib::Response& r) {
             r.set_header("WWW-Authenticate", "Digest realm=\"r, nonce=\"x\", algorithm=AKAv1-MD5");
         }},
    };
    for (const auto& [name, breaker] : cases) {
        INFO(name);
        ScriptedBsf bsf(kK, kOpc, 1000);
        bsf.breakChallenge = breaker;
        MilenageCard card(kK, kOpc, 0);
        UbClient client(optionsFor(bsf), card);
        CHECK_THROWS_AS(client.bootstrap(), ub::DigestSyntaxError);
        CHECK(card.calls == 0);
        CHECK(bsf.seen().size() == 1);
    }
}

TEST_CASE("Ub: HTTP failures map to the procedure errors", "[ub][ub-client]") {
    MilenageCard card(kK, kOpc, 0);
    SECTION("500") {
        ScriptedBsf bsf(kK, kOpc, 1000);
        bsf.failStatus = 500;
        UbClient client(optionsFor(bsf), card);
        CHECK_THROWS_AS(client.bootstrap(), ServerError);
    }
    SECTION("403 to the first request") {
        ScriptedBsf bsf(kK, kOpc, 1000);
        bsf.failStatus = 403;
        UbClient client(optionsFor(bsf), card);
        CHECK_THROWS_AS(client.bootstrap(), RequestRefused);
    }
    SECTION("the BSF refuses the response") {
        ScriptedBsf bsf(kK, kOpc, 1000);
        bsf.refuseResponse = true;
        UbClient client(optionsFor(bsf), card);
        CHECK_THROWS_AS(client.bootstrap(), ub::UserAuthenticationFailed);
    }
    SECTION("nobody listening") {
        UbClientOptions o;
        {
            ScriptedBsf bsf(kK, kOpc, 1000);
            o = optionsFor(bsf);
        }
        UbClient client(o, card);
        CHECK_THROWS_AS(client.bootstrap(), securechannel::tls::ConnectFailed);
    }
    SECTION("a malformed BootstrappingInfo") {
        ScriptedBsf bsf(kK, kOpc, 1000);
        bsf.body = "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>a@b</btid></BootstrappingInfo>";
        UbClient client(optionsFor(bsf), card);
        CHECK_THROWS_AS(client.bootstrap(), ub::BootstrappingInfoError);
        CHECK_FALSE(client.cached());
    }
    SECTION("a lifetime that is already over") {
        ScriptedBsf bsf(kK, kOpc, 1000);
        bsf.lifetime = system_clock::now() - std::chrono::seconds(5);
        UbClient client(optionsFor(bsf), card);
        CHECK_THROWS_AS(client.bootstrap(), ProtocolMismatch);
        CHECK_FALSE(client.cached());
    }
    SECTION("no IMPI, no host") {
        UbClientOptions o;
        o.bsfUrl = "http://bsf/";
        CHECK_THROWS_AS(UbClient(o, card), ub::UbError);
        o.impi = kImpi;
        o.bsfUrl = "bsf/";
        CHECK_THROWS_AS(UbClient(o, card), ub::UbError);
    }
}

TEST_CASE("Ub: the bootstrap cache follows lifetime, margin and invalidate()", "[ub][ub-client]") {
    ScriptedBsf bsf(kK, kOpc, 1000);
    MilenageCard card(kK, kOpc, 0);
    system_clock::time_point now = std::chrono::floor<std::chrono::seconds>(system_clock::now());
    bsf.lifetime = now + std::chrono::hours(1);
    UbClientOptions o = optionsFor(bsf);
    o.expiryMargin = std::chrono::minutes(10);
    o.now = [&now] { return now; };
    UbClient client(o, card);

    const std::string first = client.bootstrap().btid;
    CHECK(client.counters().runs == 1);
    CHECK(client.bootstrap().btid == first);
    CHECK(client.counters().cacheHits == 1);

    now += std::chrono::minutes(50) - std::chrono::seconds(1);  // just inside the margin's edge
    CHECK(client.bootstrap().btid == first);
    CHECK(client.counters().runs == 1);

    now += std::chrono::seconds(1);  // expiry - margin reached: a new run
    bsf.lifetime = now + std::chrono::hours(1);
    const std::string second = client.bootstrap().btid;
    CHECK(second != first);
    CHECK(client.counters().runs == 2);

    client.invalidate();  // a NAF refused the B-TID
    CHECK_FALSE(client.cached());
    CHECK(client.bootstrap().btid != second);
    CHECK(client.counters().runs == 3);
    const std::string third = client.cached()->btid;
    CHECK(client.bootstrapNow().btid != third);  // always a new run
    CHECK(client.counters().runs == 4);
}
