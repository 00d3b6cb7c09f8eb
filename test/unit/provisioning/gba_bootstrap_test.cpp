// The GBA-based bootstrap procedure (provisioning/gba_bootstrap.hpp) against the scripted BSF
// (real HTTP on loopback), a card in software (Milenage USIM, Ks, the NAF keys, the pending key)
// and a scripted Ua endpoint that checks the PSK identity and that the PSK it is handed is the
// NAF's Ks_ext_NAF. The real stack (jCardSim, m2m-netsim, osmo-hlr) is in
// test/integration/agent_gba_test.cpp.
#include <optional>
#include <string>
#include <vector>

#include "provisioning/gba_bootstrap.hpp"
#include "provisioning/param_sets.hpp"
#include "scripted_bsf.hpp"
#include "securechannel/tls/memory_keys.hpp"
#include "seuicc/sed_errors.hpp"

using namespace ubtest;
namespace tls = securechannel::tls;
using seuicc::ExportTarget;

namespace {

const seuicc::NodeId kNode{0x8F, 0x43, 0xEC, 0x68, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
constexpr const char* kMsbf = "msbf.test";

gba::NafId nafIdOf(ByteView encoded) {
    gba::NafId id;
    id.fqdn.assign(encoded.begin(), encoded.end() - 5);
    std::copy(encoded.end() - 5, encoded.end(), id.uaProtocol.begin());
    return id;
}

// The card: the USIM's AKA (MilenageCard) keeping Ks = CK || IK with RAND, SET KEY FROM GBA into
// a pending key, ACTIVATE KEY; what it was asked is recorded.
class SoftGbaCard final : public CardOperations {
public:
    SoftGbaCard() : usim_(kK, kOpc, 500), keys_(keysOf(kK, kOpc)) {}

    AkaAnswer authenticateGbaBootstrap(const AkaChallenge& c) override {
        AkaAnswer a = usim_.authenticateGbaBootstrap(c);
        if (a.kind == AkaAnswer::Kind::Res) {
            const auto sqn = mil::sqnFromAutn(keys_, c.rand, c.autn);
            mil::Output out = mil::compute(keys_, c.rand, *sqn, ByteView(c.autn).subspan(6, 2));
            ks = base::concat({Bytes(out.ck.view().begin(), out.ck.view().end()),
                               Bytes(out.ik.view().begin(), out.ik.view().end())});
            rand = c.rand;
        }
        return a;
    }
    std::string readImsi() override {
        ++imsiReads;
        return "001010123456789";
    }
    seuicc::M2mSedClient::GbaKey setKeyFromGba(ExportTarget target, ByteView nafId,
                                               std::string_view impi) override {
        if (ks.empty()) {
            throw seuicc::SedNoGbaBootstrap(0x6985, "SET KEY FROM GBA");
        }
        nafIds.emplace_back(nafId.begin(), nafId.end());
        const auto ext = gba::ksExtNaf(ks, rand, impi, nafIdOf(nafId));
        const auto in = gba::ksIntNaf(ks, rand, impi, nafIdOf(nafId));
        const Bytes kcv = securechannel::keyCheckValue(in.view());
        pending = {target, seuicc::KeyCheckValue{kcv[0], kcv[1], kcv[2]}};
        return {base::SecretBuffer::copyOf(ext.view()), pending->second};
    }
    void writeGbaBootstrap(const seuicc::GbaBootstrapParams& p) override { gbabp.push_back(p); }
    void activateKey(ExportTarget target, std::uint32_t index, system_clock::time_point expiry,
                     std::optional<std::uint64_t>) override {
        REQUIRE(pending);
        REQUIRE(pending->first == target);
        activations.push_back({index, expiry});
        pending.reset();
    }
    base::SecretBuffer computeMasterSecret(seuicc::KeySlot, seuicc::MasterSecretMode,
                                           ByteView) override {
        throw std::logic_error("the GBA procedures use no card-held PSK");
    }
    seuicc::KeyCheckValue deriveExportedKey(ExportTarget, ByteView, ByteView) override {
        throw std::logic_error("the GBA procedures use no exporter");
    }

    Bytes ks, rand;
    int imsiReads = 0;
    std::vector<Bytes> nafIds;
    std::optional<std::pair<ExportTarget, seuicc::KeyCheckValue>> pending;
    std::vector<std::pair<std::uint32_t, system_clock::time_point>> activations;
    std::vector<seuicc::GbaBootstrapParams> gbabp;

private:
    MilenageCard usim_;
    mil::Keys keys_;
};

// The MSBF as a NAF: accepts the identity of the B-TID it knows with PSK = Ks_ext_NAF (checked
// by running the TLS 1.2 master-secret derivation on both keys), answers a bootstrapParamSet.
class ScriptedNaf final : public tls::HttpsClient {
public:
    explicit ScriptedNaf(SoftGbaCard& card) : card_(card) {}

    tls::HttpResponse perform(const tls::HttpRequest& request, const tls::PskKey& key,
                              tls::CardKeyOperations& keys, tls::Export) override {
        ++counters_.requests;
        ++counters_.handshakes;
        identities.push_back(key.identity);
        urls.push_back(request.url);
        if (refusals > 0) {
            --refusals;
            throw tls::PskRejected("unknown_psk_identity");
        }
        const std::string btid = gba::makeBtid(card_.rand, kBsfName);
        const auto expected =
            gba::ksExtNaf(card_.ks, card_.rand, kImpi, gba::tlsPskNafId(kMsbf, 0x00AE));
        tls::InMemoryKeyOperations naf(key.slot, base::SecretBuffer::copyOf(expected.view()));
        const Bytes seed(64, 0x5A);
        const auto mine = keys.computeMasterSecret(key.slot, seuicc::MasterSecretMode::Plain, seed);
        const auto theirs =
            naf.computeMasterSecret(key.slot, seuicc::MasterSecretMode::Plain, seed);
        if (key.identity != "3GPP-bootstrapping;" + btid || !(mine.view().size() == 48) ||
            !std::equal(mine.view().begin(), mine.view().end(), theirs.view().begin())) {
            throw tls::PskRejected("decrypt_error");
        }
        tls::HttpResponse r;
        r.status = status;
        r.tls.cipherId = cipherId;
        r.tls.cipher = "PSK-AES128-CBC-SHA256";
        r.tls.newHandshake = true;
        BootstrapParamSet p;
        p.nodeId = node;
        p.kmrIndex = 9;
        p.kmrExpiry = kmrExpiry;
        p.masFqdn = "mas.test";
        p.sclId = "m2m:scl/device-1";
        p.nsclList = {"https://nscl.test:3/m2m"};
        r.body = toXml(p);
        return r;
    }
    void closeConnections() override { ++closes; }
    const tls::ClientCounters& counters() const override { return counters_; }

    int refusals = 0;
    long status = 200;
    std::uint16_t cipherId = 0x00AE;
    seuicc::NodeId node = kNode;
    system_clock::time_point kmrExpiry = system_clock::now() + std::chrono::hours(24 * 30);
    std::vector<std::string> identities, urls;
    int closes = 0;

private:
    SoftGbaCard& card_;
    tls::ClientCounters counters_;
};

GbaOptions gbaOptions(const ScriptedBsf& bsf, bool withImpi = true) {
    GbaOptions o;
    o.ub = optionsFor(bsf);
    if (!withImpi) {
        o.ub.impi.clear();  // from EF_IMSI: MNC 01, written in 3 digits in the IMPI
        o.mncDigits = 2;
    }
    return o;
}

// One BSF, one card, the MSBF as NAF, and the GBA client between them.
struct Rig {
    explicit Rig(bool withImpi = true) : client(gbaOptions(bsf, withImpi), naf) {}
    ScriptedBsf bsf{kK, kOpc, 1000};
    SoftGbaCard card;
    ScriptedNaf naf{card};
    GbaClient client;
};

}  // namespace

TEST_CASE("GBA bootstrap: Ub, pending Kmr = Ks_int_NAF, Ua with Ks_ext_NAF, ACTIVATE KEY",
          "[gba][gba-bootstrap]") {
    Rig rig(/*withImpi=*/false);
    auto& [bsf, card, naf, client] = rig;
    bsf.lifetime = system_clock::now() + std::chrono::hours(2);  // shorter than the MSBF's Kmr

    const GbaBootstrapResult r = runGbaBootstrap(client, card, "https://msbf.test:1", kMsbf, kNode);
    CHECK(card.imsiReads == 1);  // the IMPI from EF_IMSI
    CHECK(client.cached()->impi == kImpi);
    REQUIRE(card.nafIds.size() == 1);
    CHECK(card.nafIds[0] == gba::tlsPskNafId(kMsbf, 0x00AE).encode());  // the suite Ua offers
    CHECK(naf.identities == std::vector<std::string>{"3GPP-bootstrapping;" + bsf.btid()});
    CHECK(naf.urls == std::vector<std::string>{"https://msbf.test:1/m2m/bootstrap"});
    CHECK(naf.closes >= 1);  // no connection outlives its Ks_ext_NAF
    REQUIRE(card.activations.size() == 1);
    CHECK(card.activations[0].first == 9);
    // Kmr's lifetime is cut to the B-TID's.
    CHECK(card.activations[0].second == r.btidExpiry);
    CHECK(r.kmrExpiry == r.btidExpiry);
    CHECK(r.btid == bsf.btid());
    const Bytes kcv = securechannel::keyCheckValue(
        gba::ksIntNaf(card.ks, card.rand, kImpi, gba::tlsPskNafId(kMsbf, 0x00AE)).view());
    CHECK(Bytes(r.bootstrap.kmrKcv.begin(), r.bootstrap.kmrKcv.end()) == kcv);
    REQUIRE(card.gbabp.size() == 1);
    CHECK(card.gbabp[0].btid == bsf.btid());
    CHECK(card.gbabp[0].rand == card.rand);
    CHECK(client.ubCounters().requests == 2);

    // A second run reuses the cached B-TID: no Ub request, no EF_GBABP write.
    runGbaBootstrap(client, card, "https://msbf.test:1", kMsbf, kNode);
    CHECK(client.ubCounters().requests == 2);
    CHECK(card.gbabp.size() == 1);
    CHECK(card.activations.size() == 2);
}

TEST_CASE("GBA bootstrap: a NAF refusing a cached B-TID means one new Ub run; a new one does not",
          "[gba][gba-bootstrap]") {
    Rig rig;
    auto& [bsf, card, naf, client] = rig;
    runGbaBootstrap(client, card, "https://msbf.test:1", kMsbf, kNode);
    const std::string first = client.cached()->btid;

    naf.refusals = 1;
    runGbaBootstrap(client, card, "https://msbf.test:1", kMsbf, kNode);
    CHECK(client.btidRefusals() == 1);
    CHECK(client.ubCounters().runs == 2);
    CHECK(client.cached()->btid != first);
    CHECK(card.activations.size() == 2);

    // Refused twice: after the new Ub the refusal is final, and nothing is activated.
    naf.refusals = 2;
    CHECK_THROWS_AS(runGbaBootstrap(client, card, "https://msbf.test:1", kMsbf, kNode),
                    tls::PskRejected);
    CHECK(client.ubCounters().runs == 3);
    CHECK(card.activations.size() == 2);

    // A B-TID just made and refused at once: no second Ub run.
    GbaClient fresh(gbaOptions(bsf), naf);
    naf.refusals = 1;
    CHECK_THROWS_AS(runGbaBootstrap(fresh, card, "https://msbf.test:1", kMsbf, kNode),
                    tls::PskRejected);
    CHECK(fresh.ubCounters().runs == 1);
}

TEST_CASE("GBA bootstrap: nothing is activated unless the MSBF's answer passes every check",
          "[gba][gba-bootstrap][neg]") {
    Rig rig;
    auto& [bsf, card, naf, client] = rig;
    SECTION("HTTP 403") {
        naf.status = 403;
        CHECK_THROWS_AS(runGbaBootstrap(client, card, "https://m:1", kMsbf, kNode), RequestRefused);
    }
    SECTION("another suite than the one offered (and keyed)") {
        naf.cipherId = 0x00A8;
        CHECK_THROWS_AS(runGbaBootstrap(client, card, "https://m:1", kMsbf, kNode),
                        ProtocolMismatch);
    }
    SECTION("another node's parameters") {
        naf.node[0] ^= 1;
        CHECK_THROWS_AS(runGbaBootstrap(client, card, "https://m:1", kMsbf, kNode),
                        ProtocolMismatch);
    }
    SECTION("a Kmr lifetime already over") {
        naf.kmrExpiry = system_clock::now() - std::chrono::seconds(1);
        CHECK_THROWS_AS(runGbaBootstrap(client, card, "https://m:1", kMsbf, kNode),
                        ProtocolMismatch);
    }
    SECTION("Ub refused: the card is not asked for a NAF key") {
        bsf.refuseResponse = true;
        CHECK_THROWS_AS(runGbaBootstrap(client, card, "https://m:1", kMsbf, kNode),
                        ub::UserAuthenticationFailed);
        CHECK(card.nafIds.empty());
    }
    CHECK(card.activations.empty());
}

TEST_CASE("urlHost: the NAF FQDN from a URL", "[gba]") {
    CHECK(urlHost("https://msbf.lab.m2m:8441") == "msbf.lab.m2m");
    CHECK(urlHost("https://nscl.lab.m2m/m2m?x") == "nscl.lab.m2m");
    CHECK(urlHost("http://user@bsf.example:80/") == "bsf.example");
    CHECK(urlHost("https://[::1]:443/") == "[::1]");
    CHECK(urlHost("msbf.lab.m2m").empty());
}
