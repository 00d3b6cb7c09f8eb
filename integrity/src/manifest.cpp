// The reference manifest (FORMATS.md §2): its payload and its signed form.
#include "integrity/manifest.hpp"

#include <array>
#include <set>

#include "cbor.hpp"

namespace integrity {

namespace {

constexpr std::uint64_t kMaxVersion = 0xffffffff;

// "@agent", "@config", or a path below the integrity root that cannot leave it: the agent opens
// root/name, so "..", absolute paths and empty components are refused here, once.
void checkObjectName(const std::string& name) {
    if (name.front() == '@') {
        if (name != "@agent" && name != "@config") {
            throw MalformedInput("manifest object name \"" + name +
                                 "\": the only @ names are @agent and @config");
        }
        return;
    }
    if (name.front() == '/') {
        throw MalformedInput("manifest object name: an absolute path is not allowed");
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t end = std::min(name.find('/', start), name.size());
        const std::string_view part(name.data() + start, end - start);
        if (part.empty() || part == "." || part == "..") {
            throw MalformedInput(
                "manifest object name: empty, \".\" or \"..\" path components are not allowed");
        }
        start = end + 1;
    }
    if (name.find('\0') != std::string::npos) {
        throw MalformedInput("manifest object name: NUL is not allowed");
    }
}

}  // namespace

std::string_view toString(RecoveryAction action) {
    switch (action) {
        case RecoveryAction::Report:
            return "report";
        case RecoveryAction::Quarantine:
            return "quarantine";
        case RecoveryAction::Rollback:
            return "rollback";
        case RecoveryAction::Halt:
            return "halt";
    }
    return "unknown";
}

RecoveryAction recoveryActionFromString(std::string_view text) {
    for (const auto action : {RecoveryAction::Report, RecoveryAction::Quarantine,
                              RecoveryAction::Rollback, RecoveryAction::Halt}) {
        if (text == toString(action)) {
            return action;
        }
    }
    throw MalformedInput("unknown recovery action \"" + std::string(text) +
                         "\" (report, quarantine, rollback or halt)");
}

base::Bytes Manifest::encodePayload() const {
    std::vector<cbor::Item> items;
    for (const auto& object : objects) {
        std::vector<std::pair<cbor::Item, cbor::Item>> entries;
        entries.emplace_back(cbor::uint(1), cbor::text(object.name));
        entries.emplace_back(cbor::uint(2), cbor::bytes(object.sha256));
        entries.emplace_back(cbor::uint(3), cbor::boolean(object.required));
        entries.emplace_back(cbor::uint(4), cbor::uint(static_cast<std::uint8_t>(object.action)));
        items.push_back(cbor::map(std::move(entries)));
    }
    std::vector<std::pair<cbor::Item, cbor::Item>> entries;
    entries.emplace_back(cbor::uint(1), cbor::uint(version));
    entries.emplace_back(cbor::uint(2), cbor::array(std::move(items)));
    return cbor::encode(*cbor::map(std::move(entries)));
}

Manifest Manifest::decodePayload(base::ByteView payload) {
    const auto root = cbor::decode(payload, kMaxPayloadBytes, "manifest");
    static constexpr std::array<std::int64_t, 2> kKeys{1, 2};
    const cbor::IntMap map(*root, "manifest", kKeys);
    Manifest out;
    out.version =
        static_cast<std::uint32_t>(cbor::asUint(map.at(1), "manifest version", kMaxVersion));
    if (out.version == 0) {
        throw MalformedInput("manifest version: must be 1 or more");
    }
    std::set<std::string> names;
    for (const cbor_item_t* item : cbor::asArray(map.at(2), "manifest objects", 1, kMaxObjects)) {
        static constexpr std::array<std::int64_t, 4> kObjectKeys{1, 2, 3, 4};
        const cbor::IntMap object(*item, "manifest object", kObjectKeys);
        ManifestObject parsed;
        parsed.name = cbor::asText(object.at(1), "manifest object name", 1, kMaxNameBytes);
        checkObjectName(parsed.name);
        if (!names.insert(parsed.name).second) {
            throw MalformedInput("manifest: object \"" + parsed.name + "\" listed twice");
        }
        parsed.sha256 = cbor::asBytes(object.at(2), "manifest object digest", 32, 32);
        parsed.required = cbor::asBool(object.at(3), "manifest object required");
        parsed.action =
            static_cast<RecoveryAction>(cbor::asUint(object.at(4), "manifest object action", 3));
        out.objects.push_back(std::move(parsed));
    }
    return out;
}

void Manifest::requireNewerThan(std::uint32_t heldVersion) const {
    if (version <= heldVersion) {
        throw VersionNotNewer("manifest version " + std::to_string(version) +
                              " is not newer than the version held (" +
                              std::to_string(heldVersion) + "): refused as a rollback");
    }
}

const ManifestObject* Manifest::find(std::string_view name) const {
    for (const auto& object : objects) {
        if (object.name == name) {
            return &object;
        }
    }
    return nullptr;
}

SignedManifest SignedManifest::decode(base::ByteView encoded) {
    SignedManifest out;
    out.envelope = CoseSign1::decode(encoded);
    out.manifest = Manifest::decodePayload(out.envelope.payload);
    return out;
}

void SignedManifest::verifyWith(const PublicKey& key) const {
    envelope.verify(key);
}

}  // namespace integrity
