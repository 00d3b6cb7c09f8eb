// What the network procedures (bootstrap here, service connection and mId in agent/) share: the
// card access a procedure runs with, its typed failures, and its cost.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "securechannel/tls/psk_https_client.hpp"
#include "seuicc/card_channel.hpp"
#include "seuicc/m2m_sed_client.hpp"
#include "seuicc/secure_tunnel.hpp"

namespace provisioning {

// The M2M-SED as one procedure uses it: selected on `sed`'s channel, the secure channel started,
// and a PC/SC transaction held for the procedure's duration.
struct SedAccess {
    const seuicc::Transaction& transaction;
    seuicc::M2mSedClient& sed;
    seuicc::SecureTunnel& tunnel;
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
    ServerError(long status, std::string_view what)
        : ProcedureError(std::string(what) + ": the server answered HTTP " +
                         std::to_string(status)),
          status_(status) {}
    long status() const { return status_; }

private:
    long status_;
};
class RequestRefused : public ProcedureError {
public:
    RequestRefused(long status, std::string_view what)
        : ProcedureError(std::string(what) + ": refused with HTTP " + std::to_string(status)),
          status_(status) {}
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
