// `m2m integrity sign-manifest | measure | keygen`: the service provider's and the lab's side of
// integrity validation (integrity/FORMATS.md): measure files, sign a reference manifest over
// them, make the test keys and certificates. `verify` is in cmd_integrity_verify.cpp.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "base/bytes.hpp"
#include "base/process.hpp"
#include "commands.hpp"
#include "integrity/certificate.hpp"
#include "integrity/manifest.hpp"
#include "integrity/measure.hpp"
#include "text_output.hpp"

namespace m2m::cli {

namespace {

struct SignManifestOptions {
    CommonOptions common;
    std::string keyFile;
    std::vector<std::string> certFiles;
    std::uint32_t version = 0;
    std::vector<std::string> objects;
    std::string out;
};

struct MeasureOptions {
    CommonOptions common;
    std::vector<std::string> objects;
};

struct KeygenOptions {
    CommonOptions common;
    std::string out;
    std::string certOut;
    std::string commonName;
    std::string caCert;
    std::string caKey;
    bool isCa = false;
    unsigned days = 365;
};

// NAME=FILE[:required|optional][:report|quarantine|rollback|halt]. The flags are taken off the
// end, so a file name with a colon still works when the flags are given.
struct ObjectArgument {
    std::string name;
    std::string file;
    bool required = true;
    integrity::RecoveryAction action = integrity::RecoveryAction::Report;
};

ObjectArgument parseObject(const std::string& text, bool withFlags) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
        throw CLI::ValidationError("--object", "expected NAME=FILE, got \"" + text + "\"");
    }
    ObjectArgument out{text.substr(0, eq), text.substr(eq + 1)};
    if (!withFlags) {
        return out;
    }
    for (int i = 0; i < 2; ++i) {
        const auto colon = out.file.rfind(':');
        if (colon == std::string::npos) {
            break;
        }
        const std::string flag = out.file.substr(colon + 1);
        if (flag == "required" || flag == "optional") {
            out.required = flag == "required";
        } else if (flag == "report" || flag == "quarantine" || flag == "rollback" ||
                   flag == "halt") {
            out.action = integrity::recoveryActionFromString(flag);
        } else {
            break;
        }
        out.file.erase(colon);
    }
    return out;
}

base::Bytes measured(const ObjectArgument& object) {
    auto digest = integrity::sha256OfFile(object.file);
    if (!digest) {
        throw base::Error("cannot read " + object.file + " (object " + object.name +
                          "): not a readable regular file");
    }
    return std::move(*digest);
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw base::Error("cannot read " + path);
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const std::string& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out || !out.write(content.data(), static_cast<std::streamsize>(content.size())) ||
        !out.flush()) {
        throw base::Error("cannot write " + path);
    }
}

Exit signManifest(const SignManifestOptions& options) {
    base::hardenProcess();  // before the SP key is read
    const auto key = integrity::PrivateKey::fromPemFile(options.keyFile);
    std::vector<base::Bytes> chain;
    for (const auto& file : options.certFiles) {
        for (auto& der : integrity::certificatesFromPem(readFile(file))) {
            chain.push_back(std::move(der));
        }
    }
    if (!chain.empty() && integrity::PublicKey::fromCertificateDer(chain.front()).point() !=
                              key.publicKey().point()) {
        throw base::Error("the first certificate (the x5chain leaf) is not for the key in " +
                          options.keyFile);
    }
    integrity::Manifest manifest;
    manifest.version = options.version;
    nlohmann::ordered_json objects = nlohmann::ordered_json::array();
    for (const auto& text : options.objects) {
        const auto object = parseObject(text, true);
        manifest.objects.push_back({object.name, measured(object), object.required, object.action});
        objects.push_back({{"name", object.name},
                           {"sha256", base::toLowerHex(manifest.objects.back().sha256)},
                           {"required", object.required},
                           {"action", integrity::toString(object.action)}});
    }
    // Through the reader before signing: a manifest this command writes is one the agent accepts.
    const auto payload = manifest.encodePayload();
    integrity::Manifest::decodePayload(payload);
    const auto encoded = integrity::CoseSign1::sign(key, payload, std::nullopt, chain).encode();
    writeFile(options.out,
              std::string_view(reinterpret_cast<const char*>(encoded.data()), encoded.size()));
    nlohmann::ordered_json result{{"out", options.out},
                                  {"version", manifest.version},
                                  {"bytes", encoded.size()},
                                  {"x5chain", chain.size()},
                                  {"objects", objects}};
    printResult(options.common, result, [&] { printFields(std::cout, result); });
    return Exit::Ok;
}

Exit measure(const MeasureOptions& options) {
    nlohmann::ordered_json objects = nlohmann::ordered_json::array();
    for (const auto& text : options.objects) {
        const auto object = parseObject(text, false);
        const auto digest = integrity::sha256OfFile(object.file);
        objects.push_back({{"name", object.name},
                           {"file", object.file},
                           {"sha256", digest ? base::toLowerHex(*digest) : "absent"}});
    }
    nlohmann::ordered_json result{{"objects", objects}};
    printResult(options.common, result, [&] {
        for (const auto& o : objects) {
            std::cout << shown(o["sha256"]) << "  " << shown(o["name"]) << '\n';
        }
    });
    return Exit::Ok;
}

