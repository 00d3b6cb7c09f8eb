#include "securechannel/tls/https_client.hpp"

namespace securechannel::tls {

ClientCounters& ClientCounters::operator+=(const ClientCounters& other) {
    requests += other.requests;
    handshakes += other.handshakes;
    bytesSent += other.bytesSent;
    bytesReceived += other.bytesReceived;
    return *this;
}

}  // namespace securechannel::tls
