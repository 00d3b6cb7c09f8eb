// The lab network's BSF and GBA NAFs, against a real osmo-hlr the server starts (and the built-in
// AuC): Ub over real loopback HTTP, driven by the test as a software USIM (Milenage and the
// Digest AKA functions of the device side), and Ua by `openssl s_client` and a PSK client.
#include <signal.h>
#include <sys/wait.h>

#include <httplib.h>
#include <catch2/catch.hpp>

#include "base/big_endian.hpp"
#include "base/bytes.hpp"
#include "netsim_support.hpp"
#include "provisioning/bootstrapping_info.hpp"
#include "provisioning/digest_aka.hpp"
#include "provisioning/param_sets.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/gba_kdf.hpp"
#include "securechannel/milenage.hpp"

using namespace nstest;
namespace ub = provisioning::ub;
namespace gba = securechannel::gba;
namespace milenage = securechannel::milenage;

namespace {

constexpr const char* kBsfFqdn = "bsf.lab.m2m";
constexpr std::uint16_t kPskAes128CbcSha256 = 0x00AE;

bool osmoHlrInstalled() {
    return runCommand({"sh", "-c", "command -v osmo-hlr"}).exitCode == 0;
}

TestNode gbaNode(std::uint8_t seed) {
    TestNode node = TestNode::random(seed);
    node.imsi = "00101" + std::string(9, '0') + std::to_string(seed % 10);
    node.usimK = securechannel::randomBytes(16);
    node.usimOpc = securechannel::randomBytes(16);
    return node;
}

auto sqn6(std::uint64_t v) {
    return base::toBigEndian<milenage::kSqnSize>(v);
}

// A USIM in software: Milenage with a plain "SQN above SQN_MS" freshness rule (enough for one
// network client).
struct SoftUsim {
    milenage::Keys keys;
    std::uint64_t sqnMs = 0;
    std::uint64_t lastSqn = 0;  // of the last challenge seen

    explicit SoftUsim(const TestNode& node)
        : keys{base::SecretBuffer::copyOf(node.usimK), base::SecretBuffer::copyOf(node.usimOpc)} {}

    // RES, or AUTS (second) if the SQN is not fresh.
    std::pair<std::optional<Bytes>, std::optional<Bytes>> authenticate(ByteView rand,
                                                                       ByteView autn) {
        const auto sqn = milenage::sqnFromAutn(keys, rand, autn);
        REQUIRE(sqn.has_value());  // MAC-A right: the network knows K
        lastSqn = base::readBigEndian(*sqn);
        if (lastSqn <= sqnMs) {
            return {std::nullopt, milenage::makeAuts(keys, rand, sqn6(sqnMs))};
        }
        sqnMs = lastSqn;
        const auto out = milenage::compute(keys, rand, *sqn, ByteView(autn.data() + 6, 2));
        return {Bytes(out.res.view().begin(), out.res.view().end()), std::nullopt};
    }
};

struct UbResult {
    int status = 0;
    std::string btid;
    std::string body;
    Bytes rand;
    Bytes res;
    ub::Credentials answer;
    std::string authorization;  // the header sent with the answer
    std::string rspauth;
};

// Ub over HTTPS when set (the test's own self-signed certificate: not verified here).
bool gHttps = false;

httplib::Result get(std::uint16_t port, const std::string& authorization) {
    if (gHttps) {
        httplib::SSLClient client("127.0.0.1", port);
        client.enable_server_certificate_verification(false);
        client.set_read_timeout(std::chrono::seconds(15));
        return client.Get("/", {{"Authorization", authorization}});
    }
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(std::chrono::seconds(15));
    return client.Get("/", {{"Authorization", authorization}});
}

std::string initialAuthorization(const std::string& impi) {
    ub::Credentials c;
    c.username = impi;
    c.realm = kBsfFqdn;
    c.uri = "/";
    return ub::formatAuthorization(c);
}

// One challenge answered; `auts` instead of RES when the USIM asks for a resynchronisation.
struct Challenged {
    ub::Challenge challenge;
    Bytes rand, autn;
};

Challenged challenged(const httplib::Result& r) {
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 401);
    Challenged c;
    c.challenge = ub::parseChallenge(r->get_header_value("WWW-Authenticate"));
    const auto nonce = ub::decodeAkaNonce(c.challenge.nonce);
    c.rand = nonce.rand;
    c.autn = nonce.autn;
    return c;
}

