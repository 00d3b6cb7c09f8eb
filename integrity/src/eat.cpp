// The integrity report's claims set (FORMATS.md §3, RFC 9711 as a CWT).
#include "integrity/eat.hpp"

#include <algorithm>
#include <array>

#include "cbor.hpp"
#include "integrity/manifest.hpp"

namespace integrity {

namespace {

constexpr std::size_t kMaxReportBytes = 8192;
constexpr std::size_t kMinNonce = 8;
constexpr std::size_t kMaxNonce = 64;
constexpr std::size_t kUeidBytes = 17;
constexpr std::uint8_t kUeidTypeRand = 0x01;      // RFC 9711 §4.2.1.1
constexpr std::uint64_t kContentFormatCbor = 60;  // application/cbor (RFC 7252 §12.3)
constexpr std::uint64_t kMaxUint32 = 0xffffffff;

cbor::Item pair(cbor::Item first, cbor::Item second) {
    std::vector<cbor::Item> items;
    items.push_back(std::move(first));
    items.push_back(std::move(second));
    return cbor::array(std::move(items));
}

cbor::Item single(cbor::Item item) {
    std::vector<cbor::Item> items;
    items.push_back(std::move(item));
    return cbor::array(std::move(items));
}

std::span<cbor_item_t*> pairOf(const cbor_item_t& item, std::string_view what) {
    return cbor::asArray(item, what, 2, 2);
}

std::vector<Measurement> decodeMeasurements(const cbor_item_t& claim) {
    const auto outer = cbor::asArray(claim, "measurements", 1, 1);
    const auto format = pairOf(*outer[0], "measurements entry");
    if (cbor::asUint(*format[0], "measurements content format") != kContentFormatCbor) {
        throw MalformedInput("measurements: content format must be 60 (application/cbor)");
    }
    const base::Bytes inner = cbor::asBytes(*format[1], "measurements content", 0, kMaxReportBytes);
    const auto list = cbor::decode(inner, kMaxReportBytes, "measurements content");
    std::vector<Measurement> out;
    for (const cbor_item_t* entry :
         cbor::asArray(*list, "measurements content", 0, Manifest::kMaxObjects)) {
        const auto fields = pairOf(*entry, "measurement");
        out.push_back({cbor::asText(*fields[0], "measurement name", 1, Manifest::kMaxNameBytes),
                       cbor::asBytes(*fields[1], "measurement digest", 32, 32)});
    }
    return out;
}

std::vector<ObjectResult> decodeResults(const cbor_item_t& claim) {
    const auto outer = cbor::asArray(claim, "measres", 1, 1);
    const auto system = pairOf(*outer[0], "measres entry");
    if (cbor::asText(*system[0], "measres system", 1, 64) != kMeasurementSystem) {
        throw MalformedInput(std::string("measres: the measurement system must be \"") +
                             kMeasurementSystem + "\"");
    }
    std::vector<ObjectResult> out;
    for (const cbor_item_t* entry :
         cbor::asArray(*system[1], "measres results", 0, Manifest::kMaxObjects)) {
        const auto fields = pairOf(*entry, "measres result");
        ObjectResult result;
        result.name = cbor::asText(*fields[0], "measres name", 1, Manifest::kMaxNameBytes);
        const auto value = cbor::asUint(*fields[1], "measres result", 4);
        if (value == 0) {
            throw MalformedInput("measres result: must be 1..4");
        }
        result.result = static_cast<MeasurementResult>(value);
        out.push_back(std::move(result));
    }
    return out;
}

std::string submoduleWhat(const std::string& name) {
    return "submodule \"" + name + "\"";
}

Submodule decodeSubmodule(std::string name, const cbor_item_t& item) {
    const std::string what = submoduleWhat(name);
    static constexpr std::array<std::int64_t, 5> kKeys{claim::kUeid, claim::kReportCounter,
                                                       claim::kGatewayVerdict, claim::kAllowedPaths,
                                                       claim::kAttested};
    const cbor::IntMap map(item, what, kKeys);
    Submodule out;
    out.name = std::move(name);
    out.ueid = cbor::asBytes(map.at(claim::kUeid), what + " ueid", kUeidBytes, kUeidBytes);
    if (out.ueid.front() != kUeidTypeRand) {
        throw MalformedInput(what + " ueid: must be type RAND (01) followed by the M2M-Node-ID");
    }
    out.verdict =
        static_cast<Verdict>(cbor::asUint(map.at(claim::kGatewayVerdict), what + " verdict", 2));
    out.attested = cbor::asBool(map.at(claim::kAttested), what + " attested");
    if (const cbor_item_t* counter = map.find(claim::kReportCounter)) {
        // A counter is what the device's signed report said; an unattested device has none.
        if (!out.attested) {
            throw MalformedInput(what + ": a report counter (-70002) on an unattested device");
        }
        out.counter = cbor::asUint(*counter, what + " counter", kMaxUint32);
    }
    const cbor_item_t* allowed = map.find(claim::kAllowedPaths);
    if ((allowed != nullptr) != (out.verdict == Verdict::Partial)) {
        throw MalformedInput(what +
                             ": allowed paths (-70004) go with a partial verdict only, and "
                             "a partial verdict needs them");
    }
    if (allowed != nullptr) {
        for (const cbor_item_t* path :
             cbor::asArray(*allowed, what + " allowed paths", 0, Submodule::kMaxAllowed)) {
            out.allowed.push_back(
                cbor::asText(*path, what + " allowed path", 1, Submodule::kMaxPathBytes));
        }
    }
    return out;
}

// Map order is already checked by cbor::decode (deterministic encoding), so names come out sorted
// and unique.
std::vector<Submodule> decodeSubmodsItem(const cbor_item_t& item) {
    if (!cbor_isa_map(&item) || !cbor_map_is_definite(&item)) {
        throw MalformedInput("report submods: not a map");
    }
    const std::size_t size = cbor_map_size(&item);
    if (size < 1 || size > Submodule::kMaxSubmodules) {
        throw MalformedInput("report submods: must have 1.." +
                             std::to_string(Submodule::kMaxSubmodules) + " entries");
    }
    const cbor_pair* pairs = cbor_map_handle(&item);
    std::vector<Submodule> out;
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(decodeSubmodule(
            cbor::asText(*pairs[i].key, "report submods name", 1, Submodule::kMaxNameBytes),
            *pairs[i].value));
    }
    return out;
}

cbor::Item submoduleItem(const Submodule& submodule) {
    if (submodule.verdict != Verdict::Partial && !submodule.allowed.empty()) {
        throw MalformedInput(submoduleWhat(submodule.name) +
                             ": allowed paths go with a partial verdict only");
    }
    std::vector<std::pair<cbor::Item, cbor::Item>> entries;
    entries.emplace_back(cbor::integer(claim::kUeid), cbor::bytes(submodule.ueid));
    if (submodule.counter) {
        entries.emplace_back(cbor::integer(claim::kReportCounter), cbor::uint(*submodule.counter));
    }
    entries.emplace_back(cbor::integer(claim::kGatewayVerdict),
                         cbor::uint(static_cast<std::uint8_t>(submodule.verdict)));
    if (submodule.verdict == Verdict::Partial) {
        std::vector<cbor::Item> paths;
        for (const auto& path : submodule.allowed) {
            paths.push_back(cbor::text(path));
        }
        entries.emplace_back(cbor::integer(claim::kAllowedPaths), cbor::array(std::move(paths)));
    }
    entries.emplace_back(cbor::integer(claim::kAttested), cbor::boolean(submodule.attested));
    return cbor::map(std::move(entries));
}

// Built, then read back with the reader's own rules: what the card signs is what the NSCL accepts.
cbor::Item submodsItem(const std::vector<Submodule>& submods) {
    std::vector<std::string> names;
    for (const auto& submodule : submods) {
        names.push_back(submodule.name);
    }
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
        throw MalformedInput("report submods: a name appears twice");
    }
    std::vector<std::pair<cbor::Item, cbor::Item>> entries;
    for (const auto& submodule : submods) {
        entries.emplace_back(cbor::text(submodule.name), submoduleItem(submodule));
    }
    cbor::Item item = cbor::map(std::move(entries));
    decodeSubmodsItem(*item);
    return item;
}

}  // namespace

