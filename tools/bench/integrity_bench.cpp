// integrity: what integrity validation costs on the card (se-uicc/applet/IV-SED.md): loading a
// manifest, one report (measure + COMPARE + SIGN REPORT + READ OUTPUT), VERIFY DECISION, and the
// IV-SED's own secure-channel setup apart; beside it the same report signed in memory, so the
// card's share is visible. The bench personalises a fresh IV-SED itself with keys it makes (the
// reference-value and policy keys stay in this process: it also plays the SP and the NSCL).
#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "benchmarks.hpp"
#include "integrity/certificate.hpp"
#include "integrity/cose.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"
#include "integrity/measure.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/key_file.hpp"
#include "securechannel/terminal_se.hpp"
#include "seuicc/iv_sed_client.hpp"
#include "seuicc/pcsc.hpp"
#include "seuicc/uicc.hpp"

namespace bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kAdminCodeSize = 8;
constexpr std::size_t kMeasuredFiles = 4;
constexpr std::uint64_t kIat = 1767225600;  // fixed: the report's size must not move with the clock

// What the bench signs as the service provider and the NSCL: the reference-value key with a
// 2-certificate x5chain (leaf, then the CA that issued it), the policy key.
struct Signers {
    integrity::PrivateKey ca = integrity::PrivateKey::generate();
    integrity::PrivateKey reference = integrity::PrivateKey::generate();
    integrity::PrivateKey policy = integrity::PrivateKey::generate();
    std::vector<base::Bytes> chain;

    Signers() {
        const base::Bytes caDer = integrity::issueCertificate(
            {.commonName = "m2m-bench service provider CA", .ca = true, .days = 1}, ca.publicKey(),
            ca);
        chain = {integrity::issueCertificate(
                     {.commonName = "m2m-bench reference values", .ca = false, .days = 1},
                     reference.publicKey(), ca, caDer),
                 caDer};
    }
};

integrity::ManifestObject object(std::string name, base::Bytes sha256) {
    integrity::ManifestObject o;
    o.name = std::move(name);
    o.sha256 = std::move(sha256);
    o.required = true;
    o.action = integrity::RecoveryAction::Report;
    return o;
}

base::Bytes signManifest(const Signers& s, std::uint32_t version,
                         std::vector<integrity::ManifestObject> objects, bool withChain) {
    integrity::Manifest m;
    m.version = version;
    m.objects = std::move(objects);
    return integrity::CoseSign1::sign(s.reference, m.encodePayload(), std::nullopt,
                                      withChain ? s.chain : std::vector<base::Bytes>{})
        .encode();
}

// The measured files: `mib` MiB each of a pattern that differs per file.
std::vector<std::filesystem::path> writeFiles(const std::filesystem::path& dir, std::size_t mib) {
    std::vector<std::filesystem::path> paths;
    std::vector<char> block(1 << 20);
    for (std::size_t f = 0; f < kMeasuredFiles; ++f) {
        for (std::size_t i = 0; i < block.size(); ++i) {
            block[i] = static_cast<char>((i * 131 + f * 17) & 0xFF);
        }
        paths.push_back(dir / fmt::format("object-{}.bin", f));
        std::ofstream out(paths.back(), std::ios::binary | std::ios::trunc);
        for (std::size_t m = 0; m < mib; ++m) {
            out.write(block.data(), static_cast<std::streamsize>(block.size()));
        }
        if (!out) {
            throw std::runtime_error("cannot write " + paths.back().string());
        }
    }
    return paths;
}

// VERIFY ADMIN, STORE DATA (fresh Node-ID and Kmsa_iv, the bench's public keys), GENERATE
// ATTESTATION KEY, COMMIT; Kmsa_iv goes to `kmsaFile` for the terminal side. A fresh IV-SED
// only: one already personalised holds a Kmsa_iv this process does not know.
void personalise(const seuicc::Transaction& tx, seuicc::IvSedClient& iv, const Signers& s,
                 const std::filesystem::path& adminCodeFile,
                 const std::filesystem::path& kmsaFile) {
    if (iv.status(tx).lifecycle != 0x01) {
        throw std::runtime_error(
            "the IV-SED is already personalised: the bench needs a fresh card (a new m2m-cardsim "
            "image), tools/bench/integrity-bench.sh starts one");
    }
    const base::SecretBuffer admin = securechannel::loadKeyFile(adminCodeFile, kAdminCodeSize);
    const base::SecretBuffer kmsaIv = securechannel::randomSecret(16);
    const base::Bytes nodeId = securechannel::randomBytes(16);
    const base::Bytes reference = s.reference.publicKey().point();
    const base::Bytes policy = s.policy.publicKey().point();
    iv.verifyAdmin(tx, admin.view());
    iv.storeData(tx, {.nodeId = nodeId,
                      .kmsaIv = kmsaIv.view(),
                      .referenceKeyPoint = reference,
                      .policyKeyPoint = policy});
    static_cast<void>(iv.generateAttestationKey(tx));
    iv.commit(tx, /*lock=*/true);
    securechannel::writeKeyFile(kmsaFile, kmsaIv.view());
}

}  // namespace

