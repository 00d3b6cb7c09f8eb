// The agent's states (README: "The agent"), shared by the state machine, its outcomes and its
// status.
#pragma once

#include <string_view>

namespace agent {

enum class AgentState {
    Starting,       // opening the card, reading its public data
    Bootstrapping,  // M2M Service Bootstrap (TLS-based, Kbs)
    Connecting,     // M2M Service Connection (Kmr -> new Kmc)
    Registering,    // SCL registration over mId (Kmc)
    Registered,     // application traffic; refreshes the registration, renews Kmc
    Backoff,        // waiting before retrying `retrying`
    Failed,         // a permanent failure: needs a person (see last_error)
    Stopped,        // stopped on request
};
std::string_view toString(AgentState state);

}  // namespace agent
