// A three-level test PKI made fresh for each test (root -> intermediate -> leaf), and an
// unrelated root: no private key is ever committed for the x5chain tests.
#pragma once

#include "integrity/certificate.hpp"

namespace itest {

struct TestPki {
    integrity::PrivateKey rootKey = integrity::PrivateKey::generate();
    integrity::PrivateKey intermediateKey = integrity::PrivateKey::generate();
    integrity::PrivateKey leafKey = integrity::PrivateKey::generate();
    integrity::PrivateKey otherRootKey = integrity::PrivateKey::generate();
    base::Bytes rootDer =
        integrity::issueCertificate({"Test SP root", true, 30}, rootKey.publicKey(), rootKey);
    base::Bytes intermediateDer = integrity::issueCertificate(
        {"Test SP reference values CA", true, 30}, intermediateKey.publicKey(), rootKey, rootDer);
    base::Bytes leafDer =
        integrity::issueCertificate({"Test SP manifest signer", false, 30}, leafKey.publicKey(),
                                    intermediateKey, intermediateDer);
    base::Bytes otherRootDer = integrity::issueCertificate({"Another root", true, 30},
                                                           otherRootKey.publicKey(), otherRootKey);
};

}  // namespace itest
