#include "provisioning/digest_aka.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "base/base64.hpp"
#include "base/text.hpp"
#include "securechannel/crypto.hpp"

namespace provisioning::ub {

namespace {

constexpr std::size_t kDigestHexSize = 32;
constexpr std::size_t kAutsSize = 14;
constexpr std::size_t kRandSize = 16;
constexpr std::size_t kAutnSize = 16;

[[noreturn]] void fail(std::string_view header, std::string_view what) {
    throw DigestSyntaxError(std::string(header) + ": " + std::string(what));
}

// RFC 9110 §5.6.2 tchar.
bool isTchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isOws(char c) {
    return c == ' ' || c == '\t';
}

// What may not stand in a header value: a control character other than HTAB (RFC 9110 §5.5).
bool isControl(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7F;
}

struct Param {
    std::string name;  // lowercase
    std::string value;
};

const std::string* find(const std::vector<Param>& params, std::string_view name) {
    for (const Param& p : params) {
        if (p.name == name) {
            return &p.value;
        }
    }
    return nullptr;
}

void requireLength(std::string_view value, std::string_view header) {
    if (value.size() > kMaxHeaderBytes) {
        fail(header, "longer than " + std::to_string(kMaxHeaderBytes) + " bytes");
    }
}

// auth-param *( OWS "," OWS auth-param ), each auth-param = token BWS "=" BWS ( token /
// quoted-string ). Empty list elements, a trailing comma and duplicates are refused.
std::vector<Param> parseParams(std::string_view text, std::string_view header) {
    std::vector<Param> params;
    std::size_t i = 0;
    auto skipOws = [&] {
        while (i < text.size() && isOws(text[i])) {
            ++i;
        }
    };
    auto token = [&](std::string_view what) {
        const std::size_t start = i;
        while (i < text.size() && isTchar(text[i])) {
            ++i;
        }
        if (i == start) {
            fail(header, "expected a " + std::string(what) + " at offset " + std::to_string(i));
        }
        return std::string(text.substr(start, i - start));
    };
    // After the opening quote: the unescaped text up to the closing one.
    auto quoted = [&](std::string_view name) {
        std::string value;
        while (i < text.size()) {
            char c = text[i++];
            if (c == '"') {
                return value;
            }
            if (c == '\\' && i < text.size()) {
                c = text[i++];
            }
            if (isControl(c)) {
                fail(header, "control character in the value of " + std::string(name));
            }
            value += c;
        }
        fail(header, "unterminated quoted value of " + std::string(name));
    };
    skipOws();
    if (i == text.size()) {
        fail(header, "no parameters");
    }
    while (true) {
        Param p;
        p.name = base::toLower(token("parameter name"));
        skipOws();
        if (i == text.size() || text[i] != '=') {
            fail(header, "parameter " + p.name + " has no value");
        }
        ++i;
        skipOws();
        if (i < text.size() && text[i] == '"') {
            ++i;
            p.value = quoted(p.name);
        } else {
            p.value = token("value of " + p.name);
        }
        if (find(params, p.name) != nullptr) {
            fail(header, "parameter " + p.name + " given twice");
        }
        params.push_back(std::move(p));
        skipOws();
        if (i == text.size()) {
            return params;
        }
        if (text[i] != ',') {
            fail(header, "expected a comma at offset " + std::to_string(i));
        }
        ++i;
        skipOws();
    }
}

// "Digest" 1*SP params; the scheme is case-insensitive.
std::vector<Param> parseDigest(std::string_view value, std::string_view header) {
    requireLength(value, header);
    value = base::trim(value);
    std::size_t end = 0;
    while (end < value.size() && isTchar(value[end])) {
        ++end;
    }
    if (!base::equalsIgnoreCase(value.substr(0, end), "Digest")) {
        fail(header, "not a Digest header");
    }
    if (end == value.size() || value[end] != ' ') {
        fail(header, "no parameters after Digest");
    }
    return parseParams(value.substr(end + 1), header);
}

std::string required(const std::vector<Param>& params, std::string_view name,
                     std::string_view header) {
    const std::string* value = find(params, name);
    if (value == nullptr) {
        fail(header, "missing " + std::string(name));
    }
    return *value;
}

std::optional<std::string> optional(const std::vector<Param>& params, std::string_view name) {
    const std::string* value = find(params, name);
    return value == nullptr ? std::nullopt : std::optional<std::string>(*value);
}

void requireAka(const std::vector<Param>& params, std::string_view header, bool mandatory) {
    const std::string* algorithm = find(params, "algorithm");
    if (algorithm == nullptr) {
        if (mandatory) {
            fail(header, "missing algorithm (must be AKAv1-MD5)");
        }
        return;
    }
    if (!base::equalsIgnoreCase(*algorithm, kAkaV1Md5)) {
        fail(header, "algorithm is not AKAv1-MD5");
    }
}

std::optional<Qop> qopFromToken(std::string_view token) {
    if (base::equalsIgnoreCase(token, "auth")) {
        return Qop::Auth;
    }
    if (base::equalsIgnoreCase(token, "auth-int")) {
        return Qop::AuthInt;
    }
    return std::nullopt;
}

Qop requiredQop(std::string_view token, std::string_view header) {
    const auto qop = qopFromToken(token);
    if (!qop) {
        fail(header, "qop is neither auth nor auth-int");
    }
    return *qop;
}

bool isHex(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
}

void requireNc(std::string_view nc, std::string_view header) {
    if (nc.size() != 8 || !isHex(nc)) {
        fail(header, "nc is not 8 hex digits");
    }
}

void requireDigestHex(std::string_view digest, std::string_view what, std::string_view header) {
    if (digest.size() != kDigestHexSize || !isHex(digest)) {
        fail(header, std::string(what) + " is not 32 hex digits");
    }
}

// Writing: a value must not be able to end the header or start another one.
void requireWritable(std::string_view value, std::string_view name) {
    if (std::any_of(value.begin(), value.end(), isControl)) {
        throw UbError("digest header: control character in " + std::string(name));
    }
}

class Writer {
public:
    explicit Writer(std::string start) : out_(std::move(start)) {}
    void quoted(std::string_view name, std::string_view value) {
        requireWritable(value, name);
        separator();
        out_ += name;
        out_ += "=\"";
        for (const char c : value) {
            if (c == '"' || c == '\\') {
                out_ += '\\';
            }
            out_ += c;
        }
        out_ += '"';
    }
    void token(std::string_view name, std::string_view value) {
        if (value.empty() || !std::all_of(value.begin(), value.end(), isTchar)) {
            throw UbError("digest header: " + std::string(name) + " is not a token");
        }
        separator();
        out_ += name;
        out_ += '=';
        out_ += value;
    }
    std::string take() { return std::move(out_); }

private:
    void separator() {
        if (!first_) {
            out_ += ", ";
        }
        first_ = false;
    }
    std::string out_;
    bool first_ = true;
};

}  // namespace

std::string_view toString(Qop qop) noexcept {
    return qop == Qop::Auth ? "auth" : "auth-int";
}

// ---- WWW-Authenticate ---------------------------------------------------------------------

Challenge parseChallenge(std::string_view value) {
    constexpr std::string_view kHeader = "WWW-Authenticate";
    const std::vector<Param> params = parseDigest(value, kHeader);
    requireAka(params, kHeader, true);
    Challenge c;
    c.realm = required(params, "realm", kHeader);
    c.nonce = required(params, "nonce", kHeader);
    c.opaque = optional(params, "opaque");
    if (const auto qop = optional(params, "qop")) {
        // qop-options: a comma-separated list inside the quotes; unknown options are ignored.
        std::string_view list = *qop;
        while (true) {
            const auto comma = list.find(',');
            const std::string_view item = base::trim(list.substr(0, comma));
            if (item.empty()) {
                fail(kHeader, "empty element in the qop list");
            }
            if (const auto known = qopFromToken(item)) {
                if (std::find(c.qops.begin(), c.qops.end(), *known) == c.qops.end()) {
                    c.qops.push_back(*known);
                }
            }
            if (comma == std::string_view::npos) {
                break;
            }
            list.remove_prefix(comma + 1);
        }
        if (c.qops.empty()) {
            fail(kHeader, "qop offers neither auth nor auth-int");
        }
    }
    if (const auto stale = optional(params, "stale")) {
        if (base::equalsIgnoreCase(*stale, "true")) {
            c.stale = true;
        } else if (!base::equalsIgnoreCase(*stale, "false")) {
            fail(kHeader, "stale is neither true nor false");
        }
    }
    return c;
}

std::string formatChallenge(const Challenge& challenge) {
    Writer w("Digest ");
    w.quoted("realm", challenge.realm);
    w.quoted("nonce", challenge.nonce);
    if (!challenge.qops.empty()) {
        std::string list;
        for (const Qop q : challenge.qops) {
            list += (list.empty() ? "" : ",") + std::string(toString(q));
        }
        w.quoted("qop", list);
    }
    if (challenge.opaque) {
        w.quoted("opaque", *challenge.opaque);
    }
    if (challenge.stale) {
        w.token("stale", "true");
    }
    w.token("algorithm", kAkaV1Md5);
    return w.take();
}

// ---- Authorization ------------------------------------------------------------------------

Credentials parseAuthorization(std::string_view value) {
    constexpr std::string_view kHeader = "Authorization";
    const std::vector<Param> params = parseDigest(value, kHeader);
    requireAka(params, kHeader, false);
    Credentials c;
    c.algorithm = find(params, "algorithm") != nullptr;
    c.username = required(params, "username", kHeader);
    c.realm = required(params, "realm", kHeader);
    c.nonce = required(params, "nonce", kHeader);
    c.uri = required(params, "uri", kHeader);
    c.response = required(params, "response", kHeader);
    if (!c.response.empty()) {
        requireDigestHex(c.response, "response", kHeader);
    }
    c.opaque = optional(params, "opaque");
    if (const auto qop = optional(params, "qop")) {
        c.qop = requiredQop(*qop, kHeader);
        c.nc = required(params, "nc", kHeader);
        requireNc(c.nc, kHeader);
        c.cnonce = required(params, "cnonce", kHeader);
        if (c.cnonce.empty()) {
            fail(kHeader, "cnonce is empty");
        }
    } else if (find(params, "nc") != nullptr || find(params, "cnonce") != nullptr) {
        fail(kHeader, "nc or cnonce without qop");
    }
    if (const auto auts = optional(params, "auts")) {
        auto bytes = base::base64Decode(*auts);
        if (!bytes || bytes->size() != kAutsSize) {
            fail(kHeader, "auts is not base64 of 14 bytes");
        }
        c.auts = std::move(*bytes);
    }
    return c;
}

std::string formatAuthorization(const Credentials& c) {
    Writer w("Digest ");
    w.quoted("username", c.username);
    w.quoted("realm", c.realm);
    w.quoted("nonce", c.nonce);
    w.quoted("uri", c.uri);
    if (c.qop) {
        w.token("qop", toString(*c.qop));
        w.token("nc", c.nc);
        w.quoted("cnonce", c.cnonce);
    }
    w.quoted("response", c.response);
    if (c.opaque) {
        w.quoted("opaque", *c.opaque);
    }
    if (c.algorithm) {
        w.token("algorithm", kAkaV1Md5);
    }
    if (c.auts) {
        if (c.auts->size() != kAutsSize) {
            throw UbError("Authorization: AUTS must be 14 bytes");
        }
        w.quoted("auts", base::base64Encode(*c.auts));
    }
    return w.take();
}

// ---- Authentication-Info ------------------------------------------------------------------

AuthenticationInfo parseAuthenticationInfo(std::string_view value) {
    constexpr std::string_view kHeader = "Authentication-Info";
    requireLength(value, kHeader);
    const std::vector<Param> params = parseParams(value, kHeader);
    AuthenticationInfo info;
    info.rspauth = optional(params, "rspauth");
    if (info.rspauth) {
        requireDigestHex(*info.rspauth, "rspauth", kHeader);
    }
    if (const auto qop = optional(params, "qop")) {
        info.qop = requiredQop(*qop, kHeader);
    }
    info.cnonce = optional(params, "cnonce").value_or("");
    info.nc = optional(params, "nc").value_or("");
    if (!info.nc.empty()) {
        requireNc(info.nc, kHeader);
    }
    info.nextnonce = optional(params, "nextnonce");
    return info;
}

std::string formatAuthenticationInfo(const AuthenticationInfo& info) {
    Writer w("");
    if (info.qop) {
        w.token("qop", toString(*info.qop));
    }
    if (info.rspauth) {
        w.quoted("rspauth", *info.rspauth);
    }
    if (!info.cnonce.empty()) {
        w.quoted("cnonce", info.cnonce);
    }
    if (!info.nc.empty()) {
        w.token("nc", info.nc);
    }
    if (info.nextnonce) {
        w.quoted("nextnonce", *info.nextnonce);
    }
    return w.take();
}

// ---- the digest ---------------------------------------------------------------------------

namespace {
constexpr std::array<std::uint8_t, 1> kColon{':'};
}  // namespace

base::SecretBuffer digestHa1(std::string_view username, std::string_view realm,
                             base::ByteView password) {
    std::array<std::uint8_t, securechannel::kMd5Size> raw{};
    const base::ByteView a1[] = {base::asBytes(username), kColon, base::asBytes(realm), kColon,
                                 password};
    securechannel::md5(a1, raw);
    base::SecretBuffer hex(2 * raw.size());
    base::encodeLowerHex(raw, hex.mutableView());
    base::secureWipe(raw);
    return hex;
}

std::string digestHa2(std::string_view method, std::string_view uri, std::optional<Qop> qop,
                      base::ByteView body) {
    std::string bodyHex;
    std::vector<base::ByteView> a2{base::asBytes(method), kColon, base::asBytes(uri)};
    if (qop == Qop::AuthInt) {
        bodyHex = base::toLowerHex(securechannel::md5(body));
        a2.push_back(kColon);
        a2.push_back(base::asBytes(bodyHex));
    }
    std::array<std::uint8_t, securechannel::kMd5Size> raw{};
    securechannel::md5(a2, raw);
    return base::toLowerHex(raw);
}

namespace {

// KD(HA1, nonce ":" [nc ":" cnonce ":" qop ":"] HA2) as lowercase hex (RFC 2617 §3.2.2.1).
std::string digest(base::ByteView password, const Credentials& c, std::string_view method,
                   base::ByteView body) {
    const base::SecretBuffer ha1 = digestHa1(c.username, c.realm, password);
    const std::string ha2 = digestHa2(method, c.uri, c.qop, body);
    std::vector<base::ByteView> kd{ha1.view(), kColon, base::asBytes(c.nonce), kColon};
    const std::string_view qop = c.qop ? toString(*c.qop) : std::string_view{};
    if (c.qop) {
        kd.insert(kd.end(), {base::asBytes(c.nc), kColon, base::asBytes(c.cnonce), kColon,
                             base::asBytes(qop), kColon});
    }
    kd.push_back(base::asBytes(ha2));
    std::array<std::uint8_t, securechannel::kMd5Size> raw{};
    securechannel::md5(kd, raw);
    return base::toLowerHex(raw);
}

}  // namespace

std::string requestDigest(base::ByteView password, const Credentials& credentials,
                          std::string_view method, base::ByteView body) {
    return digest(password, credentials, method, body);
}

std::string responseAuth(base::ByteView password, const Credentials& credentials,
                         base::ByteView responseBody) {
    return digest(password, credentials, "", responseBody);
}

bool digestEquals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) {
            return static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        };
        diff |= static_cast<unsigned char>(lower(a[i]) ^ lower(b[i]));
    }
    return diff == 0;
}

// ---- the AKA nonce ------------------------------------------------------------------------

AkaNonce decodeAkaNonce(std::string_view nonce) {
    const auto bytes = base::base64Decode(nonce);
    if (!bytes) {
        throw DigestSyntaxError("AKA nonce: not base64");
    }
    if (bytes->size() < kRandSize + kAutnSize) {
        throw DigestSyntaxError("AKA nonce: " + std::to_string(bytes->size()) +
                                " bytes, RAND and AUTN need 32");
    }
    AkaNonce n;
    n.rand.assign(bytes->begin(), bytes->begin() + kRandSize);
    n.autn.assign(bytes->begin() + kRandSize, bytes->begin() + kRandSize + kAutnSize);
    n.serverData.assign(bytes->begin() + kRandSize + kAutnSize, bytes->end());
    return n;
}

std::string encodeAkaNonce(const AkaNonce& nonce) {
    if (nonce.rand.size() != kRandSize || nonce.autn.size() != kAutnSize) {
        throw UbError("AKA nonce: RAND and AUTN must be 16 bytes each");
    }
    return base::base64Encode(base::concat({nonce.rand, nonce.autn, nonce.serverData}));
}

}  // namespace provisioning::ub