Report integrity(const std::optional<std::string>& reader, const IntegrityOptions& options,
                 int runs) {
    Series setup{"IV-SED secure channel setup (endpoints, master SA, connection SA, start)"};
    Series load4{"(a) manifest loading, 4 objects, no x5chain (LOAD BLOCK x n + INSTALL MANIFEST)"};
    Series load16{
        "(a) manifest loading, 16 objects, 2-certificate x5chain (LOAD BLOCK x n + INSTALL "
        "MANIFEST)"};
    Series measure{fmt::format("(b) measure: streamed SHA-256 of {} files of {} MiB (no card)",
                               kMeasuredFiles, options.fileMib)};
    Series cardReport{"(b) card: COMPARE + SIGN REPORT + READ OUTPUT"};
    Series report{"(b) one report: measure + COMPARE + SIGN REPORT + READ OUTPUT"};
    Series decision{"(c) VERIFY DECISION (LOAD BLOCK x n + VERIFY DECISION)"};
    Series inMemory{
        "baseline: the same report signed in memory (EatClaims::encode + CoseSign1::sign)"};
    Series inMemoryReport{"baseline: measure + the same report signed in memory"};

    const Signers signers;
    std::filesystem::create_directories(options.workDir);
    const auto files = writeFiles(options.workDir, options.fileMib);
    const std::filesystem::path kmsaFile = options.workDir / "kmsa-iv.key";
    std::filesystem::remove(kmsaFile);

    // The 4-object manifest holds the files' real digests, so every COMPARE succeeds.
    std::vector<integrity::ManifestObject> four;
    for (std::size_t f = 0; f < files.size(); ++f) {
        four.push_back(object(fmt::format("lib/object-{}", f), *integrity::sha256OfFile(files[f])));
    }
    std::vector<integrity::ManifestObject> sixteen;
    for (std::size_t i = 0; i < integrity::Manifest::kMaxObjects; ++i) {
        sixteen.push_back(object(fmt::format("lib/plugins/object-{:02}.so", i),
                                 base::Bytes(32, static_cast<std::uint8_t>(0x10 + i))));
    }
    // Signed before the clock starts: signing is the SP's work, not the device's. Versions rise
    // by one per load, so every INSTALL MANIFEST is accepted.
    // One warm-up run first, not recorded: the emulator's JVM compiles the applet's paths then.
    const int total = runs + 1;
    std::vector<base::Bytes> manifests16;
    std::vector<base::Bytes> manifests4;
    for (int i = 0; i < total; ++i) {
        const auto v = static_cast<std::uint32_t>(2 * i + 1);
        manifests16.push_back(signManifest(signers, v, sixteen, /*withChain=*/true));
        manifests4.push_back(signManifest(signers, v + 1, four, /*withChain=*/false));
    }
    const integrity::PrivateKey memoryKey = integrity::PrivateKey::generate();
    const base::Bytes memoryKid = memoryKey.publicKey().keyId();

    seuicc::PcscContext context;
    const std::string name = context.resolveReader(reader, std::nullopt);
    auto card = context.connect(name);
    {
        seuicc::Transaction tx(*card);
        seuicc::CardChannel basic(*card);
        auto channel = seuicc::CardChannel::open(tx, basic);
        seuicc::IvSedClient iv(channel);
        iv.select(tx);
        personalise(tx, iv, signers, options.adminCodeFile, kmsaFile);
        channel.close(tx);
    }
    securechannel::TerminalSecuredEnvironment::Options o;
    o.kmsaKeyFile = kmsaFile;
    securechannel::TerminalSecuredEnvironment tsed(std::move(o));

    std::size_t reportBytes = 0;
    std::size_t decisionBytes = 0;
    std::size_t inMemoryBytes = 0;
    const base::Bytes nonce(32, 0x4E);
    for (int i = 0; i < total; ++i) {
        const bool record = i > 0;
        seuicc::Transaction tx(*card);
        const auto info = seuicc::readCardInfo(*card);
        seuicc::CardChannel basic(*card);
        auto channel = seuicc::CardChannel::open(tx, basic);
        seuicc::IvSedClient iv(channel);
        iv.select(tx);
        const auto traffic = [&](const seuicc::ApduCounters& before) {
            return securechannel::ts102484::trafficBetween(before, channel.counters());
        };

        auto t = Clock::now();
        auto session = tsed.openSession(tx, channel, info.iccidRaw, seuicc::IvSedClient::kAid);
        const double setupMs = msSince(t);
        const auto setupCost = session->setupCost().total();

        auto before = channel.counters();
        t = Clock::now();
        iv.installManifest(tx, *session, manifests16[static_cast<std::size_t>(i)]);
        const double load16Ms = msSince(t);
        const auto load16Traffic = traffic(before);

        before = channel.counters();
        t = Clock::now();
        iv.installManifest(tx, *session, manifests4[static_cast<std::size_t>(i)]);
        const double load4Ms = msSince(t);
        const auto load4Traffic = traffic(before);

        // (b): the agent's measurement, then the card's part.
        before = channel.counters();
        const auto start = Clock::now();
        std::vector<seuicc::CompareEntry> entries;
        for (std::size_t f = 0; f < files.size(); ++f) {
            entries.push_back({static_cast<std::uint8_t>(f), integrity::sha256OfFile(files[f])});
        }
        const double measureMs = msSince(start);
        t = Clock::now();
        const auto results = iv.compare(tx, *session, entries);
        const auto signedReport = iv.signReport(tx, *session, nonce, kIat);
        const double cardMs = msSince(t);
        const double reportMs = msSince(start);
        const auto reportTraffic = traffic(before);
        if (std::any_of(results.begin(), results.end(),
                        [](seuicc::IvResult r) { return r != seuicc::IvResult::Success; })) {
            throw std::runtime_error("a measured file did not match its manifest digest");
        }
        reportBytes = signedReport.coseSign1.size();

        // (c): the NSCL's answer, signed outside the clock.
        const auto claims = integrity::Report::decode(signedReport.coseSign1).claims;
        integrity::DecisionClaims answer;
        answer.node = claims.ueid;
        answer.nonce = claims.nonce;
        answer.counter = claims.counter;
        answer.verdict = integrity::Verdict::Full;
        answer.iat = kIat;
        answer.exp = kIat + 3600;
        const base::Bytes signedDecision =
            integrity::CoseSign1::sign(signers.policy, answer.encode(),
                                       signers.policy.publicKey().keyId())
                .encode();
        decisionBytes = signedDecision.size();
        before = channel.counters();
        t = Clock::now();
        const auto verdict = iv.verifyDecision(tx, *session, signedDecision);
        const double decisionMs = msSince(t);
        const auto decisionTraffic = traffic(before);
        if (verdict.verdict != 0 || verdict.counter != claims.counter) {
            throw std::runtime_error("VERIFY DECISION answered another verdict or counter");
        }

        // Baseline: the claims the card signed, encoded and signed here.
        t = Clock::now();
        const base::Bytes local =
            integrity::CoseSign1::sign(memoryKey, claims.encode(), memoryKid).encode();
        const double signMs = msSince(t);
        inMemoryBytes = local.size();
        if (record) {
            setup.add(setupCost, setupMs);
            load16.add(load16Traffic, load16Ms);
            load4.add(load4Traffic, load4Ms);
            measure.add({}, measureMs);
            cardReport.add(reportTraffic, cardMs);
            report.add(reportTraffic, reportMs);
            decision.add(decisionTraffic, decisionMs);
            inMemory.add({}, signMs);
            inMemoryReport.add({}, measureMs + signMs);
        }

        session->terminate(tx);
        channel.close(tx);
    }

    Report out{
        "integrity",
        {setup, load4, load16, measure, cardReport, report, decision, inMemory, inMemoryReport}};
    out.comparison.push_back(
        {"manifest_bytes_4", "manifest, 4 objects (bytes)", manifests4.front().size()});
    out.comparison.push_back({"manifest_bytes_16_x5chain",
                              "manifest, 16 objects + 2-certificate x5chain (bytes)",
                              manifests16.front().size()});
    out.comparison.push_back(
        {"report_bytes", "report COSE_Sign1 from the card (bytes)", reportBytes});
    out.comparison.push_back(
        {"report_bytes_in_memory", "the same report signed in memory (bytes)", inMemoryBytes});
    out.comparison.push_back({"decision_bytes", "decision COSE_Sign1 (bytes)", decisionBytes});
    out.comparison.push_back({"card_over_memory_signing",
                              "card report (COMPARE + SIGN + READ) / in-memory signing, medians",
                              cardReport.median() / inMemory.median()});
    out.comparison.push_back({"card_share_of_report", "card's share of one report, medians",
                              cardReport.median() / report.median()});
    out.notes.push_back(
        "the measured files are read from the page cache after the first run: (b)'s measure is "
        "hashing, not the disk");
    std::size_t slow = 0;
    std::size_t samples = 0;
    for (const Series* s : {&setup, &load4, &load16, &cardReport, &decision}) {
        samples += s->ms.size();
        slow += static_cast<std::size_t>(
            std::count_if(s->ms.begin(), s->ms.end(), [](double ms) { return ms >= 40.0; }));
    }
    out.comparison.push_back(
        {"card_samples_at_or_above_40ms", "card samples at or above 40 ms", slow});
    out.notes.push_back(fmt::format(
        "on the emulated card (vpcd over loopback TCP) a time that is a multiple of 40 ms is a "
        "TCP delayed-ACK timer, not the card: {} of {} card samples reached 40 ms; one warm-up "
        "run (the emulator's JIT) is not recorded",
        slow, samples));
    out.notes.push_back(
        "the in-memory key is a software P-256 key of this process: what the card's signing would "
        "cost without the card, not a secured alternative");
    return out;
}

}  // namespace bench
