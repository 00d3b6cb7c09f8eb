#include "provisioning/sim_profile.hpp"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "securechannel/key_file.hpp"

namespace provisioning {

namespace {

constexpr std::size_t kMaxProfileBytes = 64 * 1024;

// `path` names the document in messages (empty: text that came from no file).
[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
    throw ProfileError((path.empty() ? std::string("profile") : "profile '" + path.string() + "'") +
                       ": " + problem);
}

// Hex without separators into locked memory; the text itself is never echoed in a message.
base::SecretBuffer secretFromHex(const std::filesystem::path& path, const std::string& where,
                                 std::string_view hex, std::size_t bytes) {
    if (hex.size() != 2 * bytes) {
        fail(path, where + " must be " + std::to_string(bytes) + " bytes as " +
                       std::to_string(2 * bytes) + " hex digits, or \"generate\"");
    }
    base::SecretBuffer out(bytes);
    for (std::size_t i = 0; i < hex.size(); ++i) {
        const char c = hex[i];
        int v = -1;
        if (c >= '0' && c <= '9')
            v = c - '0';
        if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        if (v < 0) {
            fail(path, where + " is not hex");
        }
        auto& b = out.data()[i / 2];
        b = static_cast<std::uint8_t>(i % 2 == 0 ? v << 4 : b | v);
    }
    return out;
}

std::string requiredString(const std::filesystem::path& path, const toml::table& t,
                           std::string_view key, std::size_t maxLength) {
    const auto value = t.at_path(key).value<std::string>();
    if (!value || value->empty()) {
        fail(path, std::string(key) + " is missing (a non-empty string)");
    }
    if (value->size() > maxLength) {
        fail(path, std::string(key) + " is longer than " + std::to_string(maxLength) + " bytes");
    }
    return *value;
}

// "generate", or hex; `literal` records that the file holds key material.
KeySpec keySpec(const std::filesystem::path& path, const toml::table& t, std::string_view key,
                std::size_t bytes, bool& literal) {
    const auto value = t.at_path(key).value<std::string>();
    if (!value) {
        fail(path, std::string(key) + " is missing (hex or \"generate\")");
    }
    if (*value == "generate") {
        return {};
    }
    literal = true;
    return KeySpec{secretFromHex(path, std::string(key), *value, bytes)};
}

// The profile in `toml`; `literal` records whether it holds key material.
SimProfile parse(std::string_view toml, const std::filesystem::path& baseDir,
                 const std::filesystem::path& path, bool& literal) {
    toml::table t;
    try {
        t = toml::parse(toml, path.string());
    } catch (const toml::parse_error& e) {
        fail(path, std::string("is not valid TOML: ") + std::string(e.description()));
    }

    SimProfile p;
    const auto nodeId = t.at_path("identity.node_id").value<std::string>();
    if (!nodeId) {
        fail(path, "identity.node_id is missing (hex or \"generate\")");
    }
    if (*nodeId != "generate") {
        const auto id = secretFromHex(path, "identity.node_id", *nodeId, 16);
        p.nodeId = base::Bytes(id.view().begin(), id.view().end());
    }
    p.sclId = requiredString(path, t, "identity.scl_id", 128);
    p.masFqdn = requiredString(path, t, "identity.mas_fqdn", 128);
    const auto* nscl = t.at_path("identity.nscl").as_array();
    if (nscl == nullptr || nscl->empty()) {
        fail(path, "identity.nscl is missing (a list of NSCL URIs)");
    }
    std::size_t nsclBytes = 0;
    for (const auto& uri : *nscl) {
        const auto text = uri.value<std::string>();
        if (!text || text->empty() || text->find(' ') != std::string::npos) {
            fail(path, "identity.nscl holds an entry that is not a URI");
        }
        nsclBytes += text->size() + 1;
        p.nscl.push_back(*text);
    }
    if (nsclBytes > 256) {
        fail(path, "identity.nscl is longer than the card's 255 bytes");
    }

    p.kmr = keySpec(path, t, "kmr.key", 32, literal);
    const auto index = t.at_path("kmr.index").value<std::int64_t>();
    if (!index || *index < 0 || *index > 0xFFFFFFFF) {
        fail(path, "kmr.index must be an unsigned 32-bit number");
    }
    p.kmrIndex = static_cast<std::uint32_t>(*index);
    const auto days = t.at_path("kmr.lifetime_days").value<std::int64_t>();
    if (!days || *days <= 0 || *days > 36500) {
        fail(path, "kmr.lifetime_days must be between 1 and 36500");
    }
    p.kmrLifetime = std::chrono::days(*days);
    p.kmsa = keySpec(path, t, "kmsa.key", 16, literal);
    if (t.contains("kbs")) {
        p.kbs = keySpec(path, t, "kbs.key", 32, literal);
    }
    if (t.contains("kiv")) {
        p.kiv = keySpec(path, t, "kiv.key", 32, literal);
    }

    // A literal admin.code is meant for the well-known transport codes of test SIMs and does
    // not by itself make the profile secret; real codes come from a 0600 code_file.
    if (const auto code = t.at_path("admin.code").value<std::string>()) {
        p.adminCode = secretFromHex(path, "admin.code", *code, 8);
    } else if (const auto file = t.at_path("admin.code_file").value<std::string>()) {
        const std::filesystem::path codeFile(*file);
        p.adminCode =
            securechannel::loadKeyFile(codeFile.is_absolute() ? codeFile : baseDir / codeFile, 8);
    } else {
        fail(path, "admin.code or admin.code_file is missing");
    }

    return p;
}

}  // namespace

SimProfile parseSimProfile(std::string_view toml, const std::filesystem::path& baseDir) {
    bool literal = false;
    return parse(toml, baseDir, {}, literal);
}

SimProfile loadSimProfile(const std::filesystem::path& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::is_regular_file(status)) {
        fail(path, "cannot be read (not a regular file)");
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) {
        fail(path, "cannot be read");
    }
    bool literal = false;
    SimProfile p = parse(text.str(), path.parent_path(), path, literal);
    if (literal) {
        // Same owner/mode rules as a key file; the content was parsed above already.
        (void)securechannel::readSecretFile(path, kMaxProfileBytes);
    }
    return p;
}

}  // namespace provisioning
