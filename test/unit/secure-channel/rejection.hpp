// Runs `f`, expecting the secured-message check to refuse it, and says why it was refused.
#pragma once

#include <catch2/catch.hpp>

#include "securechannel/ts102484/errors.hpp"

namespace sctest {

template <typename F>
securechannel::SecuredMessageRejected::Reason rejection(F&& f) {
    try {
        f();
    } catch (const securechannel::SecuredMessageRejected& e) {
        return e.reason();
    }
    FAIL("the message was accepted");
    return securechannel::SecuredMessageRejected::Reason::Malformed;
}

}  // namespace sctest
