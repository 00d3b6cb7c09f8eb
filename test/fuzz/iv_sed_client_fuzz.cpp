// The IV-SED's answers as IvSedClient reads them (se-uicc/src/iv_sed_client.cpp, IV-SED.md §2, §4):
// the first input byte picks an operation, the rest is the card's answers (scripted_card.hpp):
// SELECT, GET DATA, LOAD BLOCK × n + INSTALL MANIFEST, COMPARE over two commands, SIGN REPORT's
// length and counter + READ OUTPUT chaining, LOAD BLOCK × n + VERIFY DECISION, or all of them in
// a row. The operational commands go through a pass-through tunnel: the TS 102 484 wrapping has
// its own targets (msc, secured_message*), this one is about what the client makes of the inner
// answers. Whatever the card answers, the client must end with a typed error of the card library
// (IvMalformedResponse, the IV-SED's status-word errors, ApduFormatError), never anything else,
// and what it returns must keep the contract's sizes. IvSedStatus::parse on the raw input is the
// iv_sed_status target's.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "fuzz_support.hpp"
#include "scripted_card.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/iv_sed_client.hpp"
#include "seuicc/iv_sed_errors.hpp"
#include "seuicc/secure_tunnel.hpp"

namespace {

// The inner APDUs straight to the scripted card, as the session would hand over what it unwrapped.
class PassThroughTunnel final : public seuicc::SecureTunnel {
public:
    explicit PassThroughTunnel(seuicc::CardChannel& channel) : channel_(&channel) {}
    seuicc::ResponseApdu transmit(const seuicc::Transaction& tx,
                                  const seuicc::CommandApdu& inner) override {
        return channel_->transmit(tx, inner);
    }

private:
    seuicc::CardChannel* channel_;
};

// 600 bytes: three LOAD BLOCKs, the last one short.
const base::Bytes kSigned(600, 0xA5);
const base::Bytes kNonce(32, 0x4E);

// Ten entries, two of them absent: 7 digests fill one COMPARE (7 × 33 ≤ 255), the rest a second.
std::vector<seuicc::CompareEntry> entries() {
    std::vector<seuicc::CompareEntry> out;
    for (std::uint8_t i = 0; i < 10; ++i) {
        if (i == 3 || i == 9) {
            out.push_back({i, std::nullopt});
        } else {
            out.push_back({i, base::Bytes(32, static_cast<std::uint8_t>(0xD0 + i))});
        }
    }
    return out;
}

void require(bool ok, const char* what) {
    if (!ok) {
        throw std::logic_error(what);
    }
}

void checkStatus(const seuicc::IvSedStatus& s) {
    require(s.lifecycle == 1 || s.lifecycle == 3 || s.lifecycle == 7, "unknown lifecycle");
    require(s.nodeId.empty() || s.nodeId.size() == 16, "Node-ID of another size");
    require(s.manifestDigest.empty() || s.manifestDigest.size() == 32, "digest of another size");
    require(s.attestationPublicKey.empty() || s.attestationPublicKey.size() == 65,
            "attestation key of another size");
    require(s.referenceKeyId.empty() || s.referenceKeyId.size() == 8, "key id of another size");
    require(s.policyKeyId.empty() || s.policyKeyId.size() == 8, "key id of another size");
    require(s.kmsaCheckValue.empty() || s.kmsaCheckValue.size() == 3, "KCV of another size");
}

void install(const seuicc::Transaction& tx, seuicc::IvSedClient& iv, PassThroughTunnel& tunnel) {
    require(iv.installManifest(tx, tunnel, kSigned).payloadSha256.size() == 32,
            "INSTALL MANIFEST: a digest of another size");
}

void compare(const seuicc::Transaction& tx, seuicc::IvSedClient& iv, PassThroughTunnel& tunnel) {
    const auto asked = entries();
    const auto results = iv.compare(tx, tunnel, asked);
    require(results.size() == asked.size(), "COMPARE: results for other entries");
    for (const seuicc::IvResult r : results) {
        require(r >= seuicc::IvResult::Success && r <= seuicc::IvResult::Absent,
                "COMPARE: a result outside §5");
    }
}

void sign(const seuicc::Transaction& tx, seuicc::IvSedClient& iv, PassThroughTunnel& tunnel,
          bool withIat) {
    const auto report = iv.signReport(
        tx, tunnel, kNonce, withIat ? std::optional<std::uint64_t>(1767225600) : std::nullopt);
    require(!report.coseSign1.empty() && report.coseSign1.size() <= 0xFFFF,
            "SIGN REPORT: a report of a size the card cannot announce");
}

void decide(const seuicc::Transaction& tx, seuicc::IvSedClient& iv, PassThroughTunnel& tunnel) {
    require(iv.verifyDecision(tx, tunnel, kSigned).verdict <= 2, "VERIFY DECISION: verdict > 2");
}

void run(std::uint8_t which, const seuicc::Transaction& tx, seuicc::IvSedClient& iv,
         PassThroughTunnel& tunnel) {
    switch (which % 8) {
        case 0:
            return iv.select(tx);
        case 1:
            return checkStatus(iv.status(tx));
        case 2:
            return install(tx, iv, tunnel);
        case 3:
            return compare(tx, iv, tunnel);
        case 4:
            return sign(tx, iv, tunnel, true);
        case 5:
            return sign(tx, iv, tunnel, false);
        case 6:
            return decide(tx, iv, tunnel);
        default:  // one report's round on one script: the answers of one step shift the next
            iv.select(tx);
            checkStatus(iv.status(tx));
            install(tx, iv, tunnel);
            compare(tx, iv, tunnel);
            sign(tx, iv, tunnel, true);
            return decide(tx, iv, tunnel);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    fuzz::withScriptedCard(
        data, size,
        [](std::uint8_t which, const seuicc::Transaction& tx, seuicc::CardChannel& channel) {
            seuicc::IvSedClient iv(channel);
            PassThroughTunnel tunnel(channel);
            try {
                run(which, tx, iv, tunnel);
            } catch (const seuicc::Error&) {
            }
        });
    return 0;
}
