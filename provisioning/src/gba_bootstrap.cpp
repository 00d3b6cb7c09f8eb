#include "provisioning/gba_bootstrap.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "provisioning/param_sets.hpp"
#include "provisioning/psk_identity.hpp"
#include "securechannel/gba_kdf.hpp"
#include "securechannel/tls/memory_keys.hpp"

namespace provisioning {

namespace tls = securechannel::tls;

// The UbClient keeps one AkaCard for its life; the card's operations exist only inside one
// procedure's card transaction. This hands each Ub run to the operations of the procedure that
// runs it.
class GbaClient::CardForwarder final : public AkaCard {
public:
    AkaAnswer authenticateGbaBootstrap(const AkaChallenge& challenge) override {
        if (current_ == nullptr) {
            throw std::logic_error("GBA: Ub ran outside a card procedure");
        }
        return current_->authenticateGbaBootstrap(challenge);
    }

    // Points the forwarder at `card` for the lifetime of the guard.
    class Guard {
    public:
        Guard(CardForwarder& f, CardOperations& card) : f_(f) { f_.current_ = &card; }
        ~Guard() { f_.current_ = nullptr; }
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;

    private:
        CardForwarder& f_;
    };

private:
    CardOperations* current_ = nullptr;
};

GbaClient::GbaClient(GbaOptions options, tls::HttpsClient& ua)
    : options_(std::move(options)), ua_(ua), forwarder_(std::make_unique<CardForwarder>()) {}

GbaClient::~GbaClient() = default;

std::optional<Bootstrap> GbaClient::cached() const {
    return ub_ ? ub_->cached() : std::nullopt;
}

UbCounters GbaClient::ubCounters() const {
    return ub_ ? ub_->counters() : UbCounters{};
}

void GbaClient::invalidate() noexcept {
    if (ub_) {
        ub_->invalidate();
    }
}

const Bootstrap& GbaClient::bootstrap(CardOperations& card, bool& fresh) {
    if (!ub_) {
        UbClientOptions ub = options_.ub;
        if (ub.impi.empty()) {
            ub.impi = securechannel::gba::impiFromImsi(card.readImsi(), options_.mncDigits);
        }
        ub_ = std::make_unique<UbClient>(std::move(ub), *forwarder_);
    }
    const CardForwarder::Guard guard(*forwarder_, card);
    const std::uint64_t runs = ub_->counters().runs;
    const Bootstrap& b = ub_->bootstrap();
    fresh = ub_->counters().runs != runs;
    if (fresh) {
        base::log::kProvisioning->info("GBA bootstrap: B-TID {} until {}", b.btid,
                                       toDateTime(b.expiry));
        if (options_.writeGbaBp) {
            seuicc::GbaBootstrapParams ef;
            ef.rand = b.rand;
            ef.btid = b.btid;
            ef.lifetime = toDateTime(b.expiry);
            card.writeGbaBootstrap(ef);
        }
    }
    return b;
}

GbaClient::UaResult GbaClient::attempt(CardOperations& card, const Bootstrap& b,
                                       seuicc::ExportTarget target, const std::string& nafFqdn,
                                       const tls::HttpRequest& request) {
    const securechannel::gba::NafId nafId =
        securechannel::gba::tlsPskNafId(nafFqdn, options_.uaCipherSuite);
    seuicc::M2mSedClient::GbaKey key = card.setKeyFromGba(target, nafId.encode(), b.impi);
    UaResult result;
    result.kcv = key.kcv;
    result.bootstrap = b;
    {
        // Ks_ext_NAF lives in `psk` (wiped with it) for this one exchange; the connection is not
        // kept, so no later request runs under a key that is gone.
        tls::InMemoryKeyOperations psk(seuicc::KeySlot::Kmr, std::move(key.ksExtNaf));
        const tls::PskKey identity{uaIdentity(b.btid), seuicc::KeySlot::Kmr};
        try {
            result.response = ua_.perform(request, identity, psk);
        } catch (...) {
            ua_.closeConnections();
            throw;
        }
        ua_.closeConnections();
    }
    requireSuccess(result.response, "GBA Ua (" + nafFqdn + ")");
    if (result.response.tls.cipherId != options_.uaCipherSuite) {
        throw ProtocolMismatch("GBA Ua: the NAF negotiated another suite than the one offered");
    }
    return result;
}

GbaClient::UaResult GbaClient::exchange(CardOperations& card, seuicc::ExportTarget target,
                                        const std::string& nafFqdn,
                                        const tls::HttpRequest& request) {
    bool fresh = false;
    const Bootstrap first = bootstrap(card, fresh);
    try {
        return attempt(card, first, target, nafFqdn, request);
    } catch (const tls::PskRejected& e) {
        if (fresh) {
            throw;  // a B-TID just made is refused: not a matter of the cache
        }
        ++btidRefusals_;
        base::log::kProvisioning->info("the NAF {} refused B-TID {} ({}): bootstrapping again",
                                       nafFqdn, first.btid, e.what());
    } catch (const seuicc::SedNoGbaBootstrap&) {
        if (fresh) {
            throw;
        }
        base::log::kProvisioning->info("the card has no GBA bootstrap for B-TID {}: again",
                                       first.btid);
    }
    ub_->invalidate();
    const Bootstrap second = bootstrap(card, fresh);
    return attempt(card, second, target, nafFqdn, request);
}

GbaBootstrapResult runGbaBootstrap(GbaClient& gba, CardOperations& card, const std::string& msbfUrl,
                                   const std::string& msbfFqdn, const seuicc::NodeId& nodeId) {
    tls::HttpRequest request;
    request.method = "GET";
    request.url = joinUrl(msbfUrl, "/m2m/bootstrap");
    GbaClient::UaResult ua = gba.exchange(card, seuicc::ExportTarget::Kmr, msbfFqdn, request);

    GbaBootstrapResult result;
    result.bootstrap.params = parseBootstrapParamSet(ua.response.body);
    result.bootstrap.tls = ua.response.tls;
    result.bootstrap.kmrKcv = ua.kcv;
    checkBootstrapAnswer(result.bootstrap.params, nodeId);
    result.btid = ua.bootstrap.btid;
    result.btidExpiry = ua.bootstrap.expiry;
    // Kmr = Ks_int_NAF is worth no more than the Ks it came from (security-profile.md §4.2).
    result.kmrExpiry = std::min(result.bootstrap.params.kmrExpiry, ua.bootstrap.expiry);
    card.activateKey(seuicc::ExportTarget::Kmr, result.bootstrap.params.kmrIndex, result.kmrExpiry,
                     std::nullopt);
    base::log::kProvisioning->info("new Kmr (GBA) active: index {}, B-TID {}, cipher {}",
                                   result.bootstrap.params.kmrIndex, result.btid,
                                   result.bootstrap.tls.cipher);
    return result;
}

std::string urlHost(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return "";
    }
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        rest = rest.substr(at + 1);
    }
    if (!rest.empty() && rest.front() == '[') {
        return std::string(rest.substr(0, rest.find(']') + 1));
    }
    return std::string(rest.substr(0, rest.find(':')));
}

}  // namespace provisioning
