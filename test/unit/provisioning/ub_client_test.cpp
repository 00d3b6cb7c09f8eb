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

namespace {

constexpr const char* kImpi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
constexpr const char* kBsfName = "bsf.test";

mil::Keys keysOf(ByteView k, ByteView opc) {
    return {base::SecretBuffer::copyOf(k), base::SecretBuffer::copyOf(opc)};
}

Bytes sqnBytes(std::uint64_t value) {
    Bytes out(6);
    for (int i = 5; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value & 0xFF);
        value >>= 8;
    }
    return out;
}

std::uint64_t sqnValue(ByteView sqn) {
    std::uint64_t v = 0;
    for (const auto b : sqn) {
        v = (v << 8) | b;
    }
    return v;
}

// A USIM in software: MAC-A checked, SQN accepted only if above SQN_MS (a simplification of
// TS 33.102 Annex C that is enough to force a resynchronisation).
class MilenageCard : public AkaCard {
public:
    MilenageCard(ByteView k, ByteView opc, std::uint64_t sqnMs)
        : keys_(keysOf(k, opc)), sqnMs_(sqnMs) {}

    AkaAnswer authenticateGbaBootstrap(const AkaChallenge& challenge) override {
        ++calls;
        AkaAnswer answer;
        const auto sqn = mil::sqnFromAutn(keys_, challenge.rand, challenge.autn);
        if (!sqn) {
            answer.kind = AkaAnswer::Kind::MacFailure;
            return answer;
        }
        if (alwaysOutOfSync || sqnValue(*sqn) <= sqnMs_) {
            answer.kind = AkaAnswer::Kind::SyncFailure;
            answer.auts = mil::makeAuts(keys_, challenge.rand, sqnBytes(sqnMs_));
            return answer;
        }
        sqnMs_ = sqnValue(*sqn);
        mil::Output out =
            mil::compute(keys_, challenge.rand, *sqn, ByteView(challenge.autn).subspan(6, 2));
        answer.kind = AkaAnswer::Kind::Res;
        answer.res = base::SecretBuffer::takeFrom(out.res);
        lastRes = base::SecretBuffer::copyOf(answer.res.view());
        return answer;
    }

    bool alwaysOutOfSync = false;
    int calls = 0;
    base::SecretBuffer lastRes;

private:
    mil::Keys keys_;
    std::uint64_t sqnMs_;
};

// What the scripted BSF does with the response to its challenge.
enum class Rspauth { Correct, Wrong, Missing };

