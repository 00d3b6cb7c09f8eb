#include "agent/card_session.hpp"

#include "base/log.hpp"

namespace agent {

namespace {

securechannel::TerminalSecuredEnvironment makeTsed(const std::filesystem::path& kmsaFile) {
    securechannel::TerminalSecuredEnvironment::Options o;
    o.kmsaKeyFile = kmsaFile;
    return securechannel::TerminalSecuredEnvironment(std::move(o));
}

}  // namespace

CardSession::CardSession(Options options)
    : options_(std::move(options)), tsed_(makeTsed(options_.kmsaFile)) {}

CardSession::~CardSession() {
    close();
}

void CardSession::connect() {
    context_ = std::make_unique<seuicc::PcscContext>();
    readerName_ = context_->resolveReader(options_.reader, std::nullopt);
    card_ = context_->connect(readerName_);
    info_ = seuicc::readCardInfo(*card_);
    dropped_ += info_.counters;
    base::log::kAgent->info("card {} in '{}'", info_.iccid, readerName_);
}

// Brings the path up to a started secure channel, reusing whatever still works.
void CardSession::prepare(const seuicc::Transaction& tx) {
    if (!channel_) {
        basic_ = std::make_unique<seuicc::CardChannel>(*card_);
        channel_ = std::make_unique<seuicc::CardChannel>(seuicc::CardChannel::open(tx, *basic_));
        sed_ = std::make_unique<seuicc::M2mSedClient>(*channel_);
        sed_->select(tx);
        session_.reset();
    }
    using securechannel::ts102484::SessionState;
    if (session_ && session_->state() == SessionState::Open) {
        return;
    }
    if (session_ && session_->state() != SessionState::Terminated) {
        // A new connection SA on the same master SA: 4 APDUs instead of a full setup.
        session_->reconnect(tx);
    } else {
        session_ = tsed_.openSession(tx, *channel_, info_.iccidRaw, seuicc::M2mSedClient::kAid);
    }
    ++setups_;
}

void CardSession::run(const std::function<void(provisioning::SedAccess&)>& procedure) {
    try {
        if (!card_) {
            connect();
        }
        seuicc::Transaction tx(*card_);
        prepare(tx);
        provisioning::SedAccess access{tx, *sed_, *session_};
        procedure(access);
    } catch (const seuicc::PcscError& e) {
        base::log::kAgent->warn("card lost ({}): reconnecting next time", e.what());
        drop();
        throw;
    }
}

seuicc::SedStatus CardSession::status() {
    try {
        if (!card_) {
            connect();
        }
        seuicc::Transaction tx(*card_);
        if (!channel_) {
            prepare(tx);
        }
        return sed_->status(tx);
    } catch (const seuicc::PcscError&) {
        drop();
        throw;
    }
}

seuicc::ApduCounters CardSession::counters() const {
    seuicc::ApduCounters total = dropped_;
    if (basic_) {
        total += basic_->counters();
    }
    if (channel_) {
        total += channel_->counters();
    }
    return total;
}

void CardSession::drop() noexcept {
    if (basic_) {
        dropped_ += basic_->counters();
    }
    if (channel_) {
        dropped_ += channel_->counters();
    }
    session_.reset();  // wipes the session keys
    sed_.reset();
    channel_.reset();
    basic_.reset();
    card_.reset();
    context_.reset();
}

void CardSession::close() noexcept {
    if (card_) {
        try {
            seuicc::Transaction tx(*card_);
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
