#include "agent/card_session.hpp"

#include <sys/stat.h>

#include <fstream>

#include "base/log.hpp"
#include "securechannel/ts102484/errors.hpp"
#include "seuicc/usim_client.hpp"

namespace agent {

namespace {

securechannel::TerminalSecuredEnvironment makeTsed(const std::filesystem::path& kmsaFile) {
    securechannel::TerminalSecuredEnvironment::Options o;
    o.kmsaKeyFile = kmsaFile;
    return securechannel::TerminalSecuredEnvironment(std::move(o));
}

// The card keeps expiries in whole Unix seconds; so does the copy of its public data.
std::chrono::system_clock::time_point wholeSeconds(std::chrono::system_clock::time_point at) {
    return std::chrono::floor<std::chrono::seconds>(at);
}

}  // namespace

// The M2M-SED's operational commands for one procedure, through the secure channel, in the
// procedure's transaction, and the USIM's part of GBA. ACTIVATE KEY also brings the session's copy
// of the public data up to date (index, expiry, ConnectionId, and the KCV DERIVE EXPORTED KEY or
// SET KEY FROM GBA reported for the pending key).
class CardSession::Operations final : public provisioning::CardOperations {
public:
    Operations(CardSession& owner, const seuicc::Transaction& tx) : owner_(owner), tx_(tx) {}

    base::SecretBuffer computeMasterSecret(seuicc::KeySlot slot, seuicc::MasterSecretMode mode,
                                           base::ByteView seed) override {
        return owner_.sed_->computeMasterSecret(tx_, *owner_.session_, slot, mode, seed);
    }

    seuicc::KeyCheckValue deriveExportedKey(seuicc::ExportTarget target,
                                            base::ByteView clientRandom,
                                            base::ByteView serverRandom) override {
        const seuicc::KeyCheckValue kcv = owner_.sed_->deriveExportedKey(
            tx_, *owner_.session_, target, clientRandom, serverRandom);
        pending_ = {target, kcv};
        return kcv;
    }

    void activateKey(seuicc::ExportTarget target, std::uint32_t index,
                     std::chrono::system_clock::time_point expiry,
                     std::optional<std::uint64_t> connectionId) override {
        owner_.sed_->activateKey(tx_, *owner_.session_, target, index, expiry, connectionId);
        seuicc::SedStatus& s = owner_.status_;
        const std::optional<seuicc::KeyCheckValue> kcv =
            pending_ && pending_->first == target ? std::optional(pending_->second) : std::nullopt;
        if (target == seuicc::ExportTarget::Kmr) {
            s.kmrIndex = index;
            s.kmrExpiry = wholeSeconds(expiry);
            s.kcv.kmr = kcv;
        } else {
            s.kmcIndex = index;
            s.kmcExpiry = wholeSeconds(expiry);
            s.connectionId = connectionId;
            s.kcv.kmc = kcv;
        }
        pending_.reset();
    }

    // --- GBA: the USIM in plain APDUs on the basic channel (the M2M-SED has a logical channel
    // of its own), selected by AID once per procedure (between procedures other PC/SC clients
    // may select on the basic channel; the AID is looked up in EF_DIR once per card path);
    // SET KEY FROM GBA through the secure channel.

    provisioning::AkaAnswer authenticateGbaBootstrap(
        const provisioning::AkaChallenge& challenge) override {
        provisioning::AkaAnswer answer;
        try {
            seuicc::AkaOutcome outcome =
                usim().authenticateGbaBootstrap(tx_, challenge.rand, challenge.autn);
            if (outcome.kind == seuicc::AkaOutcome::Kind::SyncFailure) {
                answer.kind = provisioning::AkaAnswer::Kind::SyncFailure;
                answer.auts = std::move(outcome.auts);
            } else {
                answer.kind = provisioning::AkaAnswer::Kind::Res;
                answer.res = std::move(outcome.res);
            }
        } catch (const seuicc::UsimMacFailure&) {
            answer.kind = provisioning::AkaAnswer::Kind::MacFailure;
        }
        return answer;
    }

    std::string readImsi() override { return usim().readImsi(tx_); }

    seuicc::M2mSedClient::GbaKey setKeyFromGba(seuicc::ExportTarget target, base::ByteView nafId,
                                               std::string_view impi) override {
        seuicc::M2mSedClient::GbaKey key =
            owner_.sed_->setKeyFromGba(tx_, *owner_.session_, target, nafId, impi);
        pending_ = {target, key.kcv};
        return key;
    }

    void writeGbaBootstrap(const seuicc::GbaBootstrapParams& params) override {
        usim().writeGbaBp(tx_, params);
    }

private:
    seuicc::UsimClient& usim() {
        if (!usim_) {
            usim_.emplace(*owner_.basic_);
            if (owner_.usimAid_.empty()) {
                owner_.usimAid_ = usim_->findAid(tx_);
            }
            usim_->select(tx_, owner_.usimAid_);
        }
        return *usim_;
    }