ub::Credentials answerTo(const Challenged& c, const std::string& impi) {
    ub::Credentials a;
    a.username = impi;
    a.realm = c.challenge.realm;
    a.nonce = c.challenge.nonce;
    a.uri = "/";
    a.qop = ub::Qop::Auth;
    a.nc = "00000001";
    a.cnonce = "0a4f113b";
    a.opaque = c.challenge.opaque;
    return a;
}

// The whole Ub run of a client: initial request, AUTS once if the USIM asks, the answer.
UbResult bootstrap(std::uint16_t port, SoftUsim& usim, const std::string& impi,
                   int* resyncs = nullptr) {
    auto c = challenged(get(port, initialAuthorization(impi)));
    auto [res, auts] = usim.authenticate(c.rand, c.autn);
    if (auts) {
        ub::Credentials a = answerTo(c, impi);
        a.auts = *auts;
        a.response = ub::requestDigest({}, a, "GET", {});
        c = challenged(get(port, ub::formatAuthorization(a)));
        if (resyncs != nullptr) {
            ++*resyncs;
        }
        std::tie(res, auts) = usim.authenticate(c.rand, c.autn);
        REQUIRE(res.has_value());
    }
    UbResult out;
    out.rand = c.rand;
    out.res = *res;
    out.answer = answerTo(c, impi);
    out.answer.response = ub::requestDigest(out.res, out.answer, "GET", {});
    out.authorization = ub::formatAuthorization(out.answer);
    const auto r = get(port, out.authorization);
    REQUIRE(r);
    out.status = r->status;
    out.body = r->body;
    if (r->status == 200) {
        const auto info = ub::parseAuthenticationInfo(r->get_header_value("Authentication-Info"));
        out.rspauth = info.rspauth.value_or("");
        out.btid = ub::parseBootstrappingInfo(r->body).btid;
    }
    return out;
}

// Ks_ext_NAF / Ks_int_NAF of a bootstrap for a TLS-PSK NAF, as the device computes them.
struct DeviceKeys {
    base::SecretBuffer ext, intNaf;
};
DeviceKeys nafKeys(const TestNode& node, const UbResult& b, const std::string& fqdn,
                   std::uint16_t suite) {
    const auto out = milenage::compute(SoftUsim(node).keys, b.rand, sqn6(0), Bytes{0, 0});
    const auto ks = gba::makeKs(out.ck.view(), out.ik.view());
    const auto naf = gba::tlsPskNafId(fqdn, suite);
    const std::string impi = gba::impiFromImsi(node.imsi);
    return {gba::ksExtNaf(ks.view(), b.rand, impi, naf),
            gba::ksIntNaf(ks.view(), b.rand, impi, naf)};
}

CommandResult sClient(std::uint16_t port, ByteView psk, const std::string& identity,
                      const std::string& request) {
    return runCommand({"openssl", "s_client", "-quiet", "-psk", lowerHex(psk), "-psk_identity",
                       identity, "-tls1_2", "-cipher", "PSK-AES128-CBC-SHA256", "-connect",
                       "127.0.0.1:" + std::to_string(port), "-ign_eof"},
                      request);
}

