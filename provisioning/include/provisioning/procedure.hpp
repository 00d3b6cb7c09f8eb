// What the network procedures (bootstrap here, service connection and mId in agent/) share: the
// card operations a procedure runs with, and its typed failures.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "provisioning/ub_client.hpp"
#include "securechannel/tls/https_client.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/usim_client.hpp"

namespace provisioning {

// The card's part of a procedure: the TLS side (master secret, exporter into a pending key), the
// GBA side (AUTHENTICATE on the USIM, SET KEY FROM GBA into a pending key), and the activation of
// the pending key. The agent's CardSession implements it over the TS 102 484 channel inside one
// PC/SC transaction; the agent's unit tests implement it in memory.
class CardOperations : public securechannel::tls::CardKeyOperations, public AkaCard {
public:
    // ACTIVATE KEY: the pending Kmr or Kmc becomes active with `index`, `expiry` and, for Kmc, the
    // `connectionId` (M2M-SED.md §4).
    virtual void activateKey(seuicc::ExportTarget target, std::uint32_t index,
                             std::chrono::system_clock::time_point expiry,
                             std::optional<std::uint64_t> connectionId) = 0;

    // --- GBA (security-profile.md §4.2, §5.2) ---
    // AkaCard::authenticateGbaBootstrap: AUTHENTICATE in GBA context, bootstrapping mode, on the
    // USIM, in plain APDUs (RES goes to the BSF in clear anyway); the USIM's 98 62 is
    // Kind::MacFailure, a synchronisation failure Kind::SyncFailure with AUTS. Throws
    // seuicc::UsimNotInstalled on a card without a USIM.
    //
    // EF_IMSI of the USIM (the IMPI is derived from it unless configured).
    virtual std::string readImsi() = 0;
    // SET KEY FROM GBA through the secure channel (M2M-SED.md §4.1): the pending Kmr or Kmc =
    // Ks_int_NAF for `nafId`; returns Ks_ext_NAF (the Ua PSK) and the pending key's KCV.
    virtual seuicc::M2mSedClient::GbaKey setKeyFromGba(seuicc::ExportTarget target,
                                                       base::ByteView nafId,
                                                       std::string_view impi) = 0;
    // EF_GBABP (TS 31.102 4.2.79) after a bootstrap, so other GBA clients of the card see it.
    virtual void writeGbaBootstrap(const seuicc::GbaBootstrapParams& params) = 0;
};

// Failures of a procedure that are not TLS or card errors.
//
//   ProcedureError
//   ├── ServerError       the server answered 5xx: try again later
//   ├── RequestRefused    the server answered 4xx (status() says which)
//   └── ProtocolMismatch  the answer is well-formed but does not fit (another node's id, an
//                         index that went backwards, an expiry in the past)
// A malformed body is a ParamSetError (param_sets.hpp).
class ProcedureError : public securechannel::Error {
public:
    using securechannel::Error::Error;
};
class ServerError : public ProcedureError {
public:
    ServerError(long status, std::string_view what);
    long status() const { return status_; }

private:
    long status_;
};
class RequestRefused : public ProcedureError {
public:
    RequestRefused(long status, std::string_view what);
    long status() const { return status_; }

private:
    long status_;
};
class ProtocolMismatch : public ProcedureError {
public:
    using ProcedureError::ProcedureError;
};

// Throws ServerError / RequestRefused unless the status is 2xx.
void requireSuccess(const securechannel::tls::HttpResponse& response, std::string_view what);

// Joins a base URL and a path without doubling or dropping the slash.
[[nodiscard]] std::string joinUrl(std::string_view base, std::string_view path);

}  // namespace provisioning