    CardSession& owner_;
    const seuicc::Transaction& tx_;
    std::optional<std::pair<seuicc::ExportTarget, seuicc::KeyCheckValue>> pending_;
    std::optional<seuicc::UsimClient> usim_;
};

class CardSession::IvOperations final : public IvSedPort {
public:
    IvOperations(CardSession& owner, const seuicc::Transaction& tx) : owner_(owner), tx_(tx) {}

    seuicc::IvSedStatus status() override { return owner_.iv_->status(tx_); }
    std::vector<seuicc::IvResult> compare(std::span<const seuicc::CompareEntry> entries) override {
        return owner_.iv_->compare(tx_, *owner_.ivSession_, entries);
    }
    seuicc::IvSedClient::SignedReport signReport(base::ByteView nonce,
                                                 std::optional<std::uint64_t> iat,
                                                 std::optional<base::ByteView> submods) override {
        return owner_.iv_->signReport(tx_, *owner_.ivSession_, nonce, iat, submods);
    }
    seuicc::IvSedClient::DecisionCheck verifyDecision(base::ByteView decision) override {
        return owner_.iv_->verifyDecision(tx_, *owner_.ivSession_, decision);
    }
    seuicc::IvSedClient::InstalledManifest installManifest(base::ByteView manifest) override {
        return owner_.iv_->installManifest(tx_, *owner_.ivSession_, manifest);
    }

private:
    CardSession& owner_;
    const seuicc::Transaction& tx_;
};

CardSession::CardSession(Options options)
    : options_(std::move(options)), tsed_(makeTsed(options_.kmsaFile)) {}

CardSession::~CardSession() {
    close();
}

void CardSession::connect() {
    context_ = std::make_unique<seuicc::PcscContext>();
    readerName_ = context_->resolveReader(options_.reader, std::nullopt);
    card_ = context_->connect(readerName_);
    base::log::kAgent->info("card in '{}'", readerName_);
}

std::optional<securechannel::ts102484::MasterSaRecord> CardSession::rememberedMasterSa() const {
    if (options_.masterSaFile.empty()) {
        return std::nullopt;
    }
    std::ifstream in(options_.masterSaFile);
    std::string line;
    if (!in || !std::getline(in, line)) {
        return std::nullopt;
    }
    try {
        return securechannel::ts102484::MasterSaRecord::fromText(line);
    } catch (const securechannel::MasterSaRecordError& e) {
        base::log::kAgent->warn("ignoring {}: {}", options_.masterSaFile.string(), e.what());
        return std::nullopt;
    }
}

// The record of the session's master SA, written whole (temporary file and rename) when it
// changed. Not a secret: the tag only proves to this terminal that it made the record.
void CardSession::rememberMasterSa() {
    if (options_.masterSaFile.empty() || !session_) {
        return;
    }
    const std::string text = session_->masterSaRecord().toText();
    const auto old = rememberedMasterSa();
    if (old && old->toText() == text) {
        return;
    }
    const std::filesystem::path temporary = options_.masterSaFile.string() + ".tmp";
    try {
        std::filesystem::create_directories(options_.masterSaFile.parent_path());
        {
            std::ofstream out(temporary, std::ios::trunc);
            out << text << '\n';
            if (!out) {
                throw std::runtime_error("cannot write " + temporary.string());
            }
        }
        ::chmod(temporary.c_str(), 0600);
        std::filesystem::rename(temporary, options_.masterSaFile);
    } catch (const std::exception& e) {
        // The agent works without it; the next start just makes a new master SA.
        base::log::kAgent->warn("cannot remember the master SA: {}", e.what());
    }
}

void CardSession::openIn(const seuicc::Transaction& tx) {
    if (!channel_) {
        basic_ = std::make_unique<seuicc::CardChannel>(*card_);
        channel_ = std::make_unique<seuicc::CardChannel>(seuicc::CardChannel::open(tx, *basic_));
        sed_ = std::make_unique<seuicc::M2mSedClient>(*channel_);
        sed_->select(tx);
        session_.reset();
        statusRead_ = false;
    }
    if (!statusRead_) {
        status_ = sed_->status(tx);
        statusRead_ = true;
    }
}

void CardSession::startChannel(const seuicc::Transaction& tx) {
    using securechannel::ts102484::SessionState;
    if (session_ && session_->state() == SessionState::Open) {
        return;
    }
    if (session_ && session_->state() != SessionState::Terminated) {
        // A new connection SA on the same master SA: cheaper than a full setup.
        session_->reconnect(tx);
        masterSa_ = "kept";
    } else if (const auto remembered = rememberedMasterSa()) {
        session_ = tsed_.openSession(tx, *channel_, seuicc::M2mSedClient::kAid, *remembered);
        masterSa_ = securechannel::ts102484::toString(session_->setupCost().masterSaReuse);
    } else {
        session_ = tsed_.openSession(tx, *channel_, seuicc::M2mSedClient::kAid);
        masterSa_ = "new";
    }
    ++setups_;
    if (iccid_.empty()) {
        iccid_ = session_->iccid();
        base::log::kAgent->info("card {} in '{}'", iccid_, readerName_);
    }
    rememberMasterSa();
}

const seuicc::SedStatus& CardSession::open() {
    try {
        if (!card_) {
            connect();
        }
        const seuicc::Transaction tx(*card_);
        openIn(tx);
        return status_;
    } catch (const seuicc::PcscError& e) {
        base::log::kAgent->warn("card lost ({}): reconnecting next time", e.what());
        drop();
        throw;
    }
}

void CardSession::run(const std::function<void(provisioning::CardOperations&)>& procedure) {
    try {
        if (!card_) {
            connect();
        }
        const seuicc::Transaction tx(*card_);
        openIn(tx);
        startChannel(tx);
        Operations operations(*this, tx);
        procedure(operations);
    } catch (const seuicc::PcscError& e) {
        base::log::kAgent->warn("card lost ({}): reconnecting next time", e.what());
        drop();
        throw;
    }
}

void CardSession::startIvSed(const seuicc::Transaction& tx) {
    using securechannel::ts102484::SessionState;
    if (options_.kmsaIvFile.empty()) {
        throw securechannel::KeyFileError("integrity validation needs the IV-SED's Kmsa_iv file");
    }
    if (!ivTsed_) {
        securechannel::TerminalSecuredEnvironment::Options o;
        o.kmsaKeyFile = options_.kmsaIvFile;
        ivTsed_.emplace(std::move(o));
    }
    if (!ivChannel_) {
        ivChannel_ = std::make_unique<seuicc::CardChannel>(seuicc::CardChannel::open(tx, *basic_));
        iv_ = std::make_unique<seuicc::IvSedClient>(*ivChannel_);
        iv_->select(tx);
        ivSession_.reset();
    }
    if (ivSession_ && ivSession_->state() == SessionState::Open) {
        return;
    }
    if (ivSession_ && ivSession_->state() != SessionState::Terminated) {
        ivSession_->reconnect(tx);
    } else {
        ivSession_ = ivTsed_->openSession(tx, *ivChannel_, seuicc::IvSedClient::kAid);
    }
    ++setups_;
}

void CardSession::runWithIvSed(
    const std::function<void(provisioning::CardOperations&, IvSedPort&)>& procedure) {
    try {
        if (!card_) {
            connect();
        }
        const seuicc::Transaction tx(*card_);
        openIn(tx);
        startChannel(tx);
        startIvSed(tx);
        Operations operations(*this, tx);
        IvOperations iv(*this, tx);
        procedure(operations, iv);
    } catch (const seuicc::PcscError& e) {
        base::log::kAgent->warn("card lost ({}): reconnecting next time", e.what());
        drop();
        throw;
    }
}

CardPathInfo CardSession::info() const {
    CardPathInfo i;
    i.reader = readerName_;
    i.iccid = iccid_;
    i.traffic = dropped_;
    if (basic_) {
        i.traffic += basic_->counters();
    }
    if (channel_) {
        i.traffic += channel_->counters();
    }
    if (ivChannel_) {
        i.traffic += ivChannel_->counters();
    }
    i.secureChannelSetups = setups_;
    i.masterSa = masterSa_;
    return i;
}

void CardSession::drop() noexcept {
    if (basic_) {
        dropped_ += basic_->counters();
    }
    if (channel_) {
        dropped_ += channel_->counters();
    }
    if (ivChannel_) {
        dropped_ += ivChannel_->counters();
    }
    ivSession_.reset();
    iv_.reset();
    ivChannel_.reset();
    session_.reset();  // wipes the session keys
    sed_.reset();
    channel_.reset();
    basic_.reset();
    card_.reset();
    context_.reset();
    statusRead_ = false;
    iccid_.clear();  // another card may come
    usimAid_.clear();
}

void CardSession::close() noexcept {
    if (card_) {
        try {
            const seuicc::Transaction tx(*card_);
            if (ivSession_) {
                ivSession_->terminate(tx);
            }
            if (ivChannel_) {
                ivChannel_->close(tx);
            }
            if (session_) {
                session_->terminate(tx);
            }
            if (channel_) {
                channel_->close(tx);
            }
        } catch (const std::exception& e) {
            base::log::kAgent->debug("closing the card path: {}", e.what());
        }
    }
    drop();
}

}  // namespace agent