base::Bytes encodeSubmods(const std::vector<Submodule>& submods) {
    return cbor::encode(*submodsItem(submods));
}

std::vector<Submodule> decodeSubmods(base::ByteView encoded) {
    const auto root = cbor::decode(encoded, kMaxReportBytes, "report submods");
    return decodeSubmodsItem(*root);
}

std::string_view toString(MeasurementResult result) {
    switch (result) {
        case MeasurementResult::Success:
            return "success";
        case MeasurementResult::Fail:
            return "fail";
        case MeasurementResult::NotRun:
            return "not-run";
        case MeasurementResult::Absent:
            return "absent";
    }
    return "unknown";
}

base::Bytes EatClaims::encode() const {
    std::vector<cbor::Item> digests;
    for (const auto& m : measurements) {
        digests.push_back(pair(cbor::text(m.name), cbor::bytes(m.sha256)));
    }
    const base::Bytes inner = cbor::encode(*cbor::array(std::move(digests)));
    std::vector<cbor::Item> resultItems;
    for (const auto& r : results) {
        resultItems.push_back(
            pair(cbor::text(r.name), cbor::uint(static_cast<std::uint8_t>(r.result))));
    }
    std::vector<std::pair<cbor::Item, cbor::Item>> entries;
    if (iat) {
        entries.emplace_back(cbor::integer(claim::kIat), cbor::uint(*iat));
    }
    entries.emplace_back(cbor::integer(claim::kNonce), cbor::bytes(nonce));
    entries.emplace_back(cbor::integer(claim::kUeid), cbor::bytes(ueid));
    entries.emplace_back(cbor::integer(claim::kEatProfile), cbor::text(kEatProfile));
    if (!submods.empty()) {
        entries.emplace_back(cbor::integer(claim::kSubmods), submodsItem(submods));
    }
    entries.emplace_back(cbor::integer(claim::kMeasurements),
                         single(pair(cbor::uint(kContentFormatCbor), cbor::bytes(inner))));
    entries.emplace_back(
        cbor::integer(claim::kMeasres),
        single(pair(cbor::text(kMeasurementSystem), cbor::array(std::move(resultItems)))));
    entries.emplace_back(cbor::integer(claim::kManifestVersion), cbor::uint(manifestVersion));
    entries.emplace_back(cbor::integer(claim::kReportCounter), cbor::uint(counter));
    return cbor::encode(*cbor::map(std::move(entries)));
}