Exit keygen(const KeygenOptions& options) {
    base::hardenProcess();
    const auto key = integrity::PrivateKey::generate();
    key.writePemFile(options.out);
    nlohmann::ordered_json result{{"key", options.out},
                                  {"kid", base::toLowerHex(key.publicKey().keyId())},
                                  {"public_point", base::toLowerHex(key.publicKey().point())}};
    if (!options.certOut.empty()) {
        const integrity::CertificateRequest request{options.commonName, options.isCa, options.days};
        base::Bytes der;
        if (options.caCert.empty()) {
            der = integrity::issueCertificate(request, key.publicKey(), key);
        } else {
            const auto caKey = integrity::PrivateKey::fromPemFile(options.caKey);
            const auto caDer = integrity::certificatesFromPem(readFile(options.caCert)).front();
            if (integrity::PublicKey::fromCertificateDer(caDer).point() !=
                caKey.publicKey().point()) {
                throw base::Error("--ca-key is not the key of the --ca certificate");
            }
            der = integrity::issueCertificate(request, key.publicKey(), caKey, caDer);
        }
        writeFile(options.certOut, integrity::certificateToPem(der));
        result["certificate"] = options.certOut;
        result["issuer"] = options.caCert.empty() ? "self-signed" : options.caCert;
    }
    printResult(options.common, result, [&] { printFields(std::cout, result); });
    return Exit::Ok;
}

void addJsonAndLog(CLI::App& cmd, CommonOptions& options) {
    cmd.add_flag("--json", options.json, "Print one JSON object instead of text");
    cmd.add_option("--log", options.log, "Log levels per category (also env M2M_LOG)");
}

}  // namespace

void addIntegrityCommands(CLI::App& app, int& exitCode) {
    auto* integrity = app.add_subcommand(
        "integrity", "Integrity validation formats: sign a manifest, verify, measure, keys");
    integrity->require_subcommand(1);

    auto sign = std::make_shared<SignManifestOptions>();
    auto* signCmd = integrity->add_subcommand(
        "sign-manifest", "Measure files and sign a reference manifest (COSE_Sign1, ES256)");
    signCmd->add_option("--key", sign->keyFile, "The SP's P-256 private key (PEM, 0600)")
        ->required();
    signCmd->add_option("--cert", sign->certFiles,
                        "Certificates for the x5chain (PEM), leaf first; repeatable");
    signCmd->add_option("--version", sign->version, "Manifest version (1..2^32-1, increasing)")
        ->required()
        ->check(CLI::Range(1u, 0xffffffffu));
    signCmd
        ->add_option("--object", sign->objects,
                     "NAME=FILE[:required|optional][:report|quarantine|rollback|halt]; NAME is "
                     "@agent, @config or a path under the integrity root; repeatable (1..16)")
        ->required();
    signCmd->add_option("--out", sign->out, "Where to write the manifest")->required();
    addJsonAndLog(*signCmd, sign->common);
    signCmd->callback([sign, &exitCode] {
        exitCode = runGuarded(sign->common, [&] { return signManifest(*sign); });
    });

    auto measureOptions = std::make_shared<MeasureOptions>();
    auto* measureCmd =
        integrity->add_subcommand("measure", "SHA-256 of files, as the agent measures them");
    measureCmd->add_option("objects", measureOptions->objects, "NAME=FILE ...")->required();
    addJsonAndLog(*measureCmd, measureOptions->common);
    measureCmd->callback([measureOptions, &exitCode] {
        exitCode = runGuarded(measureOptions->common, [&] { return measure(*measureOptions); });
    });

    auto key = std::make_shared<KeygenOptions>();
    auto* keygenCmd = integrity->add_subcommand(
        "keygen", "A P-256 key (PEM, 0600) and optionally its certificate, for tests and the lab");
    keygenCmd->add_option("--out", key->out, "Where to write the private key")->required();
    auto* certOpt =
        keygenCmd->add_option("--cert", key->certOut, "Also write a certificate for it (PEM)");
    keygenCmd->add_option("--cn", key->commonName, "The certificate's common name")->needs(certOpt);
    auto* caOpt = keygenCmd
                      ->add_option("--ca", key->caCert,
                                   "Issuer certificate (PEM); "
                                   "without it, self-signed")
                      ->needs(certOpt);
    auto* caKeyOpt =
        keygenCmd->add_option("--ca-key", key->caKey, "Issuer private key (PEM, 0600)");
    caOpt->needs(caKeyOpt);
    caKeyOpt->needs(caOpt);
    keygenCmd->add_flag("--is-ca", key->isCa, "Make a CA certificate (root or intermediate)")
        ->needs(certOpt);
    keygenCmd->add_option("--days", key->days, "Validity in days")->needs(certOpt);
    addJsonAndLog(*keygenCmd, key->common);
    keygenCmd->callback([key, &exitCode] {
        exitCode = runGuarded(key->common, [&] {
            if (!key->certOut.empty() && key->commonName.empty()) {
                throw CLI::ValidationError("--cn", "a certificate needs --cn");
            }
            return keygen(*key);
        });
    });

    addIntegrityVerifyCommand(*integrity, exitCode);
}

}  // namespace m2m::cli
