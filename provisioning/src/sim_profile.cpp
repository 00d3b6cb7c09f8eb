#include "provisioning/sim_profile.hpp"

#include <toml++/toml.h>

#include <fstream>

#include "base/scope_exit.hpp"
#include "integrity/certificate.hpp"
#include "integrity/manifest.hpp"
#include "securechannel/key_file.hpp"

namespace provisioning {

namespace {

constexpr std::size_t kMaxProfileBytes = 64 * 1024;

// What messages call the profile: "profile" for a text, "profile 'FILE'" for a file.
using Source = std::string;

[[noreturn]] void fail(const Source& source, const std::string& problem) {
    throw ProfileError(source + ": " + problem);
}

// Every string toml++ parsed into `node` and below (key texts among them), overwritten in place
// before the table frees them.
void wipeStrings(toml::node& node) noexcept {
    if (auto* text = node.as_string()) {
        std::string& value = text->get();
        base::secureWipe({reinterpret_cast<std::uint8_t*>(value.data()), value.size()});
    } else if (auto* table = node.as_table()) {
        for (auto&& [key, child] : *table) {
            wipeStrings(child);
        }
    } else if (auto* array = node.as_array()) {
        for (toml::node& child : *array) {
            wipeStrings(child);
        }
    }
}

// The string at `key` as the table holds it (no copy: it may be a key), or nullptr.
const std::string* textAt(const toml::table& t, std::string_view key) {
    const auto* value = t.at_path(key).as_string();
    return value == nullptr ? nullptr : &value->get();
}

// Hex without separators, decoded straight into locked memory; the text is never echoed in a
// message.
base::SecretBuffer secretFromHex(const Source& source, std::string_view where, std::string_view hex,
                                 std::size_t bytes) {
    if (hex.size() != 2 * bytes) {
        fail(source, std::string(where) + " must be " + std::to_string(bytes) + " bytes as " +
                         std::to_string(2 * bytes) + " hex digits, or \"generate\"");
    }
    base::SecretBuffer out(bytes);
    try {
        base::decodeHex(hex, out.mutableView());
    } catch (const base::HexError&) {
        fail(source, std::string(where) + " is not hex");  // a separator counts as a digit short
    }
    return out;
}

std::string requiredString(const Source& source, const toml::table& t, std::string_view key,
                           std::size_t maxLength) {
    const std::string* value = textAt(t, key);
    if (value == nullptr || value->empty()) {
        fail(source, std::string(key) + " is missing (a non-empty string)");
    }
    if (value->size() > maxLength) {
        fail(source, std::string(key) + " is longer than " + std::to_string(maxLength) + " bytes");
    }
    return *value;
}

// "generate", or hex; `literal` records that the profile holds key material.
KeySpec keySpec(const Source& source, const toml::table& t, std::string_view key, std::size_t bytes,
                bool& literal) {
    const std::string* value = textAt(t, key);
    if (value == nullptr) {
        fail(source, std::string(key) + " is missing (hex or \"generate\")");
    }
    if (*value == "generate") {
        return {};
    }
    literal = true;
    return KeySpec{secretFromHex(source, key, *value, bytes)};
}

// A public file the profile names (key, certificate, manifest), relative to the profile's folder;
// at most 16 KiB.
base::Bytes readNamedFile(const Source& source, const toml::table& t, std::string_view key,
                          const std::filesystem::path& baseDir) {
    const std::string* name = textAt(t, key);
    if (name == nullptr || name->empty()) {
        fail(source, std::string(key) + " is missing (a file name)");
    }
    const std::filesystem::path given(*name);
    const std::filesystem::path path = given.is_absolute() ? given : baseDir / given;
    constexpr std::size_t kMaxBytes = 16 * 1024;
    std::ifstream in(path, std::ios::binary);
    base::Bytes bytes(kMaxBytes + 1);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    if (bytes.empty() || in.bad()) {
        fail(source, std::string(key) + ": cannot read '" + path.string() + "'");
    }
    if (bytes.size() > kMaxBytes) {
        fail(source, std::string(key) + ": '" + path.string() + "' is larger than 16 KiB");
    }
    return bytes;
}

// A P-256 public key as PEM SubjectPublicKeyInfo or, where `certificates` allows, the key of a
// certificate (PEM or DER; of a PEM chain, the first, the signer).
base::Bytes publicPoint(const Source& source, std::string_view key, const base::Bytes& file,
                        bool certificates) {
    const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
    try {
        if (certificates && text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
            const std::vector<base::Bytes> chain = integrity::certificatesFromPem(text);
            return integrity::PublicKey::fromCertificateDer(chain.front()).point();
        }
        if (certificates && !file.empty() && file.front() == 0x30) {
            return integrity::PublicKey::fromCertificateDer(file).point();
        }
        return integrity::PublicKey::fromPem(text).point();
    } catch (const integrity::Error& e) {
        fail(source, std::string(key) + " is not a P-256 public key" +
                         (certificates ? " or certificate" : "") + ": " + e.what());
    }
}

IvSedSpec ivSedSpec(const Source& source, const toml::table& t,
                    const std::filesystem::path& baseDir, bool& literal) {
    IvSedSpec spec;
    spec.kmsaIv = keySpec(source, t, "iv_sed.kmsa_iv", 16, literal);
    spec.referenceKeyPoint = publicPoint(source, "iv_sed.reference_key",
                                         readNamedFile(source, t, "iv_sed.reference_key", baseDir),
                                         /*certificates=*/true);
    spec.policyKeyPoint =
        publicPoint(source, "iv_sed.policy_key",
                    readNamedFile(source, t, "iv_sed.policy_key", baseDir), /*certificates=*/false);
    spec.manifest = readNamedFile(source, t, "iv_sed.manifest", baseDir);
    // Checked here as the card will check it: a manifest it would refuse fails before any key
    // is generated or file written.
    try {
        const integrity::SignedManifest m = integrity::SignedManifest::decode(spec.manifest);
        m.verifyWith(integrity::PublicKey::fromPoint(spec.referenceKeyPoint));
        spec.manifestVersion = m.manifest.version;
    } catch (const integrity::Error& e) {
        fail(source, std::string("iv_sed.manifest: ") + e.what());
    }
    return spec;
}

struct Parsed {
    SimProfile profile;
    bool literalKeys = false;
};

Parsed parse(std::string_view text, const std::filesystem::path& baseDir, const Source& source) {
    toml::table t;
    try {
        t = toml::parse(text);
    } catch (const toml::parse_error& e) {
        fail(source, std::string("is not valid TOML: ") + std::string(e.description()));
    }
    const base::ScopeExit wipe([&t] { wipeStrings(t); });

    Parsed parsed;
    SimProfile& p = parsed.profile;
    const std::string* nodeId = textAt(t, "identity.node_id");
    if (nodeId == nullptr) {
        fail(source, "identity.node_id is missing (hex or \"generate\")");
    }
    if (*nodeId != "generate") {
        const auto id = secretFromHex(source, "identity.node_id", *nodeId, 16);
        p.nodeId = base::Bytes(id.view().begin(), id.view().end());
    }
    p.sclId = requiredString(source, t, "identity.scl_id", 128);
    p.masFqdn = requiredString(source, t, "identity.mas_fqdn", 128);
    const auto* nscl = t.at_path("identity.nscl").as_array();
    if (nscl == nullptr || nscl->empty()) {
        fail(source, "identity.nscl is missing (a list of NSCL URIs)");
    }
    std::size_t nsclBytes = 0;
    for (const auto& uri : *nscl) {
        const auto* value = uri.as_string();
        if (value == nullptr || value->get().empty() ||
            value->get().find(' ') != std::string::npos) {
            fail(source, "identity.nscl holds an entry that is not a URI");
        }
        nsclBytes += value->get().size() + 1;
        p.nscl.push_back(value->get());
    }
    if (nsclBytes > 256) {
        fail(source, "identity.nscl is longer than the card's 255 bytes");
    }

    p.kmr = keySpec(source, t, "kmr.key", 32, parsed.literalKeys);
    // value_exact: integers only; toml++'s value<>() would convert a float, and one out of range
    // (4294967e295) is undefined behaviour inside that conversion (found by the sim_profile
    // fuzzer).
    const auto index = t.at_path("kmr.index").value_exact<std::int64_t>();
    if (!index || *index < 0 || *index > 0xFFFFFFFF) {
        fail(source, "kmr.index must be an unsigned 32-bit number");
    }
    p.kmrIndex = static_cast<std::uint32_t>(*index);
    const auto days = t.at_path("kmr.lifetime_days").value_exact<std::int64_t>();
    if (!days || *days <= 0 || *days > 36500) {
        fail(source, "kmr.lifetime_days must be between 1 and 36500");
    }
    p.kmrLifetime = std::chrono::days(*days);
    p.kmsa = keySpec(source, t, "kmsa.key", 16, parsed.literalKeys);
    if (t.contains("kbs")) {
        p.kbs = keySpec(source, t, "kbs.key", 32, parsed.literalKeys);
    }
    if (t.contains("kiv")) {
        p.kiv = keySpec(source, t, "kiv.key", 32, parsed.literalKeys);
    }

    if (t.contains("usim")) {
        UsimSpec u;
        const std::string* imsi = textAt(t, "usim.imsi");
        if (imsi == nullptr) {
            fail(source, "usim.imsi is missing (6 to 15 digits, or \"generate\")");
        }
        if (*imsi != "generate") {
            if (imsi->size() < 6 || imsi->size() > 15 ||
                imsi->find_first_not_of("0123456789") != std::string::npos) {
                fail(source, "usim.imsi must be 6 to 15 digits, or \"generate\"");
            }
            u.imsi = *imsi;
        }
        u.k = keySpec(source, t, "usim.k", 16, parsed.literalKeys);
        const bool hasOpc = textAt(t, "usim.opc") != nullptr;
        const bool hasOp = textAt(t, "usim.op") != nullptr;
        if (hasOpc == hasOp) {
            fail(source, "usim needs exactly one of opc and op (hex or \"generate\")");
        }
        u.fromOp = hasOp;
        u.opc = keySpec(source, t, hasOp ? "usim.op" : "usim.opc", 16, parsed.literalKeys);
        if (const std::string* sqn = textAt(t, "usim.sqn")) {
            const auto value = secretFromHex(source, "usim.sqn", *sqn, 6);
            u.sqn = base::Bytes(value.view().begin(), value.view().end());
        }
        p.usim = std::move(u);
    }

    if (t.contains("iv_sed")) {
        p.ivSed = ivSedSpec(source, t, baseDir, parsed.literalKeys);
    }

    // A literal admin.code is meant for the well-known transport codes of test SIMs and does
    // not by itself make the profile secret; real codes come from a 0600 code_file.
    if (const std::string* code = textAt(t, "admin.code")) {
        p.adminCode = secretFromHex(source, "admin.code", *code, 8);
    } else if (const std::string* file = textAt(t, "admin.code_file")) {
        const std::filesystem::path codeFile(*file);
        p.adminCode =
            securechannel::loadKeyFile(codeFile.is_absolute() ? codeFile : baseDir / codeFile, 8);
    } else {
        fail(source, "admin.code or admin.code_file is missing");
    }
    return parsed;
}

}  // namespace

SimProfile parseSimProfile(std::string_view toml, const std::filesystem::path& baseDir) {
    return parse(toml, baseDir, "profile").profile;
}

SimProfile loadSimProfile(const std::filesystem::path& path) {
    // One open, one read: the rules a profile with literal keys must meet are checked on the
    // descriptor the text came from, not on whatever the path names a moment later.
    const auto file = securechannel::SecretCandidateFile::read(path, kMaxProfileBytes);
    const base::ByteView bytes = file.content().view();
    Parsed parsed = parse({reinterpret_cast<const char*>(bytes.data()), bytes.size()},
                          path.parent_path(), "profile '" + path.string() + "'");
    if (parsed.literalKeys) {
        file.requireKeyFileRules();  // same owner/mode rules as a key file
    }
    return std::move(parsed.profile);
}

}  // namespace provisioning
