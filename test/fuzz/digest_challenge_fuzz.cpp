// The Digest AKA headers of Ub (provisioning/src/digest_aka.cpp), which come from the network:
// the input as a WWW-Authenticate value (the device parses it), an Authorization value (the lab
// BSF parses it), an Authentication-Info value (the device) and an AKA nonce. Anything malformed
// must be a DigestSyntaxError; what parses must format to a header that parses to the same values
// (a UbError from a formatter here is a finding: the parser let through what cannot be written).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "provisioning/digest_aka.hpp"

namespace {

using namespace provisioning::ub;

void challenge(std::string_view text) {
    try {
        const Challenge c = parseChallenge(text);
        const Challenge again = parseChallenge(formatChallenge(c));
        if (again.realm != c.realm || again.nonce != c.nonce || again.opaque != c.opaque ||
            again.qops != c.qops || again.stale != c.stale) {
            throw std::logic_error("WWW-Authenticate: parse(format(c)) differs from c");
        }
        try {
            const AkaNonce n = decodeAkaNonce(c.nonce);
            if (encodeAkaNonce(n) != c.nonce) {
                throw std::logic_error("AKA nonce: encode(decode(n)) differs from n");
            }
        } catch (const DigestSyntaxError&) {
        }
    } catch (const DigestSyntaxError&) {
    }
}

void authorization(std::string_view text) {
    try {
        const Credentials c = parseAuthorization(text);
        const Credentials again = parseAuthorization(formatAuthorization(c));
        if (again.username != c.username || again.realm != c.realm || again.nonce != c.nonce ||
            again.uri != c.uri || again.response != c.response || again.qop != c.qop ||
            again.nc != c.nc || again.cnonce != c.cnonce || again.opaque != c.opaque ||
            again.auts != c.auts || again.algorithm != c.algorithm) {
            throw std::logic_error("Authorization: parse(format(c)) differs from c");
        }
    } catch (const DigestSyntaxError&) {
    }
}

void authenticationInfo(std::string_view text) {
    try {
        const AuthenticationInfo i = parseAuthenticationInfo(text);
        const AuthenticationInfo again = parseAuthenticationInfo(formatAuthenticationInfo(i));
        if (again.rspauth != i.rspauth || again.qop != i.qop || again.cnonce != i.cnonce ||
            again.nc != i.nc || again.nextnonce != i.nextnonce) {
            throw std::logic_error("Authentication-Info: parse(format(i)) differs from i");
        }
    } catch (const DigestSyntaxError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::quietLogs();
    const std::string_view text = fuzz::text(data, size);
    challenge(text);
    authorization(text);
    authenticationInfo(text);
    try {
        static_cast<void>(decodeAkaNonce(text));
    } catch (const DigestSyntaxError&) {
    }
    return 0;
}
