// Zn, in-process: what a NAF of the lab network (the MSBF, the NSCL's connection endpoint) gets
// from the BSF for a B-TID and its own NAF_Id (TS 33.220 4.5.3): the NAF keys, the IMPI, the
// bootstrap's expiry and the node the subscription belongs to (IMPI -> IMSI -> imported record).
// The NAFs compute nothing from Ks themselves; this is the BSF's answer.
#pragma once

#include <optional>
#include <string>

#include "base/secret.hpp"
#include "securechannel/gba_kdf.hpp"
#include "store.hpp"

namespace netsim {

struct NafKeys {
    std::string nodeId;
    std::string impi;
    base::SecretBuffer ksExtNaf;  // the Ua PSK
    base::SecretBuffer ksIntNaf;  // Kmr (MSBF) or Kmc (NSCL) in the GBA-based procedures
    Seconds expiry = 0;           // the bootstrap's
};

// nullopt: no such B-TID, expired, or its subscription belongs to no imported node.
[[nodiscard]] std::optional<NafKeys> znLookup(Store& store, const std::string& btid,
                                              const securechannel::gba::NafId& naf);

}  // namespace netsim
