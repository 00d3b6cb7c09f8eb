// The root of every error the project throws. Each layer derives its own family from it
// (seuicc::Error, securechannel::Error, ...), so a front end can catch `base::Error` for "one of
// ours, with a message meant for a person" and let anything else stay a bug. Messages never
// carry key material.
#pragma once

#include <stdexcept>

namespace base {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace base
