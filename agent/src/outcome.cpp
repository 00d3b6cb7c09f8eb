#include "agent/outcome.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "provisioning/param_sets.hpp"
#include "provisioning/procedure.hpp"
#include "provisioning/ub_client.hpp"
#include "securechannel/errors.hpp"
#include "securechannel/tls/https_client.hpp"
#include "securechannel/ts102484/errors.hpp"
#include "seuicc/errors.hpp"
#include "seuicc/sed_errors.hpp"
#include "seuicc/usim_client.hpp"

namespace agent {

namespace tls = securechannel::tls;

namespace {

// The type name a person can search for ("PskRejected"), without the namespace.
std::string typeName(const std::exception& e) {
    int status = 0;
    const std::unique_ptr<char, void (*)(void*)> demangled(
        abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status), std::free);
    const std::string name = status == 0 ? demangled.get() : typeid(e).name();
    const auto colon = name.rfind("::");
    return colon == std::string::npos ? name : name.substr(colon + 2);
}

CauseKind kindOf(const std::exception_ptr& error, long& httpStatus) {
    try {
        std::rethrow_exception(error);
    } catch (const tls::PskRejected&) {
        return CauseKind::PskRefused;
    } catch (const tls::NoSharedCipher&) {
        return CauseKind::NoSharedCipher;
    } catch (const tls::CardFailure&) {
        return CauseKind::CardError;
    } catch (const tls::TlsError&) {
        return CauseKind::Network;  // ConnectFailed, TransferFailed, ResponseTooLarge, ...
    } catch (const provisioning::ServerError& e) {
        httpStatus = e.status();
        return CauseKind::ServerError;
    } catch (const provisioning::RequestRefused& e) {
        httpStatus = e.status();
        return CauseKind::HttpRefused;
    } catch (const provisioning::ub::NetworkAuthenticationFailed&) {
        return CauseKind::GbaAuthentication;
    } catch (const provisioning::ub::UserAuthenticationFailed&) {
        return CauseKind::GbaAuthentication;
    } catch (const provisioning::ub::BsfAuthenticationFailed&) {
        return CauseKind::GbaAuthentication;
    } catch (const provisioning::ub::ResynchronisationFailed&) {
        return CauseKind::GbaAuthentication;
    } catch (const provisioning::ub::UbError&) {
        return CauseKind::BadAnswer;  // DigestSyntaxError, BootstrappingInfoError
    } catch (const provisioning::ProcedureError&) {
        return CauseKind::BadAnswer;  // ProtocolMismatch
    } catch (const provisioning::ParamSetError&) {
        return CauseKind::BadAnswer;
    } catch (const securechannel::AuthenticationFailed&) {
        return CauseKind::WrongKmsa;
    } catch (const securechannel::KeyFileError&) {
        return CauseKind::Configuration;
    } catch (const securechannel::SecureChannelError&) {
        return CauseKind::SecureChannel;
    } catch (const seuicc::PcscError&) {
        return CauseKind::CardLost;
    } catch (const seuicc::SedNotInstalled&) {
        return CauseKind::NotPersonalised;
    } catch (const seuicc::SedNotPersonalised&) {
        return CauseKind::NotPersonalised;
    } catch (const seuicc::UsimNotInstalled&) {
        return CauseKind::NoUsim;
    } catch (const seuicc::UsimNotPersonalised&) {
        return CauseKind::NoUsim;
    } catch (const seuicc::Error&) {
        return CauseKind::CardError;
    } catch (...) {
        return CauseKind::Internal;
    }
}

bool permanent(CauseKind kind) {
    switch (kind) {
        case CauseKind::WrongKmsa:
        case CauseKind::NotPersonalised:
        case CauseKind::NoBootstrapKey:
        case CauseKind::NoUsim:
        case CauseKind::Configuration:
            return true;
        default:
            return false;
    }
}

}  // namespace

std::string_view toString(CauseKind kind) {
    switch (kind) {
        case CauseKind::PskRefused:
            return "psk_refused";
        case CauseKind::NoSharedCipher:
            return "no_shared_cipher";
        case CauseKind::Network:
            return "network";
        case CauseKind::ServerError:
            return "server_error";
        case CauseKind::HttpRefused:
            return "http_refused";
        case CauseKind::BadAnswer:
            return "bad_answer";
        case CauseKind::CardLost:
            return "card_lost";
        case CauseKind::CardError:
            return "card_error";
        case CauseKind::SecureChannel:
            return "secure_channel";
        case CauseKind::WrongKmsa:
            return "wrong_kmsa";
        case CauseKind::NotPersonalised:
            return "not_personalised";
        case CauseKind::NoBootstrapKey:
            return "no_bootstrap_key";
        case CauseKind::NoUsim:
            return "no_usim";
        case CauseKind::GbaAuthentication:
            return "gba_authentication";
        case CauseKind::Configuration:
            return "configuration";
        case CauseKind::Internal:
            return "internal";
    }
    return "unknown";
}

Cause causeOf(const std::exception_ptr& error) {
    Cause cause;
    cause.kind = kindOf(error, cause.httpStatus);
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        cause.type = typeName(e);
        cause.message = e.what();
    } catch (...) {
        cause.type = "unknown";
        cause.message = "an exception that is not a std::exception";
    }
    return cause;
}

Outcome decide(AgentState step, const Cause& cause) {
    if (permanent(cause.kind)) {
        return Outcome::fail(cause);
    }
    switch (cause.kind) {
        case CauseKind::PskRefused:
            switch (step) {
                case AgentState::Bootstrapping:
                    return Outcome::fail(cause);  // the MSBF does not know Kbs
                case AgentState::Connecting:
                    return Outcome::retry(AgentState::Bootstrapping, cause);  // Kmr refused
                case AgentState::Registering:
                case AgentState::Registered:
                    return Outcome::retry(AgentState::Connecting, cause);  // Kmc refused
                default:
                    return Outcome::retry(step, cause);
            }
        case CauseKind::HttpRefused:
            if (cause.httpStatus == 403 && step == AgentState::Registered) {
                return Outcome::retry(AgentState::Registering, cause);  // registration lapsed
            }
            if (cause.httpStatus == 403 || cause.httpStatus == 408 || cause.httpStatus == 429) {
                return Outcome::retry(step, cause);
            }
            return Outcome::fail(cause);
        default:
            return Outcome::retry(step, cause);
    }
}

bool tryNextMethod(const Cause& cause) {
    switch (cause.kind) {
        case CauseKind::CardLost:
        case CauseKind::SecureChannel:
        case CauseKind::WrongKmsa:
        case CauseKind::NotPersonalised:
        case CauseKind::Configuration:
            return false;
        default:
            return true;
    }
}

}  // namespace agent
