// X.509 certificates for the keys of integrity validation: the service provider's chain that
// signs manifests (x5chain, RFC 9360) and the lab's own test roots. Issuing exists for
// `m2m integrity keygen` and the tests, so no test commits a private key.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "integrity/cose.hpp"

namespace integrity {

struct CertificateRequest {
    std::string commonName;
    bool ca = false;  // basicConstraints CA:TRUE, keyCertSign
    unsigned days = 365;
};

// A certificate for `subject` signed by `issuerKey` (ECDSA with SHA-256). Without `issuerDer`
// the certificate is self-signed (issuerKey must then be the subject's own key). DER.
base::Bytes issueCertificate(const CertificateRequest& request, const PublicKey& subject,
                             const PrivateKey& issuerKey,
                             std::optional<base::ByteView> issuerDer = std::nullopt);

// PEM <-> DER for certificates; KeyError on anything but a certificate. A PEM file may hold
// several (a chain, leaf first).
std::vector<base::Bytes> certificatesFromPem(std::string_view pem);
std::string certificateToPem(base::ByteView der);

}  // namespace integrity
