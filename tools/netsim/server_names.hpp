// The lab network's endpoints run on the project's TLS-PSK HTTPS server
// (securechannel/tls/server/); these are the names they use from it.
#pragma once

#include "securechannel/tls/server/http_rules.hpp"
#include "securechannel/tls/server/psk_connection.hpp"
#include "securechannel/tls/server/psk_server.hpp"

namespace netsim {

using securechannel::tls::server::kPskCipherList;
using securechannel::tls::server::PskConnection;
using securechannel::tls::server::PskHandler;
using securechannel::tls::server::PskKey;
using securechannel::tls::server::PskLookup;
using securechannel::tls::server::PskServer;
using securechannel::tls::server::PskServerConfig;
using securechannel::tls::server::PskServerError;
using securechannel::tls::server::PskServerEvents;
using securechannel::tls::server::PskServerLimits;
namespace http = securechannel::tls::server::http;

}  // namespace netsim