bool processGone(int pid) {
    for (int i = 0; i < 100; ++i) {
        if (::kill(pid, 0) != 0) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::vector<std::string> gbaArgs(const std::string& auc) {
    return {"--bsf", "127.0.0.1:0", "--auc", auc, "--auc-timeout", "3"};
}

}  // namespace

TEST_CASE("gba: a full Ub bootstrap against osmo-hlr, replay, wrong RES, Ua", "[netsim][gba]") {
    if (!osmoHlrInstalled()) {
        WARN("osmo-hlr is not installed (tools/scripts/setup.sh): skipped");
        return;
    }
    const TestNode node = gbaNode(1);
    const std::string impi = gba::impiFromImsi(node.imsi);
    NetsimServer server({node}, {gbaArgs("osmo-hlr")});
    REQUIRE(server.bsf() != 0);
    REQUIRE(server.hlrPid() > 0);
    const int hlrPid = server.hlrPid();
    SoftUsim usim(node);

    // The import reached osmo-hlr through its VTY: it hands out vectors of the card's K.
    const UbResult b = bootstrap(server.bsf(), usim, impi);
    INFO(server.log());
    REQUIRE(b.status == 200);
    CHECK(b.btid == gba::makeBtid(b.rand, kBsfFqdn));
    CHECK(ub::digestEquals(b.rspauth, ub::responseAuth(b.res, b.answer, base::asBytes(b.body))));
    const auto shown = server.show();
    CHECK(shown["auc"] == "osmo-hlr");
    REQUIRE(shown["bootstraps"].size() == 1);
    CHECK(shown["bootstraps"][0]["btid"] == b.btid);
    CHECK(shown["bootstraps"][0]["impi"] == impi);
    CHECK(shown["subscribers"][0]["auc_synced"] == true);

    SECTION("the same Authorization again is refused: a vector is used once") {
        const auto again = get(server.bsf(), b.authorization);
        REQUIRE(again);
        CHECK(again->status == 403);
    }
    SECTION("a wrong RES is refused") {
        auto c = challenged(get(server.bsf(), initialAuthorization(impi)));
        auto a = answerTo(c, impi);
        Bytes wrong = *usim.authenticate(c.rand, c.autn).first;
        wrong[0] ^= 0x01;
        a.response = ub::requestDigest(wrong, a, "GET", {});
        const auto r = get(server.bsf(), ub::formatAuthorization(a));
        REQUIRE(r);
        CHECK(r->status == 403);
        // The RES sent as hex text (a known client bug) is refused too.
        auto c2 = challenged(get(server.bsf(), initialAuthorization(impi)));
        auto a2 = answerTo(c2, impi);
        const std::string hexRes = lowerHex(*usim.authenticate(c2.rand, c2.autn).first);
        a2.response = ub::requestDigest(base::asBytes(hexRes), a2, "GET", {});
        const auto r2 = get(server.bsf(), ub::formatAuthorization(a2));
        REQUIRE(r2);
        CHECK(r2->status == 403);
    }
    SECTION("an unknown IMSI is refused") {
        const auto r =
            get(server.bsf(), initialAuthorization(gba::impiFromImsi("001019999999999")));
        REQUIRE(r);
        CHECK(r->status == 403);
    }
    SECTION("Ua at the MSBF: the right Ks_ext_NAF opens it, Kmr = Ks_int_NAF") {
        const auto keys = nafKeys(node, b, "msbf.lab.m2m", kPskAes128CbcSha256);
        const std::string request =
            "GET /m2m/bootstrap HTTP/1.1\r\nHost: msbf.lab.m2m\r\nConnection: close\r\n\r\n";
        const CommandResult r =
            sClient(server.msbf(), keys.ext.view(), "3GPP-bootstrapping;" + b.btid, request);
        INFO(r.err);
        REQUIRE_THAT(r.out, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
        const auto params =
            provisioning::parseBootstrapParamSet(r.out.substr(r.out.find("\r\n\r\n") + 4));
        CHECK(params.kmrIndex == 2);
        const auto state = server.nodeState(node);
        CHECK(state["kmr_kcv"] == kcv(keys.intNaf.view()));
        // Kmr does not outlive the bootstrap.
        CHECK(state["kmr_expiry_unix"].get<std::int64_t>() <=
              shown["bootstraps"][0]["expiry_unix"].get<std::int64_t>());

        // The "." separator and none are accepted as well.
        for (const std::string prefix : {"3GPP-bootstrapping.", "3GPP-bootstrapping"}) {
            const CommandResult other =
                sClient(server.msbf(), keys.ext.view(), prefix + b.btid, request);
            CHECK_THAT(other.out, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
        }
    }
    SECTION("Ua: a wrong key or an unknown B-TID fails the handshake, counted") {
        auto keys = nafKeys(node, b, "msbf.lab.m2m", kPskAes128CbcSha256);
        // The key of another suite's NAF_Id is a wrong key.
        const auto otherSuite = nafKeys(node, b, "msbf.lab.m2m", 0x008C);
        const CommandResult wrong =
            sClient(server.msbf(), otherSuite.ext.view(), "3GPP-bootstrapping;" + b.btid, "");
        CHECK(wrong.out.find("HTTP/1.1") == std::string::npos);
        CHECK(wrong.exitCode != 0);
        const std::string unknownBtid = gba::makeBtid(securechannel::randomBytes(16), kBsfFqdn);
        const CommandResult unknown =
            sClient(server.msbf(), keys.ext.view(), "3GPP-bootstrapping;" + unknownBtid, "");
        CHECK(unknown.exitCode != 0);
        CHECK_THAT(unknown.err, Catch::Contains("unknown psk identity"));
        CHECK(counterOnceAt(server, "msbf", "btid_refused", 1) == 1);
    }
    SECTION("the GBA-based service connection at the NSCL: Kmc = Ks_int_NAF") {
        const auto keys = nafKeys(node, b, "nscl.lab.m2m", kPskAes128CbcSha256);
        const CommandResult r =
            sClient(server.connection(), keys.ext.view(), "3GPP-bootstrapping;" + b.btid,
                    "POST /m2m/connection HTTP/1.1\r\nHost: nscl.lab.m2m\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n");
        INFO(r.err);
        REQUIRE_THAT(r.out, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
        CHECK(server.nodeState(node)["kmc_kcv"] == kcv(keys.intNaf.view()));
    }
    SECTION("a node imported while serve runs reaches osmo-hlr before its first vector") {
        const TestNode late = gbaNode(4);
        const auto keys = server.dir() / "late.json";
        sctest::writeFile(keys, std::string_view(late.exportJson()));
        REQUIRE(server.netsim({"import", keys.string()}).exitCode == 0);
        SoftUsim lateUsim(late);
        const UbResult r = bootstrap(server.bsf(), lateUsim, gba::impiFromImsi(late.imsi));
        CHECK(r.status == 200);
    }
    SECTION("osmo-hlr down: 503, the lab network stays up") {
        REQUIRE(::kill(hlrPid, SIGKILL) == 0);
        // The GSUP link notices the close; a request then fails at once or at the deadline.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        const auto r = get(server.bsf(), initialAuthorization(impi));
        REQUIRE(r);
        CHECK(r->status == 503);
        CHECK(r->get_header_value("Retry-After") == "5");
        CHECK(server.running());
    }
    // No key in the store dump, and none in the log.
    const std::string log = server.log();
    for (const std::string& k : node.keyHexes()) {
        CHECK(log.find(k) == std::string::npos);
        CHECK(server.show().dump().find(k) == std::string::npos);
    }
    CHECK(server.stop() == 0);
    CHECK(processGone(hlrPid));
}

TEST_CASE("gba: AUTS resynchronises osmo-hlr; a B-TID expires", "[netsim][gba]") {
    if (!osmoHlrInstalled()) {
        WARN("osmo-hlr is not installed (tools/scripts/setup.sh): skipped");
        return;
    }
    const TestNode node = gbaNode(2);
    const std::string impi = gba::impiFromImsi(node.imsi);
    auto args = gbaArgs("osmo-hlr");
    args.insert(args.end(), {"--btid-lifetime", "2"});
    NetsimServer server({node}, {args});
    const int hlrPid = server.hlrPid();
    SoftUsim usim(node);
    // The card is far ahead: SEQ_MS 1000, IND 7.
    usim.sqnMs = 1000 << 5 | 7;
    int resyncs = 0;
    const UbResult b = bootstrap(server.bsf(), usim, impi, &resyncs);
    INFO(server.log());
    CHECK(resyncs == 1);
    REQUIRE(b.status == 200);
    // osmo-hlr continues after SQN_MS: SEQ_MS + 1.
    CHECK((usim.lastSqn >> 5) == 1001);

    SECTION("an AUTS with a wrong MAC-S is refused") {
        auto c = challenged(get(server.bsf(), initialAuthorization(impi)));
        auto a = answerTo(c, impi);
        Bytes auts = milenage::makeAuts(usim.keys, c.rand, sqn6(usim.sqnMs + 64));
        auts[13] ^= 0x01;
        a.auts = auts;
        a.response = ub::requestDigest({}, a, "GET", {});
        const auto r = get(server.bsf(), ub::formatAuthorization(a));
        REQUIRE(r);
        CHECK(r->status == 403);
    }
    SECTION("an expired B-TID fails the Ua handshake") {
        const auto keys = nafKeys(node, b, "msbf.lab.m2m", kPskAes128CbcSha256);
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        const CommandResult r =
            sClient(server.msbf(), keys.ext.view(), "3GPP-bootstrapping;" + b.btid, "");
        CHECK(r.exitCode != 0);
        CHECK_THAT(r.err, Catch::Contains("unknown psk identity"));
    }
    CHECK(server.stop() == 0);
    CHECK(processGone(hlrPid));
}

TEST_CASE("gba: the built-in AuC gives the same results", "[netsim][gba]") {
    const TestNode node = gbaNode(3);
    const std::string impi = gba::impiFromImsi(node.imsi);
    NetsimServer server({node}, {gbaArgs("builtin")});
    CHECK(server.hlrPid() == 0);
    CHECK(server.show()["auc"] == "builtin");
    SoftUsim usim(node);
    usim.sqnMs = 500 << 5 | 3;
    int resyncs = 0;
    const UbResult b = bootstrap(server.bsf(), usim, impi, &resyncs);
    INFO(server.log());
    CHECK(resyncs == 1);
    REQUIRE(b.status == 200);
    CHECK((usim.lastSqn >> 5) == 501);
    CHECK((usim.lastSqn & 31) == 1);
    CHECK(b.btid == gba::makeBtid(b.rand, kBsfFqdn));
    CHECK(ub::digestEquals(b.rspauth, ub::responseAuth(b.res, b.answer, base::asBytes(b.body))));
    // The next bootstrap: SEQ + 1, no resynchronisation.
    const UbResult next = bootstrap(server.bsf(), usim, impi, &resyncs);
    CHECK(next.status == 200);
    CHECK(resyncs == 1);
    CHECK((usim.lastSqn >> 5) == 502);
    const auto replay = get(server.bsf(), next.authorization);
    REQUIRE(replay);
    CHECK(replay->status == 403);
    const auto unknown =
        get(server.bsf(), initialAuthorization(gba::impiFromImsi("001019999999999")));
    REQUIRE(unknown);
    CHECK(unknown->status == 403);
    // Ua at the MSBF with the built-in AuC's bootstrap.
    const auto keys = nafKeys(node, next, "msbf.lab.m2m", kPskAes128CbcSha256);
    const CommandResult r =
        sClient(server.msbf(), keys.ext.view(), "3GPP-bootstrapping;" + next.btid,
                "GET /m2m/bootstrap HTTP/1.1\r\nHost: msbf.lab.m2m\r\nConnection: close\r\n\r\n");
    REQUIRE_THAT(r.out, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
    CHECK(server.nodeState(node)["kmr_kcv"] == kcv(keys.intNaf.view()));
}

TEST_CASE("gba: Ub over HTTPS with the BSF's certificate", "[netsim][gba]") {
    TempDir certs;
    const auto cert = certs / "bsf.pem";
    const auto key = certs / "bsf.key";
    const CommandResult made =
        runCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.string(), "-out",
                    cert.string(), "-days", "1", "-subj", "/CN=bsf.lab.m2m"});
    REQUIRE(made.exitCode == 0);
    const TestNode node = gbaNode(5);
    auto args = gbaArgs("builtin");
    args.insert(args.end(), {"--bsf-https", "127.0.0.1:0", "--bsf-cert", cert.string(), "--bsf-key",
                             key.string()});
    NetsimServer server({node}, {args});
    REQUIRE(server.bsfHttps() != 0);
    SoftUsim usim(node);
    gHttps = true;
    const UbResult b = bootstrap(server.bsfHttps(), usim, gba::impiFromImsi(node.imsi));
    gHttps = false;
    INFO(server.log());
    CHECK(b.status == 200);
    CHECK(ub::digestEquals(b.rspauth, ub::responseAuth(b.res, b.answer, base::asBytes(b.body))));
    // One BSF behind both ports: the bootstrap is in the same store.
    CHECK(server.show()["bootstraps"][0]["btid"] == b.btid);
}

TEST_CASE("gba: the plain Ub server keeps the lab's HTTP rules and its port", "[netsim][gba]") {
    const TestNode node = gbaNode(6);
    NetsimServer server({node}, {gbaArgs("builtin")});
    REQUIRE(server.bsf() != 0);
    httplib::Client client("127.0.0.1", server.bsf());
    client.set_read_timeout(std::chrono::seconds(15));
    // Every method reaches the BSF, which takes GET and POST only.
    const auto put = client.Put("/", "x", "text/plain");
    REQUIRE(put);
    CHECK(put->status == 405);
    CHECK(put->get_header_value("Allow") == "GET, POST");
    // A head outside the rules is refused, and the connection closed.
    const auto encoded = client.Get("/", {{"Content-Encoding", "gzip"}});
    REQUIRE(encoded);
    CHECK(encoded->status == 415);
    CHECK(encoded->get_header_value("Connection") == "close");
    // A second lab network cannot bind the BSF's port and take a share of its connections.
    TempDir other;
    const CommandResult second = runCommand(
        {"timeout", "10", netsimBinary().string(), "serve", "--db", (other / "lab.db").string(),
         "--msbf", "127.0.0.1:0", "--connection", "127.0.0.1:0", "--mid", "127.0.0.1:0", "--bsf",
         "127.0.0.1:" + std::to_string(server.bsf()), "--auc", "builtin"});
    CHECK(second.exitCode == 1);
    CHECK_THAT(second.err, Catch::Contains("bsf: cannot listen"));
    CHECK(server.stop() == 0);
}
