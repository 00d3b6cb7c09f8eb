// What the network procedures (bootstrap here, service connection and mId in agent/) share: the
// card operations a procedure runs with, and its typed failures.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "securechannel/tls/https_client.hpp"
#include "seuicc/m2m_sed_client.hpp"

namespace provisioning {

// The card's part of a procedure: the TLS side (master secret, exporter into a pending key) and
// the activation of the pending key. The agent's CardSession implements it over the TS 102 484
// channel inside one PC/SC transaction; the agent's unit tests implement it in memory.
class CardOperations : public securechannel::tls::CardKeyOperations {
public:
    // ACTIVATE KEY: the pending Kmr or Kmc becomes active with `index`, `expiry` and, for Kmc, the
    // `connectionId` (M2M-SED.md §4).
    virtual void activateKey(seuicc::ExportTarget target, std::uint32_t index,
                             std::chrono::system_clock::time_point expiry,
                             std::optional<std::uint64_t> connectionId) = 0;
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
