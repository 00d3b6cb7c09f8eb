// The built-in Milenage AuC (`--auc builtin`), for machines without osmo-hlr: vectors from
// securechannel::milenage with the SQN kept per subscriber in the store, as osmo-hlr keeps it
// (TS 33.102 Annex C): SQN = SEQ || IND with 5 IND bits, the BSF the one client (IND 1), SEQ + 1
// per vector; after a resynchronisation the next SEQ is SEQ_MS + 1. AMF 0000.
#pragma once

#include "auc.hpp"
#include "store.hpp"

namespace netsim {

class BuiltinAuc : public Auc {
public:
    explicit BuiltinAuc(Store& store) : store_(store) {}

    AuthVector vector(const std::string& imsi, const std::optional<Resync>& resync) override;
    [[nodiscard]] std::string name() const override { return "builtin"; }

private:
    Store& store_;
};

}  // namespace netsim
