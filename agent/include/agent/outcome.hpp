// What a step of the agent ends with, as a value: go on to a state, retry after a backoff (the same
// step or another one), or fail for good, with the typed cause. The state machine (agent.cpp) only
// applies outcomes; which failure leads where is decided here, in one table (decide()), which the
// unit tests walk row by row.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "agent/state.hpp"

namespace agent {

// What went wrong, by meaning; the lower layers' exception types are mapped once, in causeOf().
enum class CauseKind {
    PskRefused,         // the server refused the PSK identity or key (TLS alert)
    NoSharedCipher,     // the server offers no PSK suite (a certificate-only server)
    Network,            // no connection, a reset, a timeout, a body too large
    ServerError,        // HTTP 5xx
    HttpRefused,        // HTTP 4xx (Cause::httpStatus)
    BadAnswer,          // a malformed parameter set or mId body, or one that does not fit
    CardLost,           // PC/SC: card removed or reset, reader or pcscd gone
    CardError,          // the card answered an error status word, or broke the contract
    SecureChannel,      // the TS 102 484 session broke or expired (a new one mends it)
    WrongKmsa,          // the card and the terminal hold different Kmsa: re-provisioning
    NotPersonalised,    // no M2M-SED, or a blank one: run m2m provision
    NoBootstrapKey,     // Kmr is gone and no bootstrap method can make one (no Kbs, "none")
    NoUsim,             // GBA: the card has no USIM, or a blank one
    GbaAuthentication,  // GBA Ub: MAC failure, the BSF refused RES or its rspauth was wrong,
                        // resynchronisation failed again
    Configuration,      // a key file or setting the agent cannot use
    Internal,           // anything else (a bug, or an error nobody classified)
};
std::string_view toString(CauseKind kind);

struct Cause {
    CauseKind kind = CauseKind::Internal;
    std::string type;     // the exception's type name, e.g. "PskRejected"
    std::string message;  // its message (never key material)
    long httpStatus = 0;  // with HttpRefused / ServerError
};

// The cause behind `error`. Knows the exception types of every layer below; nothing else does.
[[nodiscard]] Cause causeOf(const std::exception_ptr& error);

struct Outcome {
    enum class Kind {
        Next,   // go on to `state` now (success, or a decision that needs no wait)
        Retry,  // back off, then run `state` (the failed step, or the one that mends it)
        Fail,   // permanent: state `failed` until a person acts
    };
    Kind kind = Kind::Next;
    AgentState state = AgentState::Starting;
    Cause cause;  // with Retry and Fail

    static Outcome next(AgentState state) { return {Kind::Next, state, {}}; }
    static Outcome retry(AgentState state, Cause cause) {
        return {Kind::Retry, state, std::move(cause)};
    }
    static Outcome fail(Cause cause) { return {Kind::Fail, AgentState::Failed, std::move(cause)}; }
};

// The decision table: what a failure of `step` with `cause` leads to, once no other method is
// left to try (tryNextMethod()).
//   permanent anywhere: WrongKmsa, NotPersonalised, NoBootstrapKey, NoUsim, Configuration, and an
//     HTTP 4xx other than 403, 408 and 429;
//   PskRefused: in bootstrapping permanent (the MSBF does not know Kbs); in connecting Kmr was
//     refused -> bootstrapping; in registering or registered Kmc was refused -> connecting;
//   HTTP 403 while registered: the registration lapsed at the NSCL -> registering;
//   everything else: retry the same step after a backoff.
[[nodiscard]] Outcome decide(AgentState step, const Cause& cause);

// Before decide(): whether a failure of one bootstrap or connection method (GBA, TLS) sends the
// step on to the next configured method at once. Not when the card path or its secure channel
// broke, or the card or the configuration is unusable: every method needs them.
[[nodiscard]] bool tryNextMethod(const Cause& cause);

}  // namespace agent
