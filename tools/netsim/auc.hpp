// The authentication centre behind the lab network's BSF: one UMTS authentication vector per
// request, for an IMSI, and SQN resynchronisation from the card's AUTS. Two implementations:
// osmo-hlr over GSUP (the default; a real AuC nobody here wrote, with its own SQN handling) and a
// built-in Milenage AuC for machines without osmo-hlr (`--auc builtin`).
#pragma once

#include <optional>
#include <string>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/secret.hpp"

namespace netsim {

// Every AuC failure; the BSF answers each with a typed HTTP status (bsf.cpp).
class AucError : public base::Error {
public:
    using base::Error::Error;
};
// The AuC cannot be reached (osmo-hlr down, the GSUP link not up): 503 on Ub.
class AucUnreachable : public AucError {
public:
    using AucError::AucError;
};
// No answer before the deadline: 503 on Ub.
class AucTimeout : public AucError {
public:
    using AucError::AucError;
};
// The AuC does not know the IMSI (or holds no 3G keys for it): 403 on Ub.
class UnknownSubscriber : public AucError {
public:
    using AucError::AucError;
};
// The AuC refused the request otherwise (an AUTS whose MAC-S is wrong, ...): 403 on Ub.
class AucRejected : public AucError {
public:
    using AucError::AucError;
};

// One UMTS authentication vector (TS 33.102 6.3.2); used once.
struct AuthVector {
    base::Bytes rand;         // 16
    base::Bytes autn;         // 16
    base::SecretBuffer xres;  // 4..16
    base::SecretBuffer ck;    // 16
    base::SecretBuffer ik;    // 16
};

// RAND of the challenge the card refused, and its AUTS (14 bytes).
struct Resync {
    base::Bytes rand;
    base::Bytes auts;
};

class Auc {
public:
    virtual ~Auc() = default;
    // A fresh vector for `imsi` (15 digits); with `resync`, after resynchronising the SQN to the
    // card's. Thread-safe. Throws an AucError.
    virtual AuthVector vector(const std::string& imsi, const std::optional<Resync>& resync) = 0;
    // "osmo-hlr" or "builtin", for `show` and the log.
    [[nodiscard]] virtual std::string name() const = 0;
};

}  // namespace netsim
