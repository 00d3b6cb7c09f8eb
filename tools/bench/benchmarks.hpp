// The benchmarks of m2m-bench, one function each, all on the real stack (any PC/SC reader, the
// emulated UICC included).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report.hpp"

namespace bench {

// `m2m card info`: connect, ATR, ICCID, EF_DIR.
Report cardInfo(const std::optional<std::string>& reader, int runs);

// TS 102 484: channel setup, one secured round trip, terminate.
Report secureChannel(const std::optional<std::string>& reader, const std::string& kmsaFile,
                     int runs);

// One cheap APDU (SELECT of the M2M-SED AID, P2 0C) `count` times inside one PC/SC transaction,
// then `count` times each in a transaction of its own.
Report apduCost(const std::optional<std::string>& reader, int count);

struct HandshakeOptions {
    std::string url;
    std::string key = "kmr";  // kmr or kbs: the keys file holds no Kmc
    std::string keysFile;     // m2m provision --export-keys
    std::vector<std::string> resolve;
};

// A TLS 1.2 PSK handshake and GET with PskHttpsClient, the key held in the card against the
// same client with the same key in memory (InMemoryKeyOperations), alternating, same server.
Report tlsHandshake(const std::optional<std::string>& reader, const std::string& kmsaFile,
                    const HandshakeOptions& options, int runs);

}  // namespace bench
