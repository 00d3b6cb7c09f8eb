// Process hardening for every program that holds a key (the agent, m2m provision, tls-check...).
#pragma once

#include "base/error.hpp"

namespace base {

/// A protection could not be applied (core dumps, the dumpable flag).
class HardeningError : public Error {
public:
    using Error::Error;
};

/// Makes the process non-dumpable (prctl PR_SET_DUMPABLE 0, which also stops ptrace by other
/// processes of the same user) and sets RLIMIT_CORE to 0 (soft and hard). Call it early in main(),
/// before the first key is read. Idempotent. Throws HardeningError on failure.
void hardenProcess();

}  // namespace base
