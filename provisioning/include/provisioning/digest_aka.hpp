// HTTP Digest AKA on Ub (3GPP TS 24.109 clause 4 and Annex A, RFC 3310 AKAv1-MD5 over RFC 2617
// Digest), both sides: the device's Ub client and the lab network's BSF use these functions, so
// the two can only disagree where the standard lets them.
//
//   WWW-Authenticate: Digest realm="bsf.home1.net", nonce="<base64(RAND||AUTN||server data)>",
//                     qop="auth,auth-int", opaque="...", algorithm=AKAv1-MD5
//   Authorization:    Digest username="<IMPI>", realm="...", nonce="...", uri="/", qop=auth,
//                     nc=00000001, cnonce="...", response="<32 hex>", opaque="...",
//                     algorithm=AKAv1-MD5 [, auts="<base64(AUTS)>"]
//   Authentication-Info: qop=auth, rspauth="<32 hex>", cnonce="...", nc=00000001
//
// The password of the digest is RES as raw octets (RFC 3310 §3.2), never its hex text; it may
// contain 0x00 bytes. A resynchronisation request carries auts= and uses an empty password.
//
// Parsing is strict: the header grammar of RFC 9110 §11 (tokens, quoted strings with
// backslash escapes, commas between parameters and nothing else), a parameter given twice is
// refused, required parameters must be there, unknown parameters are ignored (RFC 2617 §3.2.1).
// Both token and quoted-string forms are accepted for every value (RFC 9110 §11.2); the
// formatters write the forms RFC 2617 prescribes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "securechannel/errors.hpp"

namespace provisioning::ub {

// The Ub errors:
//
//   UbError
//   ├── DigestSyntaxError          a malformed WWW-Authenticate, Authorization or
//   │                              Authentication-Info header, or AKA nonce; a required parameter
//   │                              missing; an algorithm other than AKAv1-MD5
//   ├── BootstrappingInfoError     a malformed BootstrappingInfo document (bootstrapping_info.hpp)
//   └── (the Ub client's procedure errors, ub_client.hpp)
// Messages name the header and the parameter; they never quote a response, a RES or a password.
class UbError : public securechannel::Error {
public:
    using securechannel::Error::Error;
};
class DigestSyntaxError : public UbError {
public:
    using UbError::UbError;
};

inline constexpr std::string_view kAkaV1Md5 = "AKAv1-MD5";
// Header values longer than this are refused before parsing (a real one is a few hundred bytes).
inline constexpr std::size_t kMaxHeaderBytes = 8 * 1024;

enum class Qop { Auth, AuthInt };
[[nodiscard]] std::string_view toString(Qop qop) noexcept;

// A `WWW-Authenticate` challenge with algorithm AKAv1-MD5.
struct Challenge {
    std::string realm;  // required
    std::string nonce;  // required (an AKA nonce: see decodeAkaNonce)
    std::optional<std::string> opaque;
    std::vector<Qop> qops;  // the qop list; unknown options dropped; empty = no qop
    bool stale = false;
};
// `value` is the header's value ("Digest realm=..."). Throws DigestSyntaxError, also when the
// scheme is not Digest or the algorithm is missing or not AKAv1-MD5.
[[nodiscard]] Challenge parseChallenge(std::string_view value);
// "Digest realm=..., nonce=..., [qop=...,] [opaque=...,] [stale=true,] algorithm=AKAv1-MD5".
// Throws UbError if a value cannot be written in a header (a control character).
[[nodiscard]] std::string formatChallenge(const Challenge& challenge);

// An `Authorization` header's credentials. The initial request of TS 24.109 A.3 has an empty
// nonce and response and no qop.
struct Credentials {
    std::string username;  // the IMPI
    std::string realm;
    std::string nonce;
    std::string uri;
    std::string response;  // 32 lowercase hex digits, or empty in the initial request
    std::optional<Qop> qop;
    std::string nc;      // 8 hex digits, with qop
    std::string cnonce;  // with qop
    std::optional<std::string> opaque;
    std::optional<base::Bytes> auts;  // 14 bytes, sent base64 (a resynchronisation request)
    bool algorithm = true;            // algorithm=AKAv1-MD5 written (parsed: it was there)
};
// `value` is the header's value ("Digest username=..."). Requires username, realm, nonce, uri and
// response; with qop also nc and cnonce; an algorithm, if given, must be AKAv1-MD5; auts must be
// base64 of 14 bytes. Throws DigestSyntaxError.
[[nodiscard]] Credentials parseAuthorization(std::string_view value);
[[nodiscard]] std::string formatAuthorization(const Credentials& credentials);

// The `Authentication-Info` header of the 200 (RFC 2617 §3.2.3).
struct AuthenticationInfo {
    std::optional<std::string> rspauth;
    std::optional<Qop> qop;
    std::string cnonce;
    std::string nc;
    std::optional<std::string> nextnonce;
};
[[nodiscard]] AuthenticationInfo parseAuthenticationInfo(std::string_view value);
[[nodiscard]] std::string formatAuthenticationInfo(const AuthenticationInfo& info);

// HA1 = MD5(username ":" realm ":" password) as 32 lowercase hex digits, in locked memory (it is
// as good as the password for that realm).
[[nodiscard]] base::SecretBuffer digestHa1(std::string_view username, std::string_view realm,
                                           base::ByteView password);
// HA2 = MD5(method ":" uri) or, for auth-int, MD5(method ":" uri ":" MD5(body)), as hex.
[[nodiscard]] std::string digestHa2(std::string_view method, std::string_view uri,
                                    std::optional<Qop> qop, base::ByteView body);

// RFC 2617 §3.2.2.1 request-digest for `credentials` (username, realm, nonce, uri, qop, nc,
// cnonce) with the raw-byte `password` (RES, or empty for an auts= request), over `method` and,
// for qop=auth-int, MD5(`body`). 32 lowercase hex digits. HA1 is built in locked memory.
[[nodiscard]] std::string requestDigest(base::ByteView password, const Credentials& credentials,
                                        std::string_view method, base::ByteView body);
// RFC 2617 §3.2.3 rspauth: the same with an empty method and, for auth-int, the 200's body.
[[nodiscard]] std::string responseAuth(base::ByteView password, const Credentials& credentials,
                                       base::ByteView responseBody);
// Constant-time comparison of two digests' hex text (either case).
[[nodiscard]] bool digestEquals(std::string_view a, std::string_view b) noexcept;

// The AKA nonce: base64(RAND || AUTN || server data) (RFC 3310 §3.2), at least 32 bytes.
struct AkaNonce {
    base::Bytes rand;        // 16
    base::Bytes autn;        // 16
    base::Bytes serverData;  // whatever the server appended (may be empty)
};
[[nodiscard]] AkaNonce decodeAkaNonce(std::string_view nonce);    // DigestSyntaxError
[[nodiscard]] std::string encodeAkaNonce(const AkaNonce& nonce);  // UbError on wrong sizes

}  // namespace provisioning::ub
