// The benchmarks of m2m-bench, one function each, all on the real stack (any PC/SC reader, the
// emulated UICC included).
#pragma once

#include <cstddef>
#include <filesystem>
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

struct IntegrityOptions {
    std::filesystem::path adminCodeFile;  // the IV-SED's administrative code (8 bytes, 0600)
    std::filesystem::path workDir;        // the measured files and Kmsa_iv go here
    std::size_t fileMib = 1;              // size of each of the 4 measured files
};

// Integrity validation on the IV-SED: personalises a fresh IV-SED, then per run its own secure
// channel setup, loading a 16-object (2-certificate x5chain) and a 4-object manifest, one report
// (measure + COMPARE + SIGN REPORT + READ OUTPUT), VERIFY DECISION, and the same report signed in
// memory.
Report integrity(const std::optional<std::string>& reader, const IntegrityOptions& options,
                 int runs);

struct RelayOptions {
    struct Path {
        std::filesystem::path keyFile;  // m2m soft-device create
        std::string connectionUrl;      // https://host:port (the service connection)
        std::string midUrl;             // https://host:port/m2m
    };
    Path direct;   // a device the NSCL knows (m2m-netsim import)
    Path relayed;  // a device behind the gateway (m2m gateway add-device --software)
    std::vector<std::string> resolve;
};

// The gateway's added latency per relayed request (agent/GATEWAY.md §3): two software-only
// devices, one posting contentInstances directly to the NSCL, one through the gateway,
// alternating.
Report relay(const RelayOptions& options, int runs);

}  // namespace bench
