// The reference manifest (FORMATS.md §2): what the agent measures, the reference values and the
// recovery action per object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "integrity/cose.hpp"

namespace integrity {

enum class RecoveryAction : std::uint8_t { Report = 0, Quarantine = 1, Rollback = 2, Halt = 3 };
std::string_view toString(RecoveryAction action);   // "report", ...
RecoveryAction recoveryActionFromString(std::string_view text);  // MalformedInput

struct ManifestObject {
    std::string name;             // "@agent", "@config" or a path relative to the integrity root
    base::Bytes sha256;           // 32
    bool required = true;
    RecoveryAction action = RecoveryAction::Report;
};

struct Manifest {
    std::uint32_t version = 0;
    std::vector<ManifestObject> objects;  // 1..16

    static constexpr std::size_t kMaxObjects = 16;
    static constexpr std::size_t kMaxNameBytes = 64;
    static constexpr std::size_t kMaxPayloadBytes = 2048;

    [[nodiscard]] base::Bytes encodePayload() const;          // deterministic CBOR
    static Manifest decodePayload(base::ByteView payload);    // MalformedInput
};

struct SignedManifest {
    CoseSign1 envelope;
    Manifest manifest;

    // Decodes; with `trustedRoot`, checks the x5chain up to that root certificate (DER) and the
    // signature under the leaf (KeyError, SignatureInvalid); with `key`, the signature under it.
    static SignedManifest decode(base::ByteView encoded);
    void verifyWith(const PublicKey& key) const;
    void verifyChain(base::ByteView trustedRootDer) const;
};

}  // namespace integrity
