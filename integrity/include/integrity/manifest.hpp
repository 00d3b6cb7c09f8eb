// The reference manifest (FORMATS.md §2): what the agent measures, the reference values and the
// recovery action per object.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "integrity/cose.hpp"

namespace integrity {

enum class RecoveryAction : std::uint8_t { Report = 0, Quarantine = 1, Rollback = 2, Halt = 3 };
std::string_view toString(RecoveryAction action);                // "report", ...
RecoveryAction recoveryActionFromString(std::string_view text);  // MalformedInput

struct ManifestObject {
    std::string name;    // "@agent", "@config" or a path relative to the integrity root
    base::Bytes sha256;  // 32
    bool required = true;
    RecoveryAction action = RecoveryAction::Report;
};

struct Manifest {
    std::uint32_t version = 0;
    std::vector<ManifestObject> objects;  // 1..16

    static constexpr std::size_t kMaxObjects = 16;
    static constexpr std::size_t kMaxNameBytes = 64;
    static constexpr std::size_t kMaxPayloadBytes = 2048;

    [[nodiscard]] base::Bytes encodePayload() const;        // deterministic CBOR
    static Manifest decodePayload(base::ByteView payload);  // MalformedInput
    // VersionNotNewer unless version > `heldVersion` (0 when none is held): no rollback of policy.
    void requireNewerThan(std::uint32_t heldVersion) const;
    // The object named `name`, or nullptr.
    [[nodiscard]] const ManifestObject* find(std::string_view name) const;
};

struct SignedManifest {
    CoseSign1 envelope;
    Manifest manifest;

    // Strict decoding of envelope and payload (MalformedInput); verifies nothing.
    static SignedManifest decode(base::ByteView encoded);
    // SignatureInvalid unless the signature verifies under `key`.
    void verifyWith(const PublicKey& key) const;
    // Checks the x5chain (leaf first) up to `trustedRootDer` with OpenSSL's X509_verify_cert at
    // the current time (KeyError: no chain, a broken chain, an expired certificate), then the
    // signature under the leaf (SignatureInvalid). Returns the leaf's key.
    PublicKey verifyChain(base::ByteView trustedRootDer) const;
};

}  // namespace integrity
