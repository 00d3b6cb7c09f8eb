// The exporter of a PSK connection (see psk_connection.hpp).
#include "securechannel/tls/server/psk_connection.hpp"

#include <stdexcept>

namespace securechannel::tls::server {

base::SecretBuffer PskConnection::exportKey(std::string_view label, std::size_t length) const {
    base::SecretBuffer key(length);
    const std::string text(label);
    if (SSL_export_keying_material(ssl_, key.data(), key.size(), text.c_str(), text.size(), nullptr,
                                   0, 0) != 1) {
        throw std::runtime_error("exporter " + text + " failed");
    }
    return key;
}

}  // namespace securechannel::tls::server
