// A personalised M2M-SED on its own emulated card (slot 1), with keys the test knows: the PSK of
// testdata/vectors/tls12-prf.json as Kmr and Kbs, so the card's TLS computations can be checked
// against published answers; and helpers to reach it through a RecordingTransport.
#pragma once

#include <sys/stat.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "emulated_card.hpp"
#include "provisioning/personalisation.hpp"
#include "recording_transport.hpp"
#include "securechannel/crypto.hpp"
#include "securechannel/terminal_se.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/pcsc.hpp"
#include "seuicc/uicc.hpp"

namespace testsupport {

inline nlohmann::json loadVectors(const std::string& name) {
    const char* dir = std::getenv("M2M_TESTDATA");
    std::ifstream in(std::filesystem::path(dir != nullptr ? dir : "testdata") / "vectors" / name);
    return nlohmann::json::parse(in);
}

struct SimKeys {
    base::Bytes kmr, kbs, kmsa, kiv;
};

inline SimKeys vectorKeys() {
    const auto handshake = loadVectors("tls12-prf.json")["handshakes"][0];
    const base::Bytes psk = base::fromHex(handshake["psk"].get<std::string>());
    return {psk, psk, base::fromHex("404142434445464748494a4b4c4d4e4f"),
            base::fromHex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF")};
}

// Writes a profile holding literal keys, so it must be (and is made) 0600.
// With `usim`, a [usim] section too (IMSI, K, OPc generated: the export carries them).
// Which slot the card is in, and the identity it gets (a test with two cards gives each its own).
struct CardPlacement {
    int slot = 1;
    std::string nodeId = "00112233445566778899AABBCCDDEEFF";
    std::string sclId = "m2m:scl/test-device";
    // Fresh random keys instead of the vector's (a second card in the same test must not share
    // the first one's Kmr).
    bool randomKeys = false;
};

inline SimKeys randomKeys() {
    return {securechannel::randomBytes(32), securechannel::randomBytes(32),
            securechannel::randomBytes(16), securechannel::randomBytes(32)};
}

inline std::filesystem::path writeProfile(const std::filesystem::path& path, const SimKeys& k,
                                          bool usim = false, const CardPlacement& placement = {}) {
    std::filesystem::remove(path);
    {
        std::ofstream out(path);
        out << "[identity]\nnode_id = \"" << placement.nodeId << "\"\n"
            << "scl_id = \"" << placement.sclId
            << "\"\nnscl = [\"https://nscl.lab.m2m:8443/m2m\"]\n"
            << "mas_fqdn = \"mas.lab.m2m\"\n"
            << "[kmr]\nkey = \"" << base::toHex(k.kmr) << "\"\nindex = 7\nlifetime_days = 30\n"
            << "[kmsa]\nkey = \"" << base::toHex(k.kmsa) << "\"\n"
            << "[kbs]\nkey = \"" << base::toHex(k.kbs) << "\"\n"
            << "[kiv]\nkey = \"" << base::toHex(k.kiv) << "\"\n"
            << "[admin]\ncode = \"3132333435363738\"\n";
        if (usim) {
            out << "[usim]\nimsi = \"generate\"\nk = \"generate\"\nopc = \"generate\"\n";
        }
    }
    ::chmod(path.c_str(), 0600);
    return path;
}

// One PC/SC connection through a RecordingTransport inside one transaction, with a logical
// channel opened for the applet the derived connection selects on it.
struct ChannelConnection {
    explicit ChannelConnection(const std::string& reader)
        : card(context.connect(reader)),
          wire(*card),
          tx(wire),
          info(seuicc::readCardInfo(wire)),
          basic(wire),
          channel(seuicc::CardChannel::open(tx, basic)) {}
    seuicc::PcscContext context;
    std::unique_ptr<seuicc::PcscCard> card;
    RecordingTransport wire;
    seuicc::Transaction tx;
    seuicc::CardInfo info;
    seuicc::CardChannel basic;
    seuicc::CardChannel channel;
};

// The M2M-SED selected on the connection's logical channel.
struct SedConnection : ChannelConnection {
    explicit SedConnection(const std::string& reader) : ChannelConnection(reader), sed(channel) {
        sed.select(tx);
    }
    seuicc::M2mSedClient sed;
};

// More profile text for a card with an IV-SED: written by the test into the card's folder (keys,
// certificates, the first manifest), given that folder; returns the [iv_sed] section.
using ProfileExtension = std::function<std::string(const std::filesystem::path& dir)>;

class PersonalisedCard {
public:
    explicit PersonalisedCard(bool lock = true, bool usim = false,
                              const ProfileExtension& extension = {},
                              const CardPlacement& placement = {})
        : card_(inSlot(placement.slot)), keys_(placement.randomKeys ? randomKeys() : vectorKeys()) {
        dir_ = runDir() / ("sed-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        profile_ = writeProfile(dir_ / "profile.toml", keys_, usim, placement);
        provisioning::PersonaliseOptions options;
        if (extension) {
            std::ofstream(profile_, std::ios::app) << extension(dir_);
            options.kmsaIvFile = kmsaIvFile();
        }
        options.kmsaFile = kmsaFile();
        options.exportKeysFile = dir_ / "keys.json";
        options.lock = lock;
        seuicc::PcscContext context;
        auto pcsc = context.connect(card_.readerName());
        result_ = provisioning::personalise(*pcsc, provisioning::loadSimProfile(profile_), options);
    }

    EmulatedCard& card() { return card_; }
    const SimKeys& keys() const { return keys_; }
    std::filesystem::path kmsaFile() const { return dir_ / "kmsa.key"; }
    std::filesystem::path kmsaIvFile() const { return dir_ / "kmsa-iv.key"; }
    const std::filesystem::path& profile() const { return profile_; }
    const provisioning::PersonaliseResult& result() const { return result_; }

    std::unique_ptr<SedConnection> connect() {
        return std::make_unique<SedConnection>(card_.readerName());
    }

    securechannel::TerminalSecuredEnvironment terminal(
        securechannel::ts102484::SessionPolicy policy = {}) const {
        securechannel::TerminalSecuredEnvironment::Options o;
        o.kmsaKeyFile = kmsaFile();
        o.policy = std::move(policy);
        return securechannel::TerminalSecuredEnvironment(std::move(o));
    }

private:
    static EmulatedCard::Options inSlot(int slot) {
        EmulatedCard::Options o;
        o.slot = slot;
        return o;
    }
    static int& counter() {
        static int n = 0;
        return n;
    }

    EmulatedCard card_;
    SimKeys keys_;
    std::filesystem::path dir_;
    std::filesystem::path profile_;
    provisioning::PersonaliseResult result_;
};

}  // namespace testsupport