EatClaims EatClaims::decode(base::ByteView payload) {
    const auto root = cbor::decode(payload, kMaxReportBytes, "integrity report");
    static constexpr std::array<std::int64_t, 9> kKeys{
        claim::kIat,        claim::kNonce,           claim::kUeid,
        claim::kEatProfile, claim::kSubmods,         claim::kMeasurements,
        claim::kMeasres,    claim::kManifestVersion, claim::kReportCounter};
    const cbor::IntMap map(*root, "integrity report", kKeys);
    EatClaims out;
    if (const cbor_item_t* iat = map.find(claim::kIat)) {
        out.iat = cbor::asUint(*iat, "report iat");
    }
    out.nonce = cbor::asBytes(map.at(claim::kNonce), "report eat_nonce", kMinNonce, kMaxNonce);
    out.ueid = cbor::asBytes(map.at(claim::kUeid), "report ueid", kUeidBytes, kUeidBytes);
    if (out.ueid.front() != kUeidTypeRand) {
        throw MalformedInput("report ueid: must be type RAND (01) followed by the M2M-Node-ID");
    }
    if (cbor::asText(map.at(claim::kEatProfile), "report eat_profile", 1, 128) != kEatProfile) {
        throw MalformedInput(std::string("report eat_profile: not \"") + kEatProfile + "\"");
    }
    if (const cbor_item_t* submods = map.find(claim::kSubmods)) {
        out.submods = decodeSubmodsItem(*submods);
    }
    out.measurements = decodeMeasurements(map.at(claim::kMeasurements));
    out.results = decodeResults(map.at(claim::kMeasres));
    out.manifestVersion = static_cast<std::uint32_t>(
        cbor::asUint(map.at(claim::kManifestVersion), "report manifest version", kMaxUint32));
    out.counter = static_cast<std::uint32_t>(
        cbor::asUint(map.at(claim::kReportCounter), "report counter", kMaxUint32));
    return out;
}

bool EatClaims::passes(const Manifest& manifest) const {
    if (manifestVersion != manifest.version || results.size() != manifest.objects.size()) {
        return false;
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& object = manifest.objects[i];
        if (results[i].name != object.name) {
            return false;
        }
        if (object.required && results[i].result != MeasurementResult::Success) {
            return false;
        }
    }
    return true;
}

Report Report::decode(base::ByteView encoded) {
    Report out;
    out.envelope = CoseSign1::decode(encoded);
    if (!out.envelope.kid) {
        throw MalformedInput("integrity report: no kid in the unprotected header");
    }
    out.claims = EatClaims::decode(out.envelope.payload);
    return out;
}

void Report::verifyWith(const PublicKey& attestationKey) const {
    if (envelope.kid && *envelope.kid != attestationKey.keyId()) {
        throw SignatureInvalid("the report's kid names another attestation key");
    }
    envelope.verify(attestationKey);
}

}  // namespace integrity
