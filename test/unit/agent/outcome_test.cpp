// The agent's decision table (outcome.hpp), row by row, and the one mapping from the lower
// layers' exception types to causes.
#include "agent/outcome.hpp"
#include "provisioning/param_sets.hpp"
#include "provisioning/procedure.hpp"
#include "provisioning/ub_client.hpp"
#include "securechannel/errors.hpp"
#include "securechannel/tls/https_client.hpp"
#include "securechannel/ts102484/errors.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/sed_errors.hpp"
#include "seuicc/usim_client.hpp"

using agent::AgentState;
using agent::Cause;
using agent::CauseKind;
using agent::decide;
using agent::Outcome;
using S = AgentState;
using K = CauseKind;

namespace {

Cause cause(CauseKind kind, long status = 0) {
    return Cause{kind, "T", "m", status};
}

template <typename E, typename... Args>
Cause causeOfThrown(Args&&... args) {
    return agent::causeOf(std::make_exception_ptr(E(std::forward<Args>(args)...)));
}

}  // namespace

TEST_CASE("decide: permanent causes fail in every step", "[outcome]") {
    for (const K k :
         {K::WrongKmsa, K::NotPersonalised, K::NoBootstrapKey, K::NoUsim, K::Configuration}) {
        for (const S s :
             {S::Starting, S::Bootstrapping, S::Connecting, S::Registering, S::Registered}) {
            const Outcome o = decide(s, cause(k));
            CHECK(o.kind == Outcome::Kind::Fail);
            CHECK(o.state == S::Failed);
            CHECK(o.cause.kind == k);
        }
    }
}

TEST_CASE("decide: a refused PSK means a different thing in each step", "[outcome]") {
    CHECK(decide(S::Bootstrapping, cause(K::PskRefused)).kind == Outcome::Kind::Fail);
    const Outcome kmr = decide(S::Connecting, cause(K::PskRefused));
    CHECK(kmr.kind == Outcome::Kind::Retry);
    CHECK(kmr.state == S::Bootstrapping);
    for (const S s : {S::Registering, S::Registered}) {
        const Outcome kmc = decide(s, cause(K::PskRefused));
        CHECK(kmc.kind == Outcome::Kind::Retry);
        CHECK(kmc.state == S::Connecting);
    }
    CHECK(decide(S::Starting, cause(K::PskRefused)).state == S::Starting);
}

TEST_CASE("decide: HTTP 4xx: 403 while registered re-registers, 403/408/429 retry, others fail",
          "[outcome]") {
    const Outcome lapsed = decide(S::Registered, cause(K::HttpRefused, 403));
    CHECK(lapsed.kind == Outcome::Kind::Retry);
    CHECK(lapsed.state == S::Registering);
    for (const long status : {403L, 408L, 429L}) {
        const Outcome o = decide(S::Connecting, cause(K::HttpRefused, status));
        CHECK(o.kind == Outcome::Kind::Retry);
        CHECK(o.state == S::Connecting);
    }
    for (const long status : {400L, 401L, 404L, 405L, 413L}) {
        CHECK(decide(S::Registering, cause(K::HttpRefused, status)).kind == Outcome::Kind::Fail);
    }
}

TEST_CASE("decide: transient causes retry the step that failed", "[outcome]") {
    for (const K k : {K::NoSharedCipher, K::Network, K::ServerError, K::BadAnswer, K::CardLost,
                      K::CardError, K::SecureChannel, K::GbaAuthentication, K::Internal}) {
        for (const S s :
             {S::Starting, S::Bootstrapping, S::Connecting, S::Registering, S::Registered}) {
            const Outcome o = decide(s, cause(k, 503));
            CHECK(o.kind == Outcome::Kind::Retry);
            CHECK(o.state == s);
            CHECK(o.cause.kind == k);
        }
    }
}

TEST_CASE("tryNextMethod: a method's own failure tries the next one; a broken card path does not",
          "[outcome]") {
    for (const K k :
         {K::CardLost, K::SecureChannel, K::WrongKmsa, K::NotPersonalised, K::Configuration}) {
        CHECK_FALSE(agent::tryNextMethod(cause(k)));
    }
    for (const K k : {K::PskRefused, K::NoSharedCipher, K::Network, K::ServerError, K::HttpRefused,
                      K::BadAnswer, K::CardError, K::NoBootstrapKey, K::NoUsim,
                      K::GbaAuthentication, K::Internal}) {
        CHECK(agent::tryNextMethod(cause(k, 404)));
    }
}

