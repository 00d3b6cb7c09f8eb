// `m2m integrity verify FILE [--key PEM | --root CERT]`: what a manifest, an integrity report or a
// decision says, and whether it verifies; when it does not, the reason in words. The file may
// hold the CBOR itself or its base64url text (the form reports and decisions travel in on mId).
#include <fstream>
#include <iostream>
#include <iterator>

#include "base/bytes.hpp"
#include "commands.hpp"
#include "integrity/certificate.hpp"
#include "integrity/decision.hpp"
#include "integrity/eat.hpp"
#include "integrity/manifest.hpp"
#include "text_output.hpp"

namespace m2m::cli {

namespace {

struct VerifyOptions {
    CommonOptions common;
    std::string file;
    std::string keyFile;
    std::string rootFile;
};

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw base::Error("cannot read " + path);
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Binary CBOR starts with the tag (D2) or the array head (84); anything else is taken as
// base64url text, white space around it ignored.
base::Bytes messageBytes(const std::string& content) {
    if (!content.empty() && (static_cast<std::uint8_t>(content[0]) == 0xd2 ||
                             static_cast<std::uint8_t>(content[0]) == 0x84)) {
        return base::Bytes(content.begin(), content.end());
    }
    const auto first = content.find_first_not_of(" \t\r\n");
    const auto last = content.find_last_not_of(" \t\r\n");
    if (first == std::string::npos) {
        throw integrity::MalformedInput("the file is empty");
    }
    return integrity::fromBase64Url(std::string_view(content).substr(first, last - first + 1));
}

// A public key from a PEM public key or the first certificate of a PEM file.
integrity::PublicKey loadPublicKey(const std::string& path) {
    const std::string pem = readFile(path);
    if (pem.find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
        return integrity::PublicKey::fromCertificateDer(
            integrity::certificatesFromPem(pem).front());
    }
    return integrity::PublicKey::fromPem(pem);
}

nlohmann::ordered_json describe(const integrity::Manifest& m) {
    nlohmann::ordered_json objects = nlohmann::ordered_json::array();
    for (const auto& o : m.objects) {
        objects.push_back({{"name", o.name},
                           {"sha256", base::toLowerHex(o.sha256)},
                           {"required", o.required},
                           {"action", integrity::toString(o.action)}});
    }
    return {{"version", m.version}, {"objects", objects}};
}

nlohmann::ordered_json describe(const integrity::EatClaims& c) {
    nlohmann::ordered_json j;
    if (c.iat) {
        j["iat"] = *c.iat;
    }
    j["nonce"] = base::toLowerHex(c.nonce);
    j["ueid"] = base::toLowerHex(c.ueid);
    j["manifest_version"] = c.manifestVersion;
    j["counter"] = c.counter;
    j["measurements"] = nlohmann::ordered_json::array();
    for (const auto& m : c.measurements) {
        j["measurements"].push_back({{"name", m.name}, {"sha256", base::toLowerHex(m.sha256)}});
    }
    j["results"] = nlohmann::ordered_json::array();
    for (const auto& r : c.results) {
        j["results"].push_back({{"name", r.name}, {"result", integrity::toString(r.result)}});
    }
    return j;
}

nlohmann::ordered_json describe(const integrity::DecisionClaims& d) {
    nlohmann::ordered_json j{{"verdict", integrity::toString(d.verdict)},
                             {"node", base::toLowerHex(d.node)},
                             {"nonce", base::toLowerHex(d.nonce)},
                             {"counter", d.counter},
                             {"iat", d.iat},
                             {"exp", d.exp}};
    if (d.verdict == integrity::Verdict::Partial) {
        j["allowed"] = d.allowed;
    }
    if (d.remediation) {
        const auto manifest = integrity::SignedManifest::decode(d.remediation->manifest);
        nlohmann::ordered_json objects = nlohmann::ordered_json::array();
        for (const auto& o : d.remediation->objects) {
            objects.push_back(
                {{"name", o.name}, {"url", o.url}, {"sha256", base::toLowerHex(o.sha256)}});
        }
        j["remediation"] = {{"manifest_version", manifest.manifest.version}, {"objects", objects}};
    }
    return j;
}

Exit verify(const VerifyOptions& options) {
    const auto bytes = messageBytes(readFile(options.file));
    const auto envelope = integrity::CoseSign1::decode(bytes);
    nlohmann::ordered_json result{{"file", options.file}};
    std::optional<integrity::PublicKey> key;
    if (!options.keyFile.empty()) {
        key = loadPublicKey(options.keyFile);
    }
    // The payload says which of the three it is; each reader refuses the others' payloads.
    std::string why;
    std::function<void()> check;
    try {
        const auto manifest = integrity::SignedManifest::decode(bytes);
        result["kind"] = "manifest";
        result["x5chain"] = manifest.envelope.x5chain.size();
        result["content"] = describe(manifest.manifest);
        check = [manifest, &options, &key] {
            if (!options.rootFile.empty()) {
                const auto roots = integrity::certificatesFromPem(readFile(options.rootFile));
                manifest.verifyChain(roots.front());
            } else {
                manifest.verifyWith(*key);
            }
        };
    } catch (const integrity::MalformedInput& e) {
        why = std::string("as a manifest: ") + e.what();
    }
    if (!check) {
        try {
            const auto report = integrity::Report::decode(bytes);
            result["kind"] = "report";
            result["kid"] = base::toLowerHex(*report.envelope.kid);
            result["content"] = describe(report.claims);
            check = [report, &key] { report.verifyWith(*key); };
        } catch (const integrity::MalformedInput& e) {
            why += std::string("; as a report: ") + e.what();
        }
    }
    if (!check) {
        try {
            const auto decision = integrity::Decision::decode(bytes);
            result["kind"] = "decision";
            result["kid"] = base::toLowerHex(*decision.envelope.kid);
            result["content"] = describe(decision.claims);
            check = [decision, &key] { decision.verifyWith(*key); };
        } catch (const integrity::MalformedInput& e) {
            why += std::string("; as a decision: ") + e.what();
        }
    }
    if (!check) {
        throw integrity::MalformedInput(
            "a COSE_Sign1, but its payload is none of manifest, report or decision (" + why + ")");
    }
    if (!options.rootFile.empty() && result["kind"] != "manifest") {
        throw CLI::ValidationError("--root",
                                   "only a manifest carries a certificate chain; give "
                                   "the signer's key with --key");
    }
    if (key || !options.rootFile.empty()) {
        check();  // throws, in words, when it does not verify
        result["signature"] = !options.rootFile.empty() ? "valid, chain to the root verified"
                                                        : "valid under the key given";
    } else {
        result["signature"] = "not checked (give --key or --root)";
    }
    printResult(options.common, result, [&] { printFields(std::cout, result); });
    return Exit::Ok;
}

}  // namespace

void addIntegrityVerifyCommand(CLI::App& integrity, int& exitCode) {
    auto options = std::make_shared<VerifyOptions>();
    auto* cmd = integrity.add_subcommand(
        "verify", "Decode and verify a manifest, integrity report or decision (CBOR or base64url)");
    cmd->add_option("file", options->file, "The COSE_Sign1 file")->required();
    auto* keyOpt =
        cmd->add_option("--key", options->keyFile, "The signer's public key or certificate (PEM)");
    cmd->add_option("--root", options->rootFile,
                    "Trusted root certificate (PEM): check a manifest's x5chain up to it")
        ->excludes(keyOpt);
    cmd->add_flag("--json", options->common.json, "Print one JSON object instead of text");
    cmd->callback([options, &exitCode] {
        exitCode = runGuarded(options->common, [&] { return verify(*options); });
    });
}

}  // namespace m2m::cli
