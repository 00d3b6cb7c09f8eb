// A scripted BSF (cpp-httplib on loopback, a Milenage AuC, every response checked with the same
// digest_aka functions the lab network's BSF uses) and a software USIM behind AkaCard: the Ub
// client's tests and the GBA procedures' tests run against them.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include <catch2/catch.hpp>

#include "provisioning/bootstrapping_info.hpp"
#include "provisioning/digest_aka.hpp"
#include "provisioning/ub_client.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/gba_kdf.hpp"
#include "securechannel/milenage.hpp"

namespace ubtest {

using base::Bytes;
using base::ByteView;
using namespace provisioning;
namespace mil = securechannel::milenage;
namespace gba = securechannel::gba;
using std::chrono::system_clock;

inline constexpr const char* kImpi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
inline constexpr const char* kBsfName = "bsf.test";

inline mil::Keys keysOf(ByteView k, ByteView opc) {
    return {base::SecretBuffer::copyOf(k), base::SecretBuffer::copyOf(opc)};
}

inline Bytes sqnBytes(std::uint64_t value) {
    Bytes out(6);
    for (int i = 5; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value & 0xFF);
        value >>= 8;
    }
    return out;
}

inline std::uint64_t sqnValue(ByteView sqn) {
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
        answer.res = std::move(out.res);
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
        s.responseOk =
            ub::digestEquals(c.response, ub::requestDigest(vector_.xres.view(), c, "GET", {}));
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
        info.rspauth = ub::responseAuth(vector_.xres.view(), c, base::asBytes(xml));
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

inline const Bytes kK = base::fromHex("465b5ce8b199b49faa5f0a2ee238a6bc");
inline const Bytes kOpc = base::fromHex("cd63cb71954a9f4e48a5994e37a02baf");

inline UbClientOptions optionsFor(const ScriptedBsf& bsf) {
    UbClientOptions o;
    o.bsfUrl = bsf.url();
    o.impi = kImpi;
    o.connectTimeout = std::chrono::milliseconds(2000);
    o.timeout = std::chrono::milliseconds(5000);
    return o;
}

}  // namespace ubtest