TEST_CASE("causeOf maps each layer's exception types, keeping type name and message", "[outcome]") {
    namespace tls = securechannel::tls;
    namespace sc = securechannel;
    const Cause psk = causeOfThrown<tls::PskRejected>("unknown_psk_identity");
    CHECK(psk.kind == K::PskRefused);
    CHECK(psk.type == "PskRejected");
    CHECK(psk.message == "unknown_psk_identity");
    CHECK(causeOfThrown<tls::NoSharedCipher>("x").kind == K::NoSharedCipher);
    CHECK(causeOfThrown<tls::ConnectFailed>("x").kind == K::Network);
    CHECK(causeOfThrown<tls::TransferFailed>("x").kind == K::Network);
    CHECK(causeOfThrown<tls::ResponseTooLarge>("x").kind == K::Network);
    CHECK(causeOfThrown<tls::CardFailure>("x").kind == K::CardError);
    const Cause server = causeOfThrown<provisioning::ServerError>(503L, "connection");
    CHECK(server.kind == K::ServerError);
    CHECK(server.httpStatus == 503);
    const Cause refused = causeOfThrown<provisioning::RequestRefused>(403L, "mId");
    CHECK(refused.kind == K::HttpRefused);
    CHECK(refused.httpStatus == 403);
    CHECK(causeOfThrown<provisioning::ProtocolMismatch>("x").kind == K::BadAnswer);
    CHECK(causeOfThrown<provisioning::ParamSetError>("x").kind == K::BadAnswer);
    CHECK(causeOfThrown<sc::AuthenticationFailed>("x").kind == K::WrongKmsa);
    CHECK(causeOfThrown<sc::ChannelBroken>("x").kind == K::SecureChannel);
    CHECK(causeOfThrown<sc::SessionExpired>("x").kind == K::SecureChannel);
    CHECK(causeOfThrown<securechannel::KeyFileError>("x").kind == K::Configuration);
    CHECK(causeOfThrown<seuicc::PcscCardRemoved>(0x80100069L, "SCardTransmit").kind == K::CardLost);
    CHECK(causeOfThrown<seuicc::SedNotInstalled>(std::uint16_t{0x6A82}, "SELECT").kind ==
          K::NotPersonalised);
    CHECK(causeOfThrown<seuicc::SedNotPersonalised>(std::uint16_t{0x6985}, "CMS").kind ==
          K::NotPersonalised);
    CHECK(causeOfThrown<seuicc::SedKeyMissing>(std::uint16_t{0x6A88}, "CMS").kind == K::CardError);
    // GBA: Ub's authentication failures, its malformed answers, a card without a USIM.
    namespace ub = provisioning::ub;
    const Cause mac = causeOfThrown<ub::NetworkAuthenticationFailed>("MAC failure");
    CHECK(mac.kind == K::GbaAuthentication);
    CHECK(mac.type == "NetworkAuthenticationFailed");
    CHECK(causeOfThrown<ub::UserAuthenticationFailed>("x").kind == K::GbaAuthentication);
    CHECK(causeOfThrown<ub::BsfAuthenticationFailed>("x").kind == K::GbaAuthentication);
    CHECK(causeOfThrown<ub::ResynchronisationFailed>("x").kind == K::GbaAuthentication);
    CHECK(causeOfThrown<ub::DigestSyntaxError>("x").kind == K::BadAnswer);
    CHECK(causeOfThrown<seuicc::UsimNotInstalled>(std::uint16_t{0x6A82}, "SELECT USIM").kind ==
          K::NoUsim);
    CHECK(causeOfThrown<seuicc::UsimNotPersonalised>(std::uint16_t{0x6985}, "AUTH").kind ==
          K::NoUsim);
    CHECK(causeOfThrown<seuicc::SedNoGbaBootstrap>(std::uint16_t{0x6985}, "GBA").kind ==
          K::CardError);
    CHECK(agent::toString(K::NoUsim) == "no_usim");
    CHECK(agent::toString(K::GbaAuthentication) == "gba_authentication");
    CHECK(causeOfThrown<std::runtime_error>("x").kind == K::Internal);
    CHECK(causeOfThrown<std::runtime_error>("x").type == "runtime_error");
}
