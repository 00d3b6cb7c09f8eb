// The error of the lab network's store: SQLite failures, a store file others may read, a node
// that is not there. Messages never carry key material.
#pragma once

#include "base/error.hpp"

namespace netsim {

class StoreError : public base::Error {
public:
    using base::Error::Error;
};

}  // namespace netsim