// The BSF: a Milenage AuC with its own SQN, the challenge, the check of each response, the
// BootstrappingInfo. Hooks let a test break any step.
class ScriptedBsf {
public:
    ScriptedBsf(ByteView k, ByteView opc, std::uint64_t sqn) : keys_(keysOf(k, opc)), sqn_(sqn) {
        server_.Get("/bsf", [this](const httplib::Request& req, httplib::Response& res) {
            handle(req, res);
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        REQUIRE(port_ > 0);
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        // stop() needs httplib to know it runs, or it would not close the listening socket.
        while (!server_.is_running()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    ~ScriptedBsf() {
        server_.stop();
        thread_.join();
    }
    ScriptedBsf(const ScriptedBsf&) = delete;
    ScriptedBsf& operator=(const ScriptedBsf&) = delete;

    [[nodiscard]] std::string url() const {
        return "http://127.0.0.1:" + std::to_string(port_) + "/bsf";
    }

    // Script knobs (set before the run).
    std::vector<ub::Qop> qops{ub::Qop::Auth, ub::Qop::AuthInt};
    Rspauth rspauth = Rspauth::Correct;
    std::function<Bytes()> nextRand = [] { return securechannel::randomBytes(16); };
    std::function<void(httplib::Response&)> breakChallenge;  // replaces the 401's headers
    int failStatus = 0;           // answer every request with this status
    bool refuseResponse = false;  // 403 to a correct response
    system_clock::time_point lifetime = system_clock::now() + std::chrono::hours(24);
    std::optional<std::string> body;  // sent instead of the BootstrappingInfo

    // What it saw.
    struct Seen {
        std::string authorization;
        std::string userAgent;
        bool responseOk = false;
    };
    std::vector<Seen> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }
    std::string btid() const {
        std::lock_guard lock(mutex_);
        return btid_;
    }

private:
    void challenge(httplib::Response& res) {
        const Bytes rand = nextRand();
        ++sqn_;
        vector_ = mil::makeVector(keys_, rand, sqnBytes(sqn_), Bytes{0x80, 0x00});
        ub::Challenge c;
        c.realm = kBsfName;
        c.nonce = ub::encodeAkaNonce({vector_.rand, vector_.autn, {0x42}});
        c.opaque = "opaque-1";
        c.qops = qops;
        nonce_ = c.nonce;
        res.status = 401;
        res.set_header("WWW-Authenticate", ub::formatChallenge(c));
        if (breakChallenge) {
            res.headers.erase("WWW-Authenticate");
            breakChallenge(res);
        }
    }

    void handle(const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex_);
        Seen s{req.get_header_value("Authorization"), req.get_header_value("User-Agent")};
        if (failStatus != 0) {
            res.status = failStatus;
            seen_.push_back(s);
            return;
        }
        // No Catch2 assertions on the server's thread: a broken request is a 400 the test sees.
        const ub::Credentials c = ub::parseAuthorization(s.authorization);
        if (c.nonce.empty()) {
            seen_.push_back(s);
            challenge(res);
            return;
        }
        if (c.nonce != nonce_) {
            seen_.push_back(s);
            res.status = 400;
            return;
        }
        if (c.auts) {
            // The AUTS request is answered with the empty password (RFC 3310 §3.4).
            s.responseOk = ub::digestEquals(c.response, ub::requestDigest({}, c, "GET", {}));
            const auto sqnMs = mil::sqnFromAuts(keys_, vector_.rand, *c.auts);
            if (!sqnMs || !s.responseOk) {
                seen_.push_back(s);
                res.status = 400;
                return;
            }
            sqn_ = sqnValue(*sqnMs);
            seen_.push_back(s);
            challenge(res);
            return;
        }
        s.responseOk = ub::digestEquals(c.response, ub::requestDigest(vector_.xres, c, "GET", {}));
        seen_.push_back(s);
        if (!s.responseOk || refuseResponse) {
            res.status = 403;
            return;
        }
        btid_ = gba::makeBtid(vector_.rand, kBsfName);
        const std::string xml = body ? *body : ub::toXml(ub::BootstrappingInfo{btid_, lifetime});
        ub::AuthenticationInfo info;
        info.qop = c.qop;
        info.cnonce = c.cnonce;
        info.nc = c.nc;
        info.rspauth = ub::responseAuth(vector_.xres, c, base::asBytes(xml));
        if (rspauth == Rspauth::Wrong) {
            (*info.rspauth)[0] = (*info.rspauth)[0] == '0' ? '1' : '0';
        }
        if (rspauth != Rspauth::Missing) {
            res.set_header("Authentication-Info", ub::formatAuthenticationInfo(info));
        }
        res.status = 200;
        res.set_content(xml, ub::kBsfContentType);
    }

    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    mutable std::mutex mutex_;
    mil::Keys keys_;
    std::uint64_t sqn_;
    mil::Vector vector_;
    std::string nonce_;
    std::string btid_;
    std::vector<Seen> seen_;
};

const Bytes kK = base::fromHex("465b5ce8b199b49faa5f0a2ee238a6bc");
const Bytes kOpc = base::fromHex("cd63cb71954a9f4e48a5994e37a02baf");

UbClientOptions optionsFor(const ScriptedBsf& bsf) {
    UbClientOptions o;
    o.bsfUrl = bsf.url();
    o.impi = kImpi;
    o.connectTimeout = std::chrono::milliseconds(2000);
    o.timeout = std::chrono::milliseconds(5000);
    return o;
}

}  // namespace

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
        if (std::find(out.res.begin(), out.res.end(), 0x00) != out.res.end()) {
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
